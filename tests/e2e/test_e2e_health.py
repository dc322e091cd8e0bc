"""`/healthz`: 200 only when the bot is serving with a working database and scheduler.

End to end: while the bot is still starting (here: Telegram asks it to wait before getMe),
the port is already bound, `/healthz` says 503 "starting" and webhook updates get 503 (so
Telegram delivers them again later); once started, 200. The failure reports of the database
and scheduler checks are exercised directly on `bot.telegram.health`.
"""

from __future__ import annotations

import json

import httpx
import pytest
from telegram.ext import Application

from bot.store import Store
from bot.store.db import make_engine
from bot.telegram.health import check_database, check_scheduler, health_report
from tests.support.botapi import BotApiStandIn
from tests.support.e2e_helpers import SECRET, TOKEN, BotProcess, bot_env, free_port, webhook_env

pytestmark = pytest.mark.timeout(60)


async def test_starting_is_503_and_webhook_updates_wait_until_ready(tmp_path):
    async with BotApiStandIn(TOKEN) as standin:
        standin.fail_next("getMe", 429, retry_after=3)  # start-up is held up for 3 s
        port = free_port()
        env = bot_env(standin, tmp_path / "data", **webhook_env(port))
        bot = await BotProcess(env, tmp_path / "run", "--webhook").start()
        try:
            await bot.wait_for_log("listening on", timeout=20)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                early = await client.get("/healthz")
                update = await client.post(
                    "/telegram",
                    content=b'{"update_id": 1}',
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                assert "webhook registered" not in bot.log()  # still starting meanwhile
                await bot.wait_ready()
                ready = await client.get("/healthz")
            assert early.status_code == 503
            body = early.json()
            assert body["status"] == "starting" and body["database"]["ok"] is False
            assert early.headers["Cache-Control"] == "no-store"
            assert update.status_code == 503  # not accepted: Telegram delivers it again later
            assert ready.status_code == 200 and ready.json()["status"] == "ok"
            code, seconds = await bot.stop()
            assert code == 0 and seconds < 10
        finally:
            await bot.close()


async def test_an_unreachable_database_is_reported_without_its_address():
    store = Store(make_engine("postgresql+asyncpg://bot:pa55word@127.0.0.1:9/optout"))
    try:
        report = await check_database(store)
    finally:
        await store.close()
    assert report == {"ok": False, "backend": "postgresql", "error": "connection refused"}
    assert "pa55word" not in json.dumps(report) and "127.0.0.1" not in json.dumps(report)
    assert await check_database(None) == {"ok": False, "error": "not open"}


async def test_a_stopped_scheduler_makes_the_bot_unhealthy(tmp_path):
    app = Application.builder().token(TOKEN).build()  # its JobQueue was never started
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        assert check_scheduler(app) == {"ok": False, "running": False, "reminder_jobs": 0}
        report = await health_report(app, store, state="running", mode="polling")
    finally:
        await store.close()
    assert report.status_code == 503
    assert report.body["status"] == "unhealthy"
    assert report.body["database"]["ok"] is True
