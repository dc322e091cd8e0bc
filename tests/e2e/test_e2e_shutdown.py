"""Graceful shutdown of the real bot process: SIGTERM (and SIGINT) in both modes.

The bot stops taking updates, lets the update in flight finish (here: a reply held back by a
429 from the Bot API), closes the database and exits 0 within 10 seconds; when work cannot
finish in time, it is abandoned at the budget and the process still exits 0 within 10 s.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from tests.support.botapi import BotApiStandIn
from tests.support.e2e_helpers import BotProcess, Chat, bot_env, free_port, webhook_env
from tests.support.standin_fixtures import check_wire, standin  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(60)


async def start_bot(standin: BotApiStandIn, tmp_path: Path, mode: str) -> tuple[BotProcess, int]:
    port = free_port()
    extra = webhook_env(port) if mode == "webhook" else {}
    args = ("--webhook",) if mode == "webhook" else ()
    bot = BotProcess(bot_env(standin, tmp_path / "data", **extra), tmp_path / "run", *args)
    await bot.start()
    await bot.wait_ready()
    return bot, port


@pytest.mark.parametrize(
    ("mode", "sig"),
    [("polling", signal.SIGTERM), ("webhook", signal.SIGTERM), ("polling", signal.SIGINT)],
    ids=["polling-SIGTERM", "webhook-SIGTERM", "polling-SIGINT"],
)
async def test_a_signal_lets_the_update_in_flight_finish_then_exits_0(
    standin: BotApiStandIn, tmp_path: Path, mode: str, sig: signal.Signals
):
    bot, port = await start_bot(standin, tmp_path, mode)
    try:
        if mode == "polling":  # PORT not set: no HTTP listener in polling mode
            assert "listening on" not in bot.log()
        chat = Chat(standin)
        assert "Hi!" in (await chat.say_one("/start")).plain
        mark = standin.mark()
        standin.fail_next("sendMessage", 429, retry_after=2)
        chat.send("/help")
        [refused] = await standin.wait_for(
            "sendMessage", after=mark, include_failed=True, where=lambda c: c.fault == "429"
        )

        code, seconds = await bot.stop(sig)
        print(f"\n{mode} {sig.name}: exit {code} in {seconds:.2f} s")
        assert code == 0, bot.tail()
        assert seconds < 10
        # The update in flight was finished: its reply went out after the signal.
        [reply] = chat.sent_to(after=mark)
        assert "/optout" in reply.plain
        assert reply.time - refused.time >= 1.9
        log = bot.log()
        assert f"{sig.name} received" in log and "stopped cleanly" in log
        assert "Traceback" not in log
        if mode == "polling":  # fetched updates were confirmed: none comes again
            assert standin.pending_updates == []
        else:  # not taking updates any more
            with pytest.raises(httpx.ConnectError):
                async with httpx.AsyncClient() as client:
                    await client.post(f"http://127.0.0.1:{port}/telegram", content=b"{}")
        check_wire(standin)
    finally:
        await bot.close()


async def test_shutdown_is_bounded_when_an_update_cannot_finish(
    standin: BotApiStandIn, tmp_path: Path
):
    bot, _ = await start_bot(standin, tmp_path, "polling")
    try:
        chat = Chat(standin)
        await chat.say_one("/start")
        mark = standin.mark()
        standin.fail_next("sendMessage", 429, retry_after=30)  # far beyond the budget
        chat.send("/help")
        await standin.wait_for(
            "sendMessage", after=mark, include_failed=True, where=lambda c: c.fault == "429"
        )
        code, seconds = await bot.stop(signal.SIGTERM)
        print(f"\nbounded shutdown: exit {code} in {seconds:.2f} s")
        assert code == 0, bot.tail()
        assert seconds < 10
        assert "abandoning them" in bot.log() and "stopped at the time limit" in bot.log()
    finally:
        await bot.close()
