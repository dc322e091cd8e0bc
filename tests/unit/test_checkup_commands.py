"""/checkup, /status, /remind every, /calendar, /letter and 👍/👎 as the application wires them
(`build_services`), stored for real on SQLite and PostgreSQL, in the core and in the console.

Expected texts come from the checkup's own planning (`checklist_items`, `progress`) and the
knowledge base, not from copies of the wording.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.app import Services, build_services
from bot.checkup import texts
from bot.checkup.checklist import checklist_items, ordered_platforms, progress
from bot.checkup.letters import letter_text, load_letters, render_letter
from bot.clock import FakeClock
from bot.config import load_config
from bot.console import Console
from bot.knowledge.model import KnowledgeBase
from bot.replies import Reply
from bot.store import analytics
from bot.store.repository import Store
from tests.support.store_fixtures import Backend, backend_fixture, store_fixture  # noqa: F401

CHAT = 5151
ADMIN = 99
APPS = ("instagram", "whatsapp", "linkedin")


def make_services(store: Store, kb: KnowledgeBase, clock: FakeClock, **env: str) -> Services:
    return build_services(load_config({"ADMIN_IDS": str(ADMIN), **env}), kb, store, clock=clock)


@pytest.fixture
def services(store: Store, kb: KnowledgeBase, clock: FakeClock) -> Services:
    return make_services(store, kb, clock)


async def command(services: Services, name: str, args: str = "", user: int | None = None):
    ctx = await services.chat_context(CHAT, user)
    return await services.responder.command(name, args, ctx)


async def press(services: Services, data: str) -> list[Reply]:
    ctx = await services.chat_context(CHAT)
    return await services.responder.callback(data, ctx)


def datas(reply: Reply) -> list[str]:
    return [b.data for b in reply.all_buttons() if b.data]


async def choose_apps(services: Services, apps=APPS) -> Reply:
    """/checkup in a chat without a region: region, then the apps, then Done."""
    (ask,) = await command(services, "checkup")
    assert ask.text == texts.ASK_REGION
    assert "k:region:eu" in datas(ask)
    (picker,) = await press(services, "k:region:eu")
    assert picker.edit and "Which of these do you use?" in picker.text
    for app in apps:
        (picker,) = await press(services, f"u:{app}")
        assert picker.edit and picker.toast == texts.toggle_label(
            services.knowledge.kb.platforms[app].name, True
        )
    (checklist,) = await press(services, "k:done")
    return checklist


async def test_checkup_region_apps_checklist_done_and_status(
    services: Services, store: Store, kb: KnowledgeBase
):
    checklist = await choose_apps(services)
    assert (await store.get_settings(CHAT)).region == "eu"
    assert set(await store.get_platforms(CHAT)) == set(APPS)
    items = checklist_items(kb, APPS, {}, "eu")
    assert [i.platform_id for i in items] == ["instagram", "whatsapp", "linkedin"]  # Meta first
    assert checklist.edit
    assert checklist.text == texts.checklist_text(items, progress(items))
    assert "0 of 3 done" in checklist.text
    for item in items:  # steps, then Done / Later / Not for me, for each app
        assert f"p:{item.platform_id}" in datas(checklist)
        for state in ("done", "later", "na"):
            assert f"y:{item.platform_id}:{state}" in datas(checklist)
        assert texts.action_text(item) in checklist.text

    (ticked,) = await press(services, "y:whatsapp:done")
    assert ticked.edit and ticked.toast == "WhatsApp: ✅ done"
    assert "1 of 3 done" in ticked.text
    assert await store.get_checklist(CHAT) == {"whatsapp": "done"}

    (status,) = await command(services, "status")
    assert "1 of 3 done" in status.text and not status.edit
    assert datas(status) == datas(ticked)

    (_,) = await press(services, "y:linkedin:na")  # "not for me" leaves the count
    (status,) = await command(services, "status")
    assert "1 of 2 done (1 not for me)" in status.text


async def test_the_checkup_survives_a_restart(
    backend: Backend, kb: KnowledgeBase, clock: FakeClock
):
    first = make_services(await backend.store(), kb, clock)
    await choose_apps(first)
    await press(first, "y:instagram:later")
    await first.store.close()

    again = make_services(await backend.store(), kb, clock)  # a new process, same database
    (status,) = await command(again, "status")
    assert "0 of 3 done" in status.text and "Instagram</b>" in status.text
    assert "⏰ later" in status.text
    (picker,) = await press(again, "k:")  # "Change my apps": the picker with the same choice
    assert picker.edit
    assert "Chosen: Instagram, WhatsApp, LinkedIn." in picker.text
    assert texts.toggle_label("Instagram", True) in [b.label for b in picker.all_buttons()]
    (picker,) = await press(again, "u:whatsapp")  # tapped again: removed
    assert picker.toast == texts.toggle_label("WhatsApp", False)
    assert set(await again.store.get_platforms(CHAT)) == {"instagram", "linkedin"}


async def test_the_picker_offers_every_platform_meta_first_and_needs_one(
    services: Services, kb: KnowledgeBase
):
    await command(services, "region", "uk")
    (picker,) = await command(services, "checkup")  # region known: straight to the apps
    toggles = [d.removeprefix("u:") for d in datas(picker) if d.startswith("u:")]
    assert toggles == [p.id for p in ordered_platforms(kb)]
    assert set(toggles) == set(kb.platforms)
    meta = [p.id for p in kb.platforms.values() if p.company == "Meta"]
    assert toggles[: len(meta)] == meta
    assert datas(picker)[-1] == "k:done"
    (again,) = await press(services, "k:done")  # nothing chosen yet
    assert texts.NOTHING_CHOSEN in again.text and "u:instagram" in datas(again)


async def test_forged_checkup_buttons_are_out_of_date(services: Services):
    await choose_apps(services)
    for data in ("u:myspace", "y:instagram:maybe", "y:myspace:done", "k:region:mars", "k:boom"):
        (reply,) = await press(services, data)
        assert "out of date" in reply.text, data


async def test_status_without_chosen_apps_keeps_the_deadline_checklist(services: Services):
    await press(services, "c:instagram:done")
    (status,) = await command(services, "status")
    assert "Instagram: ✅ done" in status.text  # the checklist of the deadlines' apps
    assert "/checkup" in status.text


async def test_checkup_works_the_same_in_the_console(
    services: Services, kb: KnowledgeBase, tmp_path: Path
):
    out = io.StringIO()
    console = Console(services, out, files_dir=tmp_path)

    async def pick(data: str) -> None:
        """Type the key of the button that carries `data`."""
        await console.handle(key_for(console, data))

    await console.handle("/checkup")
    await pick("k:region:eu")
    for app in APPS:
        await pick(f"u:{app}")
    await pick("k:done")
    await pick("y:instagram:done")
    out.truncate(0)
    await console.handle("/status")
    items = checklist_items(kb, APPS, {"instagram": "done"}, "eu")
    assert "1 of 3 done" in out.getvalue()
    for item in items:
        assert item.name in out.getvalue()
    assert "y:whatsapp:done" in console.choices.values()


def key_for(console: Console, data: str) -> str:
    """What to type in the console to press the button that carries `data`."""
    [key] = [k for k, d in console.choices.items() if d == data]
    return key


# -- /remind every ---------------------------------------------------------------------------


async def test_remind_every_switches_nudges_on_and_off(
    services: Services, store: Store, clock: FakeClock
):
    (on,) = await command(services, "remind", "every")
    assert "every 90 days" in on.text
    assert "/checkup" in on.text  # no apps chosen: asked to choose them
    nudge = await store.get_nudge(CHAT)
    assert nudge is not None and nudge.period_days == 90
    assert nudge.next_due_at >= clock.now() + timedelta(days=90)
    local = nudge.next_due_at.astimezone(ZoneInfo("Europe/Brussels"))
    assert f"{local:%a %d %b %Y, %H:%M}" in on.text

    await choose_apps(services)
    (on,) = await command(services, "remind", "every 30d")
    assert "every 30 days" in on.text and "Instagram, WhatsApp, LinkedIn" in on.text
    assert (await store.get_nudge(CHAT)).period_days == 30
    (listed,) = await command(services, "remind", "list")
    assert "Re-check nudges: every 30 days" in listed.text

    for bad in ("every 5d", "every 400d", "every often", "every 3 months"):
        (reply,) = await command(services, "remind", bad)
        assert reply.text.startswith("That didn't work:"), bad
        assert "/remind every 90d" in reply.text
    assert (await store.get_nudge(CHAT)).period_days == 30  # kept

    (off,) = await command(services, "remind", "off")
    assert "Reminders are off" in off.text
    assert await store.get_nudge(CHAT) is None


# -- /calendar ---------------------------------------------------------------------------------


async def test_calendar_is_an_ics_file_with_the_dates_and_the_recheck(
    services: Services, kb: KnowledgeBase
):
    (reply,) = await command(services, "calendar")
    assert reply.document is not None and reply.document.filename == "optout.ics"
    cal = icalendar.Calendar.from_ical(reply.document.content)
    dated = {
        d.id
        for d in kb.deadlines.values()
        if d.at is not None and d.kind in ("deadline", "effective")
    }
    uids = {str(e["UID"]).removesuffix("@optout-bot") for e in cal.walk("VEVENT")}
    assert uids == dated  # no region yet: every region's dates
    assert f"{len(dated)} dated events for every region" in reply.text

    await choose_apps(services)
    await command(services, "remind", "every 30d")
    (reply,) = await command(services, "calendar")
    cal = icalendar.Calendar.from_ical(reply.document.content)
    [recheck] = [e for e in cal.walk("VEVENT") if str(e["UID"]) == "recheck@optout-bot"]
    assert recheck["RRULE"]["FREQ"] == ["DAILY"] and recheck["RRULE"]["INTERVAL"] == [30]
    assert "Instagram, WhatsApp, LinkedIn" in str(recheck["DESCRIPTION"])
    assert "re-check every 30 days" in reply.text and "EU / EEA" in reply.text


# -- /letter -----------------------------------------------------------------------------------


async def test_letter_for_an_app_a_typo_and_any_company(services: Services, kb: KnowledgeBase):
    await command(services, "region", "eu")
    book = load_letters()
    (reply,) = await command(services, "letter", "instagram")
    assert reply.text == letter_text(render_letter(book, kb, "instagram", "eu"))
    assert "Article 21" in reply.text and "[your account e-mail]" in reply.text
    (typo,) = await command(services, "letter", "Instagarm")
    assert typo.text == reply.text
    (alias,) = await command(services, "letter", "insta")
    assert alias.text == reply.text
    (general,) = await command(services, "letter")
    assert general.text == letter_text(render_letter(book, kb, None, "eu"))
    (slack,) = await command(services, "letter", "slack")
    assert "feedback@slack.com" in slack.text


async def test_letter_for_an_unknown_app_lists_the_known_ones(
    services: Services, kb: KnowledgeBase
):
    (reply,) = await command(services, "letter", "<b>myspace</b>")
    assert "I don't know an app called “&lt;b&gt;myspace&lt;/b&gt;”" in reply.text
    for platform in kb.platforms.values():
        assert platform.name in reply.text
    assert "Meta (information about you from other sources)" in reply.text


# -- 👍 / 👎 -----------------------------------------------------------------------------------


async def test_votes_under_answers_are_counted_without_a_chat_id(
    services: Services, store: Store, clock: FakeClock
):
    await command(services, "region", "eu")  # without one, /optout asks "Where do you live?"
    (answer,) = await command(services, "optout", "instagram")
    topic = services.knowledge.kb.topic_for_platform("instagram")
    assert topic is not None
    assert [b.data for b in answer.buttons[-1]] == [f"v:{topic.id}:up", f"v:{topic.id}:down"]
    turn = await services.responder.message(
        "how do I stop instagram using my photos", await services.chat_context(CHAT)
    )
    assert datas(turn.replies[0])[-2:] == [f"v:{turn.topic}:up", f"v:{turn.topic}:down"]

    (up,) = await press(services, f"v:{topic.id}:up")
    assert up.text == "" and up.toast == texts.THANKS_UP  # a toast, no message
    await press(services, f"v:{topic.id}:down")
    await press(services, f"v:{topic.id}:down")
    [counted] = await store.vote_counts()
    assert (counted.topic, counted.language, counted.up, counted.down) == (topic.id, "en", 1, 2)
    (stale,) = await press(services, "v:no-such-topic:up")
    assert "out of date" in stale.text

    await analytics.add_unmatched(store.engine, ["can i sue meta"] * 2, clock.now().date())
    not_admin = await command(services, "stats", user=CHAT)
    assert not_admin == [services.responder.unknown_command("stats")]
    (stats,) = await command(services, "stats", user=ADMIN)
    assert f"{topic.id}: 67% 👎 (1 up / 2 down" in stats.text
    assert "2 × can i sue meta" in stats.text


async def test_a_vote_is_one_toast_in_the_console(services: Services, tmp_path: Path):
    out = io.StringIO()
    console = Console(services, out, files_dir=tmp_path)
    await console.handle("/region eu")
    await console.handle("/optout instagram")
    vote = next(d for d in console.choices.values() if d.startswith("v:") and d.endswith(":up"))
    out.truncate(0)
    out.seek(0)
    await console.handle(key_for(console, vote))
    assert out.getvalue().strip() == f"({texts.THANKS_UP})"


async def test_calendar_file_is_saved_by_the_console(services: Services, tmp_path: Path):
    out = io.StringIO()
    await Console(services, out, files_dir=tmp_path).handle("/calendar")
    saved = tmp_path / "optout.ics"
    assert f"saved as {saved}" in out.getvalue()
    assert icalendar.Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
