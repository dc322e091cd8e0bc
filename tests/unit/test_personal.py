"""Region, time zone, /remind, checklist, /privacy and /forget: the features as the application
wires them (`build_services`), stored for real."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import Services, build_services
from bot.clock import FakeClock
from bot.config import load_config
from bot.console import Console
from bot.core.context import Knowledge
from bot.features.timezones import resolve_timezone
from bot.knowledge.model import Deadline, KnowledgeBase
from bot.reminders.compose import compose_reminder
from bot.reminders.plan import Round
from bot.store.repository import Store
from tests.support.store_fixtures import backend_fixture, rows_per_table, store_fixture  # noqa: F401

CHAT = 4242


@pytest.fixture
def services(store: Store, kb: KnowledgeBase, clock: FakeClock) -> Services:
    return build_services(load_config({}), kb, store, clock=clock)


async def say(services: Services, command: str, args: str = "") -> str:
    ctx = await services.chat_context(CHAT)
    replies = await services.responder.command(command, args, ctx)
    return "\n".join(r.text for r in replies)


async def press(services: Services, data: str):
    ctx = await services.chat_context(CHAT)
    return await services.responder.callback(data, ctx)


def future_deadline(kb: KnowledgeBase, clock: FakeClock, days: float) -> KnowledgeBase:
    base = next(d for d in kb.deadlines.values() if d.is_task)  # reminders are for these
    soon = replace(base, id="test-soon", at=clock.now() + timedelta(days=days))
    return replace(kb, deadlines={**kb.deadlines, soon.id: soon})


async def test_start_offers_region_buttons_and_region_is_stored(services: Services, store):
    (start,) = await services.responder.command("start", "", await services.chat_context(CHAT))
    assert {f"r:{r}" for r in ("eu", "uk", "ch", "br", "other")} <= {
        b.data for b in start.all_buttons()
    }
    (reply,) = await press(services, "r:uk")
    assert "United Kingdom" in reply.text
    assert (await store.get_settings(CHAT)).region == "uk"
    assert (await services.chat_context(CHAT)).region == "uk"


async def test_hi_gets_the_same_welcome_as_start_in_the_console(services: Services):
    """The console passes what is typed to the same responder as Telegram does."""
    shown = []
    for line in ("/start", "hi", "Hello!", "/START"):
        out = io.StringIO()
        console = Console(services, out)
        await console.handle(line)
        shown.append((out.getvalue(), dict(console.choices)))
    assert "Where do you live?" in shown[0][0]
    assert {f"r:{r}" for r in ("eu", "uk", "ch", "br", "other")} <= set(shown[0][1].values())
    assert all(s == shown[0] for s in shown), shown


async def test_region_command_validates(services: Services, store):
    assert "I don't know the region" in await say(services, "region", "mars")
    assert (await store.get_settings(CHAT)).region is None
    assert "Switzerland" in await say(services, "region", "CH")


async def test_answers_follow_the_stored_region(services: Services):
    await say(services, "region", "other")
    text = await say(services, "optout", "instagram")
    assert "no objection form" in text.lower()
    await say(services, "region", "eu")
    assert "767264225370182" in await say(services, "optout", "instagram")


def test_time_zone_near_misses_get_suggestions(clock: FakeClock):
    assert resolve_timezone("europe/berlin", clock.now()).name == "Europe/Berlin"
    found = resolve_timezone("europe/berln", clock.now())
    assert found.name is None and "Europe/Berlin" in found.suggestions
    assert resolve_timezone("nowhere/at_all", clock.now()).name is None


async def test_timezone_command(services: Services, store):
    assert "Did you mean" in await say(services, "timezone", "europe/berln")
    assert (await store.get_settings(CHAT)).timezone is None
    assert "Europe/Berlin" in await say(services, "timezone", "europe/berlin")
    assert (await store.get_settings(CHAT)).timezone == "Europe/Berlin"


async def test_remind_without_upcoming_deadline_is_honest_and_keeps_subscription(
    services: Services,
    store,
):
    text = await say(services, "remind")
    assert "no deadline is coming up" in text
    assert "keep your subscription" in text
    sub = await store.get_subscription(CHAT)
    assert sub is not None and sub.active


async def test_remind_lists_coming_times_in_the_users_time_zone(
    services: Services,
    kb: KnowledgeBase,
    clock: FakeClock,
):
    services.knowledge.replace(Knowledge.build(future_deadline(kb, clock, 10)))
    await say(services, "timezone", "Asia/Tokyo")
    text = await say(services, "remind", "3d 1d 2h")
    assert "3 days, 1 day, 2 hours before each deadline" in text
    assert text.count("• ") == 3
    deadline = services.knowledge.kb.deadlines["test-soon"]
    due = (deadline.at - timedelta(days=3)).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Tokyo")
    )
    assert f"{due:%H:%M}" in text


@pytest.mark.parametrize("bad", ["soon", "0m", "-3d", "3x", "1d 1d", "400d"])
async def test_remind_rejects_bad_lead_times_clearly(services: Services, store, bad):
    text = await say(services, "remind", bad)
    assert "That didn't work" in text and "Examples" in text
    assert await store.get_subscription(CHAT) is None


async def test_remind_off_stop_and_list(services: Services, store):
    await say(services, "remind", "2d")
    assert "2 days" in await say(services, "remind", "list")
    assert "Reminders are off" in await say(services, "remind", "off")
    sub = await store.get_subscription(CHAT)
    assert sub is None or not sub.active
    assert "no reminders" in await say(services, "remind", "list")
    await say(services, "remind")
    assert "Reminders are off" in await say(services, "stop")


async def test_optout_steps_carry_checklist_buttons_and_ticks_are_stored(
    services: Services,
    store,
):
    await say(services, "region", "eu")
    ctx = await services.chat_context(CHAT)
    (steps,) = await services.responder.command("optout", "instagram", ctx)
    datas = [b.data for b in steps.all_buttons()]
    assert datas[:3] == ["c:instagram:done", "c:instagram:later", "c:instagram:na"]
    (ticked,) = await press(services, "c:instagram:done")
    assert "Instagram" in ticked.text and ticked.toast
    assert await store.get_checklist(CHAT) == {"instagram": "done"}
    status = await say(services, "status")
    assert "Instagram: ✅ done" in status


async def test_all_done_stops_reminders_and_says_so(
    services: Services,
    kb: KnowledgeBase,
    clock: FakeClock,
    store,
):
    await say(services, "remind")
    platforms = {p for d in kb.deadlines.values() if d.is_task for p in d.platforms}
    replies = []
    for platform in sorted(platforms):
        replies = await press(
            services, f"c:{platform}:na" if platform == "facebook" else f"c:{platform}:done"
        )
    assert "Reminders stop here" in replies[-1].text
    assert "All done" in await say(services, "status")
    deadline = future_deadline(kb, clock, 2).deadlines["test-soon"]
    rnd = Round(deadline, 86400, deadline.at - timedelta(days=1))
    data = await store.delivery_context(CHAT)
    assert compose_reminder(kb, data.settings, data.checklist, rnd, clock.now(), "UTC") is None


async def test_checklist_lists_the_apps_of_last_days_to_act_only(
    services: Services, kb: KnowledgeBase
):
    tasks = {p for d in kb.deadlines.values() if d.is_task for p in d.platforms}
    others = {p for d in kb.deadlines.values() if not d.is_task for p in d.platforms} - tasks
    assert tasks and others, "the shipped faq/ should have both kinds of entries"
    status = await say(services, "status")
    assert all(f"\n{kb.platforms[p].name}: " in status for p in tasks), status
    assert not any(f"\n{kb.platforms[p].name}: " in status for p in others), status


def test_reminder_mentions_only_what_is_left(kb: KnowledgeBase, clock: FakeClock):
    from bot.store.repository import ChatSettings

    deadline: Deadline = future_deadline(kb, clock, 2).deadlines["test-soon"]
    rnd = Round(deadline, 86400, deadline.at - timedelta(days=1))
    settings = ChatSettings(CHAT, region="eu", timezone="Europe/Berlin")
    left = [p for p in deadline.platforms if p != deadline.platforms[0]]
    reply = compose_reminder(kb, settings, {deadline.platforms[0]: "done"}, rnd, clock.now(), "UTC")
    assert reply is not None
    done_name = kb.platforms[deadline.platforms[0]].name
    assert f"Still to do: {', '.join(kb.platforms[p].name for p in left)}." in reply.text
    assert done_name not in reply.text.split("Still to do:")[1]
    assert reply.buttons[0][0].data == f"c:{left[0]}:done"
    late = Round(deadline, 86400, clock.now() - timedelta(hours=1))
    assert "late" in compose_reminder(kb, settings, {}, late, clock.now(), "UTC").text


async def test_privacy_lists_exactly_what_is_stored(services: Services):
    await say(services, "region", "eu")
    await say(services, "remind", "1d")
    await press(services, "c:facebook:later")
    text = await say(services, "privacy")
    for expected in (
        str(CHAT),
        "Region: EU",
        "1 day",
        "Facebook: ⏰ later",
        "Language: not chosen",
        "never store the text",
    ):
        assert expected in text


async def test_forget_asks_first_then_leaves_no_row(services: Services, store):
    await say(services, "region", "br")
    await say(services, "timezone", "America/Sao_Paulo")
    await say(services, "remind", "3d")
    await press(services, "c:instagram:done")
    confirm = await say(services, "forget")
    assert "cannot be undone" in confirm
    (kept,) = await press(services, "x:no")
    assert "Nothing was deleted" in kept.text
    assert sum((await rows_per_table(store.engine, CHAT)).values()) > 0
    (gone,) = await press(services, "x:yes")
    assert "deleted everything" in gone.text
    assert sum((await rows_per_table(store.engine, CHAT)).values()) == 0
    assert (await services.chat_context(CHAT)).region is None


async def test_forged_feature_buttons_are_stale(services: Services):
    for data in ("r:mars", "c:myspace:done", "c:instagram:maybe", "x:boom"):
        (reply,) = await press(services, data)
        assert "out of date" in reply.text


def test_the_database_keeps_the_checklist_states_of_the_core():
    from bot.core import checklist
    from bot.store import CHECK_STATES

    assert set(CHECK_STATES) == set(checklist.STATES) == set(checklist.CHECK_STATES)
    assert checklist.FINISHED.issubset(checklist.STATES) and "later" not in checklist.FINISHED
