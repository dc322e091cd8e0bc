"""Region, time zone, /remind, checklist, /privacy and /forget through the core, stored for real."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.core.responder import Knowledge, Responder
from bot.features.preferences import Personal, resolve_timezone
from bot.knowledge.model import Deadline, KnowledgeBase
from bot.reminders.compose import compose_reminder
from bot.reminders.plan import Round
from bot.store.repository import Store
from tests.store_fixtures import backend_fixture, rows_per_table, store_fixture  # noqa: F401

CHAT = 4242


@pytest.fixture
def personal(store: Store, kb: KnowledgeBase, clock: FakeClock) -> Personal:
    responder = Responder(Knowledge.build(kb), clock)
    feature = Personal(store, responder, clock)
    feature.install()
    return feature


async def say(personal: Personal, command: str, args: str = "") -> str:
    ctx = await personal.context(CHAT)
    replies = await personal.responder.command(command, args, ctx)
    return "\n".join(r.text for r in replies)


async def press(personal: Personal, data: str):
    ctx = await personal.context(CHAT)
    return await personal.responder.callback(data, ctx)


def future_deadline(kb: KnowledgeBase, clock: FakeClock, days: float) -> KnowledgeBase:
    base = next(iter(kb.deadlines.values()))
    soon = replace(base, id="test-soon", at=clock.now() + timedelta(days=days))
    return replace(kb, deadlines={**kb.deadlines, soon.id: soon})


async def test_start_offers_region_buttons_and_region_is_stored(personal: Personal, store):
    (start,) = await personal.responder.command("start", "", await personal.context(CHAT))
    assert {f"r:{r}" for r in ("eu", "uk", "ch", "br", "other")} <= {
        b.data for b in start.all_buttons()
    }
    (reply,) = await press(personal, "r:uk")
    assert "United Kingdom" in reply.text
    assert (await store.get_settings(CHAT)).region == "uk"
    assert (await personal.context(CHAT)).region == "uk"


async def test_region_command_validates(personal: Personal, store):
    assert "I don't know the region" in await say(personal, "region", "mars")
    assert (await store.get_settings(CHAT)).region is None
    assert "Switzerland" in await say(personal, "region", "CH")


async def test_answers_follow_the_stored_region(personal: Personal):
    await say(personal, "region", "other")
    text = await say(personal, "optout", "instagram")
    assert "no objection form" in text.lower()
    await say(personal, "region", "eu")
    assert "767264225370182" in await say(personal, "optout", "instagram")


def test_time_zone_near_misses_get_suggestions():
    assert resolve_timezone("europe/berlin") == ("Europe/Berlin", [])
    name, suggestions = resolve_timezone("europe/berln")
    assert name is None and "Europe/Berlin" in suggestions
    assert resolve_timezone("nowhere/at_all")[0] is None


async def test_timezone_command(personal: Personal, store):
    assert "Did you mean" in await say(personal, "timezone", "europe/berln")
    assert (await store.get_settings(CHAT)).timezone is None
    assert "Europe/Berlin" in await say(personal, "timezone", "europe/berlin")
    assert (await store.get_settings(CHAT)).timezone == "Europe/Berlin"


async def test_remind_without_upcoming_deadline_is_honest_and_keeps_subscription(
    personal: Personal,
    store,
):
    text = await say(personal, "remind")
    assert "no deadline is coming up" in text
    assert "keep your subscription" in text
    sub = await store.get_subscription(CHAT)
    assert sub is not None and sub.active


async def test_remind_lists_coming_times_in_the_users_time_zone(
    personal: Personal,
    kb: KnowledgeBase,
    clock: FakeClock,
):
    personal.responder.knowledge = Knowledge.build(future_deadline(kb, clock, 10))
    await say(personal, "timezone", "Asia/Tokyo")
    text = await say(personal, "remind", "3d 1d 2h")
    assert "3 days, 1 day, 2 hours before each deadline" in text
    assert text.count("• ") == 3
    deadline = personal.kb.deadlines["test-soon"]
    due = (deadline.at - timedelta(days=3)).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Tokyo")
    )
    assert f"{due:%H:%M}" in text


@pytest.mark.parametrize("bad", ["soon", "0m", "-3d", "3x", "1d 1d", "400d"])
async def test_remind_rejects_bad_lead_times_clearly(personal: Personal, store, bad):
    text = await say(personal, "remind", bad)
    assert "That didn't work" in text and "Examples" in text
    assert await store.get_subscription(CHAT) is None


async def test_remind_off_stop_and_list(personal: Personal, store):
    await say(personal, "remind", "2d")
    assert "2 days" in await say(personal, "remind", "list")
    assert "Reminders are off" in await say(personal, "remind", "off")
    sub = await store.get_subscription(CHAT)
    assert sub is None or not sub.active
    assert "no reminders" in await say(personal, "remind", "list")
    await say(personal, "remind")
    assert "Reminders are off" in await say(personal, "stop")


async def test_optout_steps_carry_checklist_buttons_and_ticks_are_stored(
    personal: Personal,
    store,
):
    ctx = await personal.context(CHAT)
    (steps,) = await personal.responder.command("optout", "instagram", ctx)
    datas = [b.data for b in steps.all_buttons()]
    assert datas[:3] == ["c:instagram:done", "c:instagram:later", "c:instagram:na"]
    (ticked,) = await press(personal, "c:instagram:done")
    assert "Instagram" in ticked.text and ticked.toast
    assert await store.get_checklist(CHAT) == {"instagram": "done"}
    status = await say(personal, "status")
    assert "Instagram: ✅ done" in status


async def test_all_done_stops_reminders_and_says_so(
    personal: Personal,
    kb: KnowledgeBase,
    clock: FakeClock,
    store,
):
    await say(personal, "remind")
    platforms = {p for d in kb.deadlines.values() for p in d.platforms}
    replies = []
    for platform in sorted(platforms):
        replies = await press(
            personal, f"c:{platform}:na" if platform == "facebook" else f"c:{platform}:done"
        )
    assert "Reminders stop here" in replies[-1].text
    deadline = future_deadline(kb, clock, 2).deadlines["test-soon"]
    rnd = Round(deadline, 86400, deadline.at - timedelta(days=1))
    data = await store.delivery_context(CHAT)
    assert compose_reminder(kb, data.settings, data.checklist, rnd, clock.now(), "UTC") is None


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


async def test_privacy_lists_exactly_what_is_stored(personal: Personal):
    await say(personal, "region", "eu")
    await say(personal, "remind", "1d")
    await press(personal, "c:facebook:later")
    text = await say(personal, "privacy")
    for expected in (str(CHAT), "Region: eu", "1 day", "facebook: later", "never store the text"):
        assert expected in text


async def test_forget_asks_first_then_leaves_no_row(personal: Personal, store):
    await say(personal, "region", "br")
    await say(personal, "timezone", "America/Sao_Paulo")
    await say(personal, "remind", "3d")
    await press(personal, "c:instagram:done")
    confirm = await say(personal, "forget")
    assert "cannot be undone" in confirm
    (kept,) = await press(personal, "x:no")
    assert "Nothing was deleted" in kept.text
    assert sum((await rows_per_table(store.engine, CHAT)).values()) > 0
    (gone,) = await press(personal, "x:yes")
    assert "deleted everything" in gone.text
    assert sum((await rows_per_table(store.engine, CHAT)).values()) == 0
    assert (await personal.context(CHAT)).region is None


async def test_forged_personal_buttons_are_stale(personal: Personal):
    for data in ("r:mars", "c:myspace:done", "c:instagram:maybe", "x:boom"):
        (reply,) = await press(personal, data)
        assert "out of date" in reply.text
