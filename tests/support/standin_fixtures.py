"""Fixtures for tests that run the real PTB application against the Bot API stand-in.

Import them explicitly where needed::

    from tests.support.standin_fixtures import running_bot, standin  # noqa: F401
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.clock import FakeClock
from bot.config import Config, load_config
from bot.knowledge.model import KnowledgeBase
from bot.telegram.lifecycle import build_application
from bot.telegram.polling import Poller, start_polling
from tests.support.botapi import BotApiStandIn

TOKEN = "123:TEST"


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    server = BotApiStandIn(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


_pollers: dict[int, Poller] = {}


async def start_bot(app: Application) -> None:
    """Start as `bot.telegram.serve` does (post_init, the bounded poller), in this loop."""
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    _pollers[id(app)] = await start_polling(app, timeout=1)
    await app.start()


async def stop_bot(app: Application) -> None:
    """Stop as `bot.telegram.serve` does: poller, application, confirm, shutdown, post_shutdown."""
    poller = _pollers.pop(id(app), None)
    try:
        if poller is not None:
            await poller.stop()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        if poller is not None:
            await poller.confirm()
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


ADMIN_ID = 777


@pytest.fixture
async def running_bot(
    standin: BotApiStandIn, kb: KnowledgeBase, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Application]:
    """The real application, polling the stand-in in this event loop (SQLite in tmp_path)."""
    config = load_config(
        {
            "BOT_TOKEN": TOKEN,
            "BOT_API_URL": standin.base_url,
            "DATA_DIR": str(tmp_path / "data"),
            # Tests send bursts from one chat; flood control has its own test.
            "FLOOD_LIMIT": "10000",
            "ADMIN_IDS": str(ADMIN_ID),
        }
    )
    app = build_application(config, kb, clock)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    await start_bot(app)
    try:
        yield app
    finally:
        await stop_bot(app)


# Failures the bot provokes on purpose and handles: not a sign of a bad payload.
TOLERATED_ERRORS = (
    "message is not modified",  # editing a message into what it already shows
    "terminated by other getUpdates request",  # PTB's last getUpdates during shutdown
)


def check_wire(standin: BotApiStandIn) -> None:
    """What every test through the stand-in must leave behind, whatever it exercised.

    HTML parse mode on every message, text within 4,096 characters, callback data within
    64 bytes and decodable by the bot, callback-query toasts within 200 characters, and no
    call rejected by the stand-in except the failures a test injected.
    """
    from bot.callbacks import decode  # local: keep this module importable without the bot

    for call in standin.calls:
        if call.method in ("sendMessage", "editMessageText"):
            assert call.params.get("parse_mode") == "HTML", call
            if call.ok:
                assert 0 < len(call.plain or "") <= 4096, call
            for data in call.callback_data:
                assert len(data.encode("utf-8")) <= 64, (call, data)
                assert decode(data) is not None, (call, data)
        if call.method == "sendDocument":
            assert call.params.get("parse_mode") == "HTML", call
            assert len(call.plain or "") <= 1024, call
        if call.method == "answerCallbackQuery":
            assert len(call.params.get("text") or "") <= 200, call
        if not call.ok and call.fault is None:
            description = (call.error or {}).get("description", "")
            assert any(t in description for t in TOLERATED_ERRORS), (
                f"the stand-in rejected a call the bot made: {call!r}: {description}"
            )


def standin_config(standin: BotApiStandIn, data_dir: Path) -> Config:
    """The configuration of a bot talking to `standin`, storing under `data_dir`."""
    return load_config(
        {
            "BOT_TOKEN": TOKEN,
            "BOT_API_URL": standin.base_url,
            "DATA_DIR": str(data_dir),
            "FLOOD_LIMIT": "10000",
        }
    )


@contextlib.asynccontextmanager
async def restartable_bot(
    standin: BotApiStandIn, config: Config, kb: KnowledgeBase, clock: FakeClock
) -> AsyncIterator[Callable[[], Awaitable[Application]]]:
    """A started application; calling the yielded function restarts it on the same database."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    running: list[Application] = []

    async def start() -> Application:
        app = build_application(config, kb, clock)
        await start_bot(app)
        running.append(app)
        return app

    async def restart() -> Application:
        await stop_bot(running.pop())
        return await start()

    await start()
    try:
        yield restart
    finally:
        while running:
            await stop_bot(running.pop())
        check_wire(standin)
