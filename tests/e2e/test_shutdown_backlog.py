"""No acknowledged update is lost (issue 16, item 2), with the real bot process.

Telegram keeps an update until a later getUpdates passes a higher offset; the stand-in does
the same (`pending_updates` is what it still holds). With a backlog queued before the bot
starts:

- polling never asks for more updates than the bot has room for (`MAX_IN_FLIGHT`);
- SIGTERM a few seconds in: every update the stand-in no longer holds was answered, and
  after a restart the rest are answered too: none lost;
- kill -9: at most `MAX_IN_FLIGHT` updates lost;
- a shutdown that runs out of time (a reply held back 30 s) cancels that update cleanly,
  logs no "HTTPXRequest is not initialized" error and no "never awaited" warning, and says
  whether it was lost (confirmed already) or is delivered again (not confirmed yet).
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.telegram.inflight import MAX_IN_FLIGHT, InFlight
from bot.telegram.polling import start_polling
from tests.support.botapi import BotApiStandIn
from tests.support.e2e_helpers import TOKEN, BotProcess, Chat, bot_env
from tests.support.standin_fixtures import check_wire, standin  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(180)

CHATS = 30
PER_CHAT = 10  # FLOOD_LIMIT is 20 a minute
BAD_SHUTDOWN = ("HTTPXRequest is not initialized", "never awaited", "Traceback")


def queue_backlog(standin: BotApiStandIn) -> list[Chat]:
    chats = [Chat(standin, f"User{i}") for i in range(CHATS)]
    for _ in range(PER_CHAT):
        for chat in chats:
            chat.send("/help")  # one reply each
    return chats


def answered(standin: BotApiStandIn) -> Counter[int]:
    return Counter(c.chat_id for c in standin.calls_for("sendMessage"))


def fetched_ids(standin: BotApiStandIn) -> list[int]:
    return [u["update_id"] for c in standin.calls_for("getUpdates") for u in c.result or []]


async def restart_until_answered(standin: BotApiStandIn, tmp_path: Path, count: int) -> BotProcess:
    """Start the bot again; stop it once `count` more messages were sent."""
    mark = standin.mark()
    bot = BotProcess(bot_env(standin, tmp_path / "data"), tmp_path / "run2")
    await bot.start()
    try:
        await standin.wait_for("sendMessage", count, timeout=90, after=mark)
        await asyncio.sleep(0.5)  # nothing more comes
        code, _ = await bot.stop()
        assert code == 0, bot.tail()
    finally:
        await bot.close()
    return bot


@pytest.mark.parametrize("how", ["SIGTERM", "kill -9"])
async def test_a_stop_with_a_backlog_loses_nothing_acknowledged(tmp_path: Path, how: str):
    async with BotApiStandIn(TOKEN) as standin:
        chats = queue_backlog(standin)
        total = CHATS * PER_CHAT
        bot = BotProcess(bot_env(standin, tmp_path / "data"), tmp_path / "run")
        await bot.start()
        try:
            await standin.wait_for("sendMessage", 60, timeout=60)  # two seconds' worth
            if how == "SIGTERM":
                code, seconds = await bot.stop(signal.SIGTERM)
                assert code == 0 and seconds < 10, bot.tail()
                assert not [line for line in bot.lines if any(b in line for b in BAD_SHUTDOWN)]
            else:
                await bot.kill()
        finally:
            await bot.close()
        # Never more fetched than there was room for, and only what was asked for.
        limits = [c.params.get("limit") for c in standin.calls_for("getUpdates")]
        assert limits and all(isinstance(n, int) and 1 <= n <= MAX_IN_FLIGHT for n in limits)
        held = {u["update_id"] for u in standin.pending_updates}
        confirmed = total - len(held)
        first_run = sum(answered(standin).values())
        if how == "SIGTERM":
            assert first_run == confirmed  # everything let go of was answered
        else:
            assert confirmed - first_run <= MAX_IN_FLIGHT
        assert len(set(fetched_ids(standin))) < total  # a backlog stayed at Telegram

        restarted = await restart_until_answered(standin, tmp_path, len(held))
        assert not [line for line in restarted.lines if "Traceback" in line]
        assert standin.pending_updates == []
        per_chat = answered(standin)
        lost = sum(max(0, PER_CHAT - per_chat[chat.id]) for chat in chats)
        if how == "SIGTERM":
            assert lost == 0, per_chat
            assert sum(per_chat.values()) == total  # and none answered twice
        else:
            assert lost <= MAX_IN_FLIGHT
        check_wire(standin)


async def test_a_shutdown_out_of_time_cancels_cleanly_and_says_what_was_lost(tmp_path: Path):
    async with BotApiStandIn(TOKEN) as standin:
        bot = BotProcess(bot_env(standin, tmp_path / "data"), tmp_path / "run")
        await bot.start()
        try:
            await bot.wait_ready()
            chat = Chat(standin)
            await chat.say_one("/start")
            mark = standin.mark()
            standin.fail_next("sendMessage", 429, retry_after=30)  # far beyond the budget
            chat.send("/help")
            await standin.wait_for("sendMessage", after=mark, include_failed=True)
            code, seconds = await bot.stop(signal.SIGTERM)
            assert code == 0 and seconds < 10, bot.tail()
        finally:
            await bot.close()
    log = bot.log()
    assert "1 update(s) in progress still running" in log and "abandoning them" in log
    assert "stopped at the time limit" in log
    # The next getUpdates (there was room) confirmed it: not answered, and said so.
    assert "1 update(s) taken from Telegram could not be answered before the stop: lost" in log
    assert not [line for line in bot.lines if any(b in line for b in BAD_SHUTDOWN)], log


async def test_polling_takes_only_what_there_is_room_for_and_leaves_the_rest_at_telegram(
    standin: BotApiStandIn,
):
    """In process: two slots, handlers that never finish. Polling takes two updates and
    asks for no more; at the stop the two are cancelled and not confirmed, so Telegram still
    holds all five (and would deliver them to the next process)."""
    started: list[int] = []

    async def stuck(update: Update, context: object) -> None:
        started.append(update.update_id)
        await asyncio.Event().wait()

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(standin.base_url)
        .concurrent_updates(InFlight(2))
        .updater(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, stuck))
    ids = [standin.private_message(f"question {i}")["update_id"] for i in range(5)]
    await app.initialize()
    poller = await start_polling(app, timeout=1)
    await app.start()
    try:
        for _ in range(200):
            if len(started) == 2:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)  # time to ask for more, if it would
        assert started == ids[:2]
        asks = standin.calls_for("getUpdates")
        assert [c.params.get("limit") for c in asks if c.result] == [2]
        assert poller.fetched == 2
    finally:
        await poller.stop()
        assert app.update_processor.cancel() == 2  # type: ignore[attr-defined]
        await app.stop()
        await poller.confirm()
        await app.shutdown()
    assert [u["update_id"] for u in standin.pending_updates] == ids
