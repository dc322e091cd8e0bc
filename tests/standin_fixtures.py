"""Fixtures for tests that run the real PTB application against the Bot API stand-in.

Import them explicitly where needed::

    from tests.standin_fixtures import running_bot, standin  # noqa: F401
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from telegram import Update
from telegram.ext import Application

from bot.clock import FakeClock
from bot.config import load_config
from bot.knowledge.model import KnowledgeBase
from bot.telegram_app import build_application
from tests.botapi_standin import BotApiStandIn

TOKEN = "123:TEST"


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    server = BotApiStandIn(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def start_bot(app: Application) -> None:
    """Start as `Application.run_polling` does (including post_init), without owning the loop."""
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await app.start()


async def stop_bot(app: Application) -> None:
    """Stop as `run_polling` does: updater, application, post_stop, shutdown, post_shutdown."""
    try:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


@pytest.fixture
async def running_bot(
    standin: BotApiStandIn, kb: KnowledgeBase, clock: FakeClock
) -> AsyncIterator[Application]:
    """The real application, polling the stand-in in this event loop."""
    config = load_config({"BOT_TOKEN": TOKEN, "BOT_API_URL": standin.base_url})
    app = build_application(config, kb, clock)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    await start_bot(app)
    try:
        yield app
    finally:
        await stop_bot(app)
