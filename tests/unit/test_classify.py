"""What a delivery does about each failed send: `classify` on its own, no round, no network."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.reminders.classify import Action, Verdict, classify
from tests.support.sender_double import (
    blocked,
    chat_not_found,
    message_too_long,
    migrated,
    server_error,
    timed_out,
    too_many_requests,
)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (too_many_requests(7), Verdict(Action.RETRY_AFTER, "RetryAfter", seconds=7.0)),
        (blocked(), Verdict(Action.CHAT_GONE, "Forbidden", reason="blocked")),
        (chat_not_found(), Verdict(Action.CHAT_GONE, "ChatNotFound", reason="chat_not_found")),
        (
            BadRequest("Bad Request: PEER_ID_INVALID"),
            Verdict(Action.CHAT_GONE, "ChatNotFound", reason="chat_not_found"),
        ),
        (
            BadRequest("Bad Request: user not found"),
            Verdict(Action.CHAT_GONE, "ChatNotFound", reason="chat_not_found"),
        ),
        (message_too_long(), Verdict(Action.GIVE_UP, "BadRequest")),
        (
            migrated(-1000000000100),
            Verdict(Action.MIGRATE, "ChatMigrated", new_chat_id=-1000000000100),
        ),
        (timed_out(), Verdict(Action.RETRY, "TimedOut")),
        (server_error(502), Verdict(Action.RETRY, "NetworkError")),
        (
            Conflict("Conflict: terminated by other getUpdates request"),
            Verdict(Action.GIVE_UP, "Conflict"),
        ),
        (TelegramError("something new"), Verdict(Action.GIVE_UP, "TelegramError")),
        (InvalidToken(), Verdict(Action.RAISE, "InvalidToken")),
        (EndPointNotFound("Not Found"), Verdict(Action.RAISE, "EndPointNotFound")),
        (RuntimeError("a bug"), Verdict(Action.RAISE, "RuntimeError")),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else "",
)
def test_each_error_gets_its_action(exc: BaseException, expected: Verdict) -> None:
    assert classify(exc) == expected


def test_retry_after_as_a_timedelta_is_read_in_seconds() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns while building the message
        exc = RetryAfter(dt.timedelta(seconds=2.5))
    assert classify(exc).seconds == 2.5


def test_subclasses_of_network_error_keep_their_own_name() -> None:
    """BadRequest and TimedOut are NetworkErrors too; each still gets its own action."""
    assert issubclass(BadRequest, NetworkError) and issubclass(TimedOut, NetworkError)
    assert classify(BadRequest("Bad Request: can't parse entities")).action is Action.GIVE_UP
    assert classify(TimedOut()).action is Action.RETRY
    assert classify(Forbidden("Forbidden: user is deactivated")).action is Action.CHAT_GONE
