"""A database that cannot be used at start-up: one line naming it, after DB_TIMEOUT at most.

`python -m bot run` prints the store's own line for the operator (what failed, what to
check, the password masked), not wrapped in "start-up failed: StorageUnavailable: ...", and
a database that accepts connections but never answers ends start-up after `DB_TIMEOUT`
seconds (the store's start-up check), not the driver's default minute.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.botapi import BotApiStandIn
from tests.support.e2e_helpers import TOKEN, BotProcess, bot_env, free_port
from tests.support.tcp_proxy import silent_listener

pytestmark = pytest.mark.timeout(90)


async def start_up_line(tmp_path: Path, **env: str) -> tuple[list[str], BotProcess, float]:
    async with BotApiStandIn(TOKEN) as standin:
        bot = BotProcess(bot_env(standin, tmp_path / "data", **env), tmp_path / "run")
        started = time.monotonic()
        await bot.start()
        try:
            assert await bot.wait_exit(60) == 2, bot.tail()
        finally:
            await bot.close()
    lines = [line for line in bot.lines if line.startswith("optout-bot:")]
    return lines, bot, time.monotonic() - started


async def test_a_refused_database_is_the_stores_own_line(tmp_path: Path):
    port = free_port()  # nothing listens there
    url = f"postgresql://bot:s3cret-pw@127.0.0.1:{port}/optout"
    lines, bot, _ = await start_up_line(tmp_path, DATABASE_URL=url)
    assert lines == [
        f"optout-bot: cannot reach the database at 127.0.0.1:{port} (connection refused): "
        "is PostgreSQL running and accepting connections? "
        f"DATABASE_URL=postgresql://bot:***@127.0.0.1:{port}/optout"
    ]
    assert "Traceback" not in bot.log() and "s3cret-pw" not in bot.log()


async def test_a_database_that_never_answers_fails_start_up_after_db_timeout(tmp_path: Path):
    async with silent_listener() as port:
        url = f"postgresql://bot@127.0.0.1:{port}/optout"
        lines, bot, seconds = await start_up_line(tmp_path, DATABASE_URL=url, DB_TIMEOUT="1")
    assert len(lines) == 1 and "(no answer in 1 s)" in lines[0], lines
    assert "Traceback" not in bot.log()
    assert seconds < 20  # start-up itself (Python, the knowledge base) takes a few seconds
