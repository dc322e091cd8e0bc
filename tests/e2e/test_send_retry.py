"""A failed send is retried, not replaced (issue 16, item 3), through the real bot.

The Bot API stand-in fails the next sendMessage the way Telegram's front end does: a 502
page, a 500, a connection closed without an answer, a connection that hangs past PTB's read
timeout. The bot sends the same answer again and the user gets it, not the apology. Only
when sending keeps failing beyond the retry budget does the user get the apology. A 400
(Telegram refused the message itself) is not retried; a 429 is waited out by the send
budget (tests/e2e/test_telegram_conversation.py).
"""

from __future__ import annotations

import logging

import pytest

from bot.telegram.context import services_of
from bot.telegram.handlers import SORRY
from bot.telegram.retry import RETRY_BUDGET
from tests.support.botapi import BotApiStandIn
from tests.support.standin_fixtures import check_wire, running_bot, standin  # noqa: F401 - fixtures

pytestmark = pytest.mark.timeout(90)

USER = 1001


@pytest.mark.parametrize(
    ("kind", "seconds"),
    [(502, 0.0), (500, 0.0), ("stall", 0.2), ("stall", 30.0)],
    ids=["502", "500", "connection-closed", "timed-out"],
)
async def test_a_transient_failure_is_retried_and_the_answer_arrives(
    standin: BotApiStandIn,
    running_bot,
    caplog: pytest.LogCaptureFixture,
    kind: int | str,
    seconds: float,
):
    caplog.set_level(logging.INFO, logger="optout_bot.telegram")
    expected = services_of(running_bot).responder.help_text()
    standin.fail_next("sendMessage", kind, seconds=seconds)
    mark = standin.mark()
    standin.private_message("/help")
    failed, sent = await standin.wait_for(
        "sendMessage", 2, timeout=20, after=mark, include_failed=True
    )
    assert failed.fault == str(kind) and not failed.ok
    assert sent.ok and sent.text == expected
    assert sent.time - failed.time < RETRY_BUDGET
    assert not standin.calls_for("sendMessage", after=mark, where=lambda c: c.text == SORRY)
    assert any("sendMessage failed" in m and "trying again" in m for m in caplog.messages)
    assert not any("error while handling an update" in m for m in caplog.messages)
    check_wire(standin)


async def test_a_send_failing_past_the_budget_gets_the_apology(standin: BotApiStandIn, running_bot):
    standin.fail_next("sendMessage", 502, times=5)  # attempts at 0, 0.5, 1.5, 3.5 and 7.5 s
    mark = standin.mark()
    standin.private_message("/help")
    calls = await standin.wait_for("sendMessage", 6, timeout=30, after=mark, include_failed=True)
    assert [c.fault for c in calls] == ["502"] * 5 + [None]
    assert calls[-1].text == SORRY
    assert calls[4].time - calls[0].time < RETRY_BUDGET
    check_wire(standin)


async def test_a_refused_message_is_not_retried(standin: BotApiStandIn, running_bot):
    standin.fail_next("sendMessage", 400, description="Bad Request: message is too long")
    mark = standin.mark()
    standin.private_message("/help")
    calls = await standin.wait_for("sendMessage", 2, after=mark, include_failed=True)
    assert [c.fault for c in calls] == ["400", None]
    assert calls[1].text == SORRY
    check_wire(standin)
