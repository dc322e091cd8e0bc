"""What a delivery does about a failed send: a pure function of the exception.

Telegram's answers, as python-telegram-bot raises them, fall into a few actions:

* RetryAfter (429): everyone waits exactly `retry_after`, then the same send is made again;
* Forbidden (403, blocked) and BadRequest "chat not found": the chat is gone, so its
  subscription is deactivated;
* ChatMigrated: the group became a supergroup; move the chat to its new id and resend;
* TimedOut / NetworkError (which includes 5xx): transient, retried after a bounded backoff;
* any other BadRequest or TelegramError: recorded as failed (retrying the same payload would
  not help);
* InvalidToken / EndPointNotFound, and anything that is not a TelegramError: raised, so a
  configuration error or a bug stops the round instead of being written into a million
  delivery records.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

__all__ = ["CHAT_GONE_MARKERS", "Action", "Verdict", "classify", "retry_after_seconds"]

CHAT_GONE_MARKERS = ("chat not found", "user not found", "peer_id_invalid")


class Action(Enum):
    RETRY_AFTER = "retry_after"  # wait `seconds` (the whole bot waits), then resend
    MIGRATE = "migrate"  # move the chat to `new_chat_id`, then resend
    CHAT_GONE = "chat_gone"  # deactivate the subscription with `reason`
    RETRY = "retry"  # transient: back off, then resend (a bounded number of times)
    GIVE_UP = "give_up"  # record the failure; resending would not help
    RAISE = "raise"  # stop the round: configuration error or a bug


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    error: str = ""  # what the delivery record says, e.g. "Forbidden", "TimedOut"
    seconds: float = 0.0  # RETRY_AFTER: how long Telegram asked us to wait
    new_chat_id: int | None = None  # MIGRATE
    reason: str = ""  # CHAT_GONE: why the subscription ends ("blocked", "chat_not_found")


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 deprecates the int form; either form is fine here
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(exc: BaseException) -> Verdict:
    """The action for a send that raised `exc` (see the module docstring)."""
    match exc:
        case RetryAfter():
            return Verdict(Action.RETRY_AFTER, "RetryAfter", seconds=retry_after_seconds(exc))
        case Forbidden():
            return Verdict(Action.CHAT_GONE, "Forbidden", reason="blocked")
        case ChatMigrated():
            return Verdict(Action.MIGRATE, "ChatMigrated", new_chat_id=int(exc.new_chat_id))
        # BadRequest before NetworkError: it is a subclass of it.
        case BadRequest() if any(m in exc.message.lower() for m in CHAT_GONE_MARKERS):
            return Verdict(Action.CHAT_GONE, "ChatNotFound", reason="chat_not_found")
        case BadRequest():
            return Verdict(Action.GIVE_UP, "BadRequest")
        case NetworkError():  # TimedOut, connection errors, 5xx
            return Verdict(Action.RETRY, type(exc).__name__)
        case InvalidToken() | EndPointNotFound():
            return Verdict(Action.RAISE, type(exc).__name__)
        case TelegramError():
            return Verdict(Action.GIVE_UP, type(exc).__name__)
        case _:
            return Verdict(Action.RAISE, type(exc).__name__)
