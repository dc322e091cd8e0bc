"""Answering through a database outage (issue 16, item 1).

End to end: the real bot process (`python -m bot run`) talks to the Bot API stand-in and to
PostgreSQL through a TCP proxy the test closes (a stopped server) and reopens: while it is
closed, questions, /optout, /deadline, /faq and inline mode are answered, commands and
buttons that need settings say that settings are unavailable and nothing was lost, and
/healthz says 503 with the reason; once it is open again, settings work again and what was
stored before is still there, without a restart. Around it, the parts one by one: the
outage helpers, the operator's flush and a reminder round that meet an outage (one warning,
no traceback), and /healthz on a full SQLite disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from telegram.ext import Application

from bot.app import build_services
from bot.clock import FakeClock, SystemClock
from bot.config import load_config
from bot.core.commands import Router
from bot.core.context import ChatContext, Knowledge, LiveKnowledge
from bot.core.responder import Responder
from bot.features.outage import (
    SETTINGS_UNAVAILABLE,
    SKIP_READS_FOR,
    StorageWatch,
    guard_remember,
    guard_routes,
)
from bot.knowledge.model import REGION_NAMES, Deadline, KnowledgeBase
from bot.reminders.plan import Round
from bot.render.html import split_message
from bot.render.platforms import render_steps
from bot.replies import Reply
from bot.sendbudget import shared_rate_limiter
from bot.store import StorageUnavailable, Store
from bot.store.db import make_engine
from bot.telegram.health import health_report
from bot.telegram.lifecycle import _flush_operator
from tests.support.botapi import BotApiStandIn
from tests.support.e2e_helpers import TOKEN, BotProcess, Chat, bot_env, free_port
from tests.support.store_fixtures import _find_pg_url, pg_execute
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.timeout(120)

REFUSED = "postgresql+asyncpg://postgres@127.0.0.1:9/optout"  # the discard port: refused


# -- the helpers -------------------------------------------------------------------------------


async def test_the_watch_logs_one_warning_per_outage_and_pauses_reads(
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG, logger="bot.features.outage")
    now = [100.0]
    watch = StorageWatch(skip_reads_for=5.0, now=lambda: now[0])
    reads = 0

    async def load() -> ChatContext:
        nonlocal reads
        reads += 1
        raise StorageUnavailable("connection refused")

    async def defaults() -> ChatContext:
        return ChatContext(chat_id=1, region="uk")

    for _ in range(3):
        ctx = await watch.settings_or_defaults(load, defaults)
        assert ctx.region == "uk"
    assert reads == 1  # the next reads were skipped for a while
    now[0] += 6
    await watch.settings_or_defaults(load, defaults)
    assert reads == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "connection refused" in warnings[0].getMessage()

    async def stored() -> ChatContext:
        return ChatContext(chat_id=1, region="eu")

    now[0] += 6
    assert (await watch.settings_or_defaults(stored, defaults)).region == "eu"
    assert not watch.down and "storage is back" in caplog.messages[-1]


async def test_guarded_routes_say_settings_are_unavailable():
    async def needs_storage(args: str, ctx: ChatContext) -> list[Reply]:
        raise StorageUnavailable("timed out")

    async def fine(args: str, ctx: ChatContext) -> list[Reply]:
        return [Reply("fine")]

    watch = StorageWatch()
    routes = guard_routes(
        Router()
        .command("remind", needs_storage, "Remind")
        .command("x", fine)
        .button("c", needs_storage),
        watch,
    )
    assert routes.commands["remind"].description == "Remind"
    [reply] = await routes.commands["remind"].handler("", ChatContext())
    assert reply.text == SETTINGS_UNAVAILABLE and reply.toast
    [reply] = await routes.buttons["c"]("instagram:done", ChatContext())
    assert reply.text == SETTINGS_UNAVAILABLE
    assert [r.text for r in await routes.commands["x"].handler("", ChatContext())] == ["fine"]
    assert watch.down and watch.reason == "timed out"


async def test_a_region_tapped_during_an_outage_answers_without_being_remembered(
    knowledge: Knowledge, kb: KnowledgeBase
):
    async def remember(region: str, ctx: ChatContext) -> bool:
        raise StorageUnavailable("connection refused")

    watch = StorageWatch()
    responder = Responder(
        LiveKnowledge(knowledge), SystemClock(), remember_region=guard_remember(remember, watch)
    )
    [reply] = await responder.callback("g:instagram:uk", ChatContext(chat_id=1))
    assert "I can't save your region right now" in reply.text and "Region set" not in reply.text
    assert render_steps(kb.platforms["instagram"], "uk") in reply.text
    assert reply.toast == f"Region: {REGION_NAMES['uk']}"
    assert watch.down and watch.reason == "connection refused"


# -- background work meets an outage ----------------------------------------------------------


@pytest.fixture
async def unreachable() -> AsyncIterator[Store]:
    store = Store(make_engine(REFUSED, timeout=1.0))
    try:
        yield store
    finally:
        await store.close()


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_without_settings_the_defaults_and_the_questions_language_are_used(
    unreachable: Store, kb: KnowledgeBase, clock: FakeClock
):
    services = build_services(load_config({"DEFAULT_REGION": "uk"}), kb, unreachable, clock=clock)
    question = "Wie kann ich verhindern, dass Instagram meine Fotos für KI verwendet?"
    ctx = await services.context_or_defaults(5, 6, text=question, language_code="en")
    assert (ctx.chat_id, ctx.user_id, ctx.region, ctx.language) == (5, 6, "uk", "de")
    # A message that says nothing about its language: Telegram's language code.
    assert (
        await services.context_or_defaults(5, 6, text="ok", language_code="fr")
    ).language == "fr"
    assert services.storage.down


async def test_during_an_outage_a_chat_keeps_the_language_it_was_last_answered_in(
    unreachable: Store, kb: KnowledgeBase, clock: FakeClock
):
    """A reader who chose German (Telegram in English) and types /remind while the database
    is down reads "settings unavailable" in German: the process remembers the chat's last
    reply language, the database is not needed for it."""
    services = build_services(load_config({}), kb, unreachable, clock=clock)
    services.languages.choose(ChatContext(chat_id=5), "Wie widerspreche ich bei Instagram?", "en")
    ctx = await services.context_or_defaults(5, 6, text="/remind", language_code="en")
    assert ctx.language == "de"
    # A chat this process never answered: Telegram's language, as before.
    assert (
        await services.context_or_defaults(9, 9, text="/remind", language_code="en")
    ).language == "en"


async def test_an_operator_flush_during_an_outage_is_one_warning(
    unreachable: Store, kb: KnowledgeBase, clock: FakeClock, caplog: pytest.LogCaptureFixture
):
    config = load_config({"LOG_UNMATCHED": "true"})
    services = build_services(config, kb, unreachable, clock=clock)
    services.operator.record(services.knowledge.current.matcher.match("hello there"), "x")
    for _ in range(2):
        await _flush_operator(SimpleNamespace(services=services))  # type: ignore[arg-type]
    [warning] = problems(caplog)
    assert "storage unavailable (connection refused)" in warning.getMessage()
    assert warning.exc_info is None
    assert services.operator._counts  # kept for the next flush


async def test_a_reminder_round_during_an_outage_is_one_warning_and_runs_again_later(
    unreachable: Store, kb: KnowledgeBase, clock: FakeClock, caplog: pytest.LogCaptureFixture
):
    config = load_config({"BOT_TOKEN": TOKEN})
    application = Application.builder().token(TOKEN).rate_limiter(shared_rate_limiter(30)).build()
    services = build_services(config, kb, unreachable, clock=clock, application=application)
    scheduler = services.scheduler
    assert scheduler is not None
    deadline = Deadline(
        id="soon",
        title="Something soon",
        at=clock.now() + timedelta(days=3),
        timezone="UTC",
        regions=("eu",),
        platforms=("instagram",),
        before="Act now.",
        after="Too late.",
    )
    rnd = Round(deadline, 86_400, deadline.at - timedelta(days=1))
    job = SimpleNamespace(data=rnd)
    await scheduler._run(SimpleNamespace(job=job))  # type: ignore[arg-type]
    [warning] = problems(caplog)
    assert f"reminder round {rnd.job_id} interrupted" in warning.getMessage()
    assert "connection refused" in warning.getMessage() and warning.exc_info is None
    [again] = [j for j in application.job_queue.jobs() if j.name == rnd.job_id]
    wait = again.job.trigger.run_date - datetime.now(UTC)  # the JobQueue keeps real time
    assert timedelta(seconds=55) <= wait <= timedelta(seconds=61)
    await services.close()


# -- /healthz on a full SQLite disk ------------------------------------------------------------


async def test_healthz_is_503_with_the_reason_when_sqlite_cannot_write(tmp_path: Path):
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'optout.sqlite3'}")
    pinned: dict[str, int | None] = {"pages": None}

    @event.listens_for(store.engine.sync_engine, "begin")
    def _pin(conn: Any) -> None:
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pinned['pages'] or 1073741823}")

    application = Application.builder().token(TOKEN).build()
    try:
        async with store.engine.connect() as conn:
            pinned["pages"] = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
        report = await health_report(application, store, state="running", mode="polling")
        assert report.status_code == 503
        assert report.body["status"] == "unhealthy"
        assert report.body["database"] == {"ok": False, "backend": "sqlite", "error": "disk full"}
        pinned["pages"] = None
        report = await health_report(application, store, state="running", mode="polling")
        assert report.body["database"]["ok"] is True
    finally:
        await store.close()


# -- end to end: PostgreSQL stopped and back ----------------------------------------------------


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A database of its own on the test server (the bot process cannot be given a schema)."""
    url, error = await _find_pg_url()
    if url is None:
        pytest.fail(f"PostgreSQL is not reachable: {error}", pytrace=False)
    name = f"optout_e2e_{uuid.uuid4().hex[:10]}"
    await pg_execute(url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        await pg_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def healthz(port: int) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"http://127.0.0.1:{port}/healthz")


@contextlib.asynccontextmanager
async def bot_behind_proxy(
    database: str, tmp_path: Path
) -> AsyncIterator[tuple[BotApiStandIn, TcpProxy, BotProcess, int]]:
    """The bot process over the stand-in, ready, reaching PostgreSQL through a proxy the test
    can cut or hang (`DB_TIMEOUT=1`); also the port of its `/healthz`."""
    target = make_url(database)
    async with (
        BotApiStandIn(TOKEN) as standin,
        TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy,
    ):
        through_proxy = target.set(drivername="postgresql", host="127.0.0.1", port=proxy.port)
        port = free_port()
        env = bot_env(
            standin,
            tmp_path / "data",
            DATABASE_URL=through_proxy.render_as_string(hide_password=False),
            DB_TIMEOUT="1",
            PORT=str(port),
            LISTEN="127.0.0.1",
        )
        bot = BotProcess(env, tmp_path / "run")
        await bot.start()
        try:
            await bot.wait_ready(30)
            yield standin, proxy, bot, port
        finally:
            await bot.close()


async def test_a_stopped_postgresql_degrades_to_answers_without_settings_and_recovers(
    database: str, knowledge: Knowledge, kb: KnowledgeBase, tmp_path: Path
):
    async with bot_behind_proxy(database, tmp_path) as (standin, proxy, bot, port):
        chat = Chat(standin, "Dora")
        assert "Region set" in (await chat.say_one("/region uk")).plain
        assert "Reminders are on" in (await chat.say_one("/remind")).plain
        question = "how do I stop instagram using my photos for AI"
        topic = kb.topics[knowledge.matcher.match(question).topic or ""]
        assert (await healthz(port)).status_code == 200

        await proxy.close()  # PostgreSQL is gone
        log_mark = bot.mark()
        answer = await chat.say_one(question, timeout=15)
        assert topic.text().question in answer.plain  # the FAQ still answers
        for command in ("/remind 3d", "/status", "/region eu", "/timezone Europe/Paris"):
            reply = await chat.say_one(command, timeout=15)
            assert reply.text == SETTINGS_UNAVAILABLE, (command, reply.plain)
        faq = await chat.say_one("/faq")
        assert "Questions I can answer" in faq.plain
        [expected] = await Responder(LiveKnowledge(knowledge), SystemClock()).command(
            "deadline", "", ChatContext()
        )
        parts = await chat.say("/deadline", len(split_message(expected.text)))
        assert "Dates for every region are shown" in parts[-1].plain  # no stored region
        menu = await chat.say_one("/optout")
        _, ask = await chat.press(menu, "Instagram")  # no stored region: "Where do you live?"
        assert "g:instagram:uk" in ask.callback_data
        _, steps = await chat.press(ask, REGION_NAMES["uk"])  # answered, not remembered
        assert "I can't save your region right now" in steps.plain
        assert "United Kingdom" in steps.plain and "c:instagram:done" in steps.callback_data
        _, ticked = await chat.press(steps, data="c:instagram:done")
        assert ticked.text == SETTINGS_UNAVAILABLE
        mark = standin.mark()
        standin.inline_query("instagram", user=chat.user)
        [inline] = await standin.wait_for("answerInlineQuery", after=mark)
        assert inline.ok and inline.params["results"]
        health = await healthz(port)
        assert health.status_code == 503
        assert health.json()["database"]["error"] == "connection refused"
        outage_log = bot.log(log_mark)
        assert outage_log.count("storage unavailable (connection refused)") == 1
        assert "Traceback" not in outage_log and "ERROR" not in outage_log

        await proxy.open()  # back, on the same port: no restart
        await asyncio.sleep(SKIP_READS_FOR + 0.5)  # settings are read again by then
        region = await chat.say_one("/region")
        assert REGION_NAMES["uk"] in region.plain  # nothing was lost
        assert "Reminders are on" in (await chat.say_one("/remind 3d")).plain
        assert "3 days" in (await chat.say_one("/remind list")).plain
        assert (await healthz(port)).status_code == 200
        assert "storage is back" in bot.log(log_mark)
        code, _ = await bot.stop()
        assert code == 0, bot.tail()


async def test_a_hung_postgresql_holds_no_one_for_long_and_recovers(
    database: str, knowledge: Knowledge, kb: KnowledgeBase, tmp_path: Path
):
    """A server that accepts and never answers (no error to react to): each read waits at
    most DB_TIMEOUT, then one update at a time checks whether it is back while every other
    update answers from the defaults at once, so the concurrent-update slots never fill."""
    async with bot_behind_proxy(database, tmp_path) as (standin, proxy, bot, port):
        dora = Chat(standin, "Dora")
        assert "Region set" in (await dora.say_one("/region uk")).plain
        question = "how do I stop instagram using my photos for AI"
        topic = kb.topics[knowledge.matcher.match(question).topic or ""]

        proxy.hang()  # PostgreSQL stops answering; connections stay open
        log_mark = bot.mark()
        started = time.monotonic()
        answer = await dora.say_one(question, timeout=15)
        assert topic.text().question in answer.plain
        assert time.monotonic() - started < 8  # DB_TIMEOUT, not a minute
        reply = await dora.say_one("/remind", timeout=15)
        assert reply.text == SETTINGS_UNAVAILABLE
        # Forty readers at once: all answered, none held for the database.
        readers = [Chat(standin, f"Reader {n}") for n in range(40)]
        mark = standin.mark()
        started = time.monotonic()
        for reader in readers:
            reader.send(question)
        replies = await standin.wait_for("sendMessage", after=mark, count=len(readers), timeout=30)
        assert {r.chat_id for r in replies} == {r.id for r in readers}
        assert time.monotonic() - started < 15
        health = await healthz(port)
        assert health.status_code == 503
        error = health.json()["database"]["error"]
        assert error == "timed out" or error.startswith("no answer in"), error
        outage_log = bot.log(log_mark)
        assert outage_log.count("storage unavailable") == 1, outage_log
        assert "Traceback" not in outage_log

        await proxy.close()  # the stalled connections are cut ...
        await proxy.open()  # ... and the server answers again on the same port
        await asyncio.sleep(SKIP_READS_FOR + 0.5)
        region = await dora.say_one("/region", timeout=15)
        assert REGION_NAMES["uk"] in region.plain  # nothing was lost
        assert (await healthz(port)).status_code == 200
        code, _ = await bot.stop()
        assert code == 0, bot.tail()
