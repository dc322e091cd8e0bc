"""The checkup end to end: the real PTB application over real HTTP to the Bot API stand-in.

On SQLite and on PostgreSQL, with a fake clock: /checkup (three apps) -> checklist -> Done on
one -> /status shows 1 of 3 -> /remind every 30d -> 30 days later one nudge lists the two
open apps -> an entry's `changed:` is bumped (in a copy of faq/) and /reload sends one alert
-> a restart sends nothing twice. /calendar returns a file the icalendar library parses.
"""

from __future__ import annotations

import logging
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from sqlalchemy.engine import make_url
from telegram.ext import Application

from bot.checkup import texts
from bot.clock import FakeClock
from bot.config import load_config
from bot.knowledge.loader import load_knowledge_base
from bot.reminders.scheduler import CHECKUP_JOB
from bot.telegram.context import services_of
from bot.telegram.lifecycle import build_application
from tests.conftest import ROOT
from tests.support.botapi import BotApiStandIn, Call
from tests.support.e2e_helpers import Chat
from tests.support.standin_fixtures import (  # noqa: F401 - fixtures
    TOKEN,
    check_wire,
    running_bot,
    standin,
    start_bot,
    stop_bot,
)
from tests.support.store_fixtures import _find_pg_url, pg_execute

START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # 11:00 in Brussels: not quiet
NUDGE_MARK = "Time to re-check your AI-training settings"
NOTE = "Instagram moved the objection form (end-to-end test)."


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """DATABASE_URL for the bot: empty (SQLite in DATA_DIR) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield ""
        return
    url, error = await _find_pg_url()
    if url is None:
        pytest.fail(f"PostgreSQL is not reachable: {error}", pytrace=False)
    name = f"optout_e2e_{uuid.uuid4().hex[:12]}"
    await pg_execute(url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        await pg_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def faq_copy(tmp_path: Path) -> Path:
    faq = tmp_path / "faq"
    shutil.copytree(ROOT / "faq", faq)
    return faq


def bump_instagram(faq: Path) -> None:
    """A newer `changed:` (and its note) on the Instagram entry, as an author would write it."""
    path = faq / "platforms.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: instagram\n")
    end = text.index("\n  - id: ", start + 1)
    entry = text[start:end]
    bumped = re.sub(
        r"changed: \S+\n    change: [^\n]*", f"changed: 2026-12-28\n    change: {NOTE}", entry
    )
    assert bumped != entry
    path.write_text(text[:start] + bumped + text[end:], encoding="utf-8")


class Bot:
    """The application, restartable on the same data (a new process's view of it)."""

    def __init__(self, standin: BotApiStandIn, faq: Path, data: Path, db: str, clock: FakeClock):
        self.env = {
            "BOT_TOKEN": TOKEN,
            "BOT_API_URL": standin.base_url,
            "DATA_DIR": str(data),
            "FAQ_DIR": str(faq),
            "DATABASE_URL": db,
            "FLOOD_LIMIT": "10000",
            "ADMIN_IDS": "",
        }
        self.faq = faq
        self.clock = clock
        self.app: Application | None = None

    async def start(self, admin_id: int) -> Application:
        config = load_config({**self.env, "ADMIN_IDS": str(admin_id)})
        self.app = build_application(config, load_knowledge_base(self.faq), self.clock)
        await start_bot(self.app)
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            app, self.app = self.app, None
            await stop_bot(app)

    async def checkup_pass(self) -> None:
        """Run the checkup job now, as the JobQueue does every few minutes."""
        assert self.app is not None
        [job] = self.app.job_queue.get_jobs_by_name(CHECKUP_JOB)
        await job.run(self.app)


def nudges_to(standin: BotApiStandIn, chat: Chat, after: int = 0) -> list[Call]:
    return standin.calls_for(
        "sendMessage", after=after, where=lambda c: c.chat_id == chat.id and NUDGE_MARK in c.text
    )


def alerts_to(standin: BotApiStandIn, chat: Chat, after: int = 0) -> list[Call]:
    return standin.calls_for(
        "sendMessage", after=after, where=lambda c: c.chat_id == chat.id and NOTE in (c.text or "")
    )


@pytest.mark.timeout(120)
async def test_checkup_nudge_alert_and_restart_over_the_bot_api(
    standin: BotApiStandIn, tmp_path: Path, database_url: str
):
    logging.getLogger("httpx").setLevel(logging.WARNING)
    clock = FakeClock(START)
    faq = faq_copy(tmp_path)
    bot = Bot(standin, faq, tmp_path / "data", database_url, clock)
    ana, admin = Chat(standin, "Ana"), Chat(standin, "Operator")
    await bot.start(admin.id)
    try:
        # /checkup: the region, three apps, Done -> the checklist; Done on one.
        ask = await ana.say_one("/checkup")
        _, picker = await ana.press(ask, data="k:region:eu")
        for app in ("instagram", "whatsapp", "linkedin"):
            _, picker = await ana.press(picker, data=f"u:{app}")
        assert "Chosen: Instagram, WhatsApp, LinkedIn." in picker.plain
        _, checklist = await ana.press(picker, data="k:done")
        assert checklist.method == "editMessageText" and "0 of 3 done" in checklist.plain
        answer, ticked = await ana.press(checklist, data="y:instagram:done")
        assert answer.params.get("text") == "Instagram: ✅ done"
        assert "1 of 3 done" in ticked.plain
        status = await ana.say_one("/status")
        assert "1 of 3 done" in status.plain

        nudges_on = await ana.say_one("/remind every 30d")
        assert "Re-check nudges are on" in nudges_on.plain

        # 30 days later: one nudge with the two apps still open.
        clock.advance(timedelta(days=30, minutes=1))
        mark = standin.mark()
        await bot.checkup_pass()
        [nudge] = nudges_to(standin, ana, mark)
        listed = nudge.plain.split("still open:")[1]
        assert "WhatsApp" in listed and "LinkedIn" in listed and "Instagram" not in listed
        await bot.checkup_pass()
        assert len(nudges_to(standin, ana, mark)) == 1

        # An author bumps Instagram's `changed:`; /reload sends one alert to Ana.
        bump_instagram(faq)
        mark = standin.mark()
        reloaded = await admin.say_one("/reload")
        assert "Reloaded" in reloaded.plain
        [alert] = await standin.wait_for(
            "sendMessage", after=mark, where=lambda c: c.chat_id == ana.id and NOTE in c.text
        )
        assert "Instagram changed" in alert.plain
        await bot.checkup_pass()
        assert len(alerts_to(standin, ana)) == 1

        # /calendar: an .ics file with the re-check every 30 days.
        mark = standin.mark()
        ana.send("/calendar")
        [sent] = await standin.wait_for("sendDocument", after=mark)
        assert sent.chat_id == ana.id and sent.file is not None
        assert sent.file["filename"] == "optout.ics"
        calendar = icalendar.Calendar.from_ical(sent.file["content"])
        [recheck] = [e for e in calendar.walk("VEVENT") if e["UID"] == "recheck@optout-bot"]
        assert recheck["RRULE"]["INTERVAL"] == [30]
        assert "AI-privacy calendar" in sent.plain

        # A restart on the same data: nothing is sent again.
        await bot.stop()
        restart = standin.mark()
        await bot.start(admin.id)
        await bot.checkup_pass()
        assert bot.app is not None
        await services_of(bot.app).scheduler.checkup.run_pass()  # after the start-up pass
        assert nudges_to(standin, ana, restart) == []
        assert alerts_to(standin, ana, restart) == []
        assert len(nudges_to(standin, ana)) == len(alerts_to(standin, ana)) == 1
        status = await ana.say_one("/status")
        assert "1 of 3 done" in status.plain
        check_wire(standin)
    finally:
        await bot.stop()


async def test_a_vote_is_answered_with_a_toast_and_sends_no_message(
    standin: BotApiStandIn,
    running_bot: Application,
):
    chat = Chat(standin, "Vic")
    await chat.say_one("/region eu")  # without one, /optout asks "Where do you live?"
    answer = await chat.say_one("/optout instagram")
    [up] = [d for d in answer.callback_data if d.startswith("v:") and d.endswith(":up")]
    mark = standin.mark()
    update = standin.callback_query(answer, up, user=chat.user)
    query_id = update["callback_query"]["id"]
    [ack] = await standin.wait_for(
        "answerCallbackQuery",
        after=mark,
        where=lambda c: c.params.get("callback_query_id") == query_id,
    )
    assert ack.params.get("text") == texts.THANKS_UP
    help_reply = await chat.say_one("/help")  # the next reply: nothing came before it
    assert [c.index for c in chat.sent_to(mark)] == [help_reply.index]
    assert standin.calls_for("editMessageText", after=mark) == []
    [vote] = await services_of(running_bot).store.vote_counts()
    assert (vote.topic, vote.up, vote.down) == (up.split(":")[1], 1, 0)
    check_wire(standin)


@pytest.mark.timeout(120)
async def test_a_german_chat_does_the_checkup_and_gets_its_nudge_in_german(
    standin: BotApiStandIn, tmp_path: Path
):
    """One nudge round over a German and an English chat: each in its own language."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    clock = FakeClock(START)
    bot = Bot(standin, faq_copy(tmp_path), tmp_path / "data", "", clock)
    jonas, ana, admin = Chat(standin, "Jonas"), Chat(standin, "Ana"), Chat(standin, "Operator")
    jonas.user["language_code"] = "de"
    await bot.start(admin.id)
    try:
        await jonas.say_one("/language de")
        ask = await jonas.say_one("/checkup")
        assert ask.plain.startswith("Dein KI-Datenschutz-Check")
        _, picker = await jonas.press(ask, data="k:region:eu")
        assert "Welche davon nutzt du?" in picker.plain
        for app in ("instagram", "whatsapp"):
            _, picker = await jonas.press(picker, data=f"u:{app}")
        assert "Gewählt: Instagram, WhatsApp." in picker.plain
        _, checklist = await jonas.press(picker, data="k:done")
        assert "0 von 2 erledigt" in checklist.plain
        answer, _ = await jonas.press(checklist, data="y:instagram:later")
        assert answer.params.get("text") == "Instagram: ⏰ später"
        on = await jonas.say_one("/remind every 30d")
        assert "Erinnerungen zum Nachprüfen sind an" in on.plain

        ask = await ana.say_one("/checkup")
        _, picker = await ana.press(ask, data="k:region:eu")
        _, picker = await ana.press(picker, data="u:whatsapp")
        await ana.press(picker, data="k:done")
        await ana.say_one("/remind every 30d")

        clock.advance(timedelta(days=30, minutes=1))
        mark = standin.mark()
        await bot.checkup_pass()
        german = "Zeit, deine KI-Training-Einstellungen zu prüfen"
        [to_jonas] = standin.calls_for(
            "sendMessage", after=mark, where=lambda c: c.chat_id == jonas.id
        )
        assert german in to_jonas.plain and "2 von deinen 2 Apps sind noch offen" in to_jonas.plain
        assert NUDGE_MARK not in to_jonas.plain
        [to_ana] = nudges_to(standin, ana, mark)
        assert "1 of your 1 app is still open" in to_ana.plain and german not in to_ana.plain
        check_wire(standin)
    finally:
        await bot.stop()
