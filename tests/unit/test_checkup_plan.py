"""Checklist items, progress and nudge planning (pure: no store, no clock of their own)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.checkup.checklist import (
    Action,
    ChecklistItem,
    action_for,
    checklist_items,
    ordered_platforms,
    platform_groups,
    progress,
)
from bot.checkup.nudges import (
    DEFAULT_QUIET,
    QuietWindow,
    next_nudge_at,
    parse_period,
    plan_nudge,
)
from bot.checkup.regions import expand_regions, region_applies
from bot.checkup.texts import checklist_text, nudge_text, progress_text
from bot.knowledge.model import KnowledgeBase
from tests.conftest import kb  # noqa: F401 - fixture
from tests.support.checkup_kb import make_kb, sample_platforms

KB = make_kb(sample_platforms())
ALL = ("gram", "network", "book", "chatter", "messages")


# -- checklist ------------------------------------------------------------------------------


def test_meta_apps_come_first_in_file_order() -> None:
    assert [p.id for p in ordered_platforms(KB)] == [
        "gram",
        "book",
        "messages",
        "network",
        "chatter",
    ]
    groups = platform_groups(KB)
    assert [(company, [p.id for p in ps]) for company, ps in groups] == [
        ("Meta", ["gram", "book", "messages"]),
        ("Network Inc", ["network"]),
        ("Chatter", ["chatter"]),
    ]


@pytest.mark.parametrize(
    ("pid", "region", "action", "key"),
    [
        ("gram", "eu", Action.OBJECT, "eu"),  # a /contact/ form in the region's route
        ("gram", "other", Action.NOTHING_TO_SWITCH, "other"),
        ("gram", "br", Action.CHOOSE_REGION, None),  # no route for Brazil and no default
        ("gram", None, Action.CHOOSE_REGION, None),
        ("network", "eu", Action.SWITCH_OFF, "default"),  # a settings link is not a form
        ("chatter", "uk", Action.SWITCH_OFF, "default"),
        ("messages", "eu", Action.NOTHING_TO_SWITCH, "default"),
    ],
)
def test_the_action_comes_from_the_regions_route(
    pid: str, region: str | None, action: Action, key: str | None
) -> None:
    found, route, route_key = action_for(KB.platforms[pid], region)
    assert (found, route_key) == (action, key)
    assert (route is None) == (action == Action.CHOOSE_REGION)


def test_items_for_the_apps_used_with_their_states_and_progress() -> None:
    items = checklist_items(
        KB,
        ["chatter", "gram", "network", "gone-from-the-kb"],
        {"gram": "done", "network": "na", "book": "done"},
        "eu",
    )
    assert [(i.platform_id, i.action, i.state) for i in items] == [
        ("gram", Action.OBJECT, "done"),
        ("network", Action.SWITCH_OFF, "na"),
        ("chatter", Action.SWITCH_OFF, None),
    ]
    assert items[0].form_url == "https://www.example-social.test/help/contact/123"
    assert [i.is_open for i in items] == [False, False, True]
    done = progress(items)
    assert (done.done, done.total, done.not_for_me, done.open) == (1, 2, 1, 1)
    assert progress_text(done) == "1 of 2 done (1 not for me)"
    text = checklist_text(items, done)
    assert "1 of 2 done" in text and "Chatter" in text and "object through Meta's form" in text


def test_progress_counts_four_of_six() -> None:
    states = ["done", "done", "later", "done", None, "done", "na"]
    items = [
        ChecklistItem(f"app{n}", f"App {n}", "Co", Action.SWITCH_OFF, state)
        for n, state in enumerate(states)
    ]
    assert progress_text(progress(items)) == "4 of 6 done (1 not for me)"
    assert progress_text(progress(items[:6])) == "4 of 6 done"
    assert progress(items).later == 1 and not progress(items).complete
    assert progress_text(progress([])) == "No apps chosen yet: /checkup"


def test_shipped_platforms_all_get_an_action_in_every_region(kb: KnowledgeBase) -> None:
    regions = ("eu", "uk", "ch", "br", "other")
    for region in regions:
        items = checklist_items(kb, list(kb.platforms), {}, region)
        assert len(items) == len(kb.platforms)
        assert all(i.action != Action.CHOOSE_REGION for i in items), region
        companies = [i.company for i in items]
        assert companies == sorted(companies, key=lambda c: c != "Meta")
    # A platform whose route points at an objection form is an objection in that region.
    for platform in kb.platforms.values():
        for region in regions:
            action, route, _ = action_for(platform, region)
            if route is not None and route.form_url and "/contact/" in route.form_url:
                assert action == Action.OBJECT if route.available else Action.NOTHING_TO_SWITCH


def test_region_fallbacks() -> None:
    assert expand_regions(["other", "eu"]) == ("ca", "eu", "hk", "other", "us")
    assert expand_regions(["eu", "ch"]) == ("ch", "eu")
    assert region_applies(["other"], "ca") and region_applies(["eu"], None)
    assert not region_applies(["eu", "ch"], "us")


# -- quiet window and next nudge ------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 30), True),
        (time(0, 0), True),
        (time(8, 59), True),
        (time(9, 0), False),
        (time(13, 0), False),
    ],
)
def test_default_quiet_window_wraps_past_midnight(local: time, quiet: bool) -> None:
    assert DEFAULT_QUIET.contains(local) is quiet


def test_quiet_window_parsing() -> None:
    assert QuietWindow.parse("22:30-7:00") == QuietWindow(time(22, 30), time(7, 0))
    assert str(QuietWindow.parse(" 21:00 - 09:00 ")) == "21:00-09:00"
    assert QuietWindow.parse("13:00-14:00").contains(time(13, 30))
    assert not QuietWindow.parse("13:00-14:00").contains(time(14, 0))
    off = QuietWindow.parse("off")
    assert not any(off.contains(time(h)) for h in range(24))
    for bad in ("21-9", "25:00-09:00", "21:00", "evening", "21:00-09:60"):
        with pytest.raises(ValueError, match="21:00-09:00"):
            QuietWindow.parse(bad)


def test_a_time_inside_the_window_moves_to_its_end_in_the_chats_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    evening = datetime(2027, 1, 10, 22, 15, tzinfo=berlin)
    assert DEFAULT_QUIET.next_allowed(evening, "Europe/Berlin") == datetime(
        2027, 1, 11, 9, 0, tzinfo=berlin
    )
    early = datetime(2027, 1, 10, 3, 0, tzinfo=berlin)
    assert DEFAULT_QUIET.next_allowed(early, "Europe/Berlin") == datetime(
        2027, 1, 10, 9, 0, tzinfo=berlin
    )
    noon = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    assert DEFAULT_QUIET.next_allowed(noon, "Europe/Berlin") == noon
    # 12:00 UTC is 01:00 the next day in Auckland (UTC+13 in January): quiet there.
    moved = DEFAULT_QUIET.next_allowed(noon, "Pacific/Auckland")
    assert moved.astimezone(ZoneInfo("Pacific/Auckland")).time() == time(9, 0)
    assert moved == datetime(2027, 1, 10, 20, 0, tzinfo=UTC)
    assert moved.tzinfo is UTC  # given in UTC, returned in UTC
    assert DEFAULT_QUIET.allows(noon, "Europe/Berlin")
    assert not DEFAULT_QUIET.allows(noon, "Pacific/Auckland")
    with pytest.raises(ValueError, match="time zone"):
        DEFAULT_QUIET.allows(noon, "Mars/Olympus")


def test_an_end_inside_a_dst_gap_is_a_real_moment() -> None:
    quiet = QuietWindow(time(1, 0), time(2, 30))  # 02:30 does not exist on 2027-03-28 in Berlin
    moment = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # 01:30 local
    moved = quiet.next_allowed(moment, "Europe/Berlin")
    assert moved > moment
    assert not quiet.contains(moved.astimezone(ZoneInfo("Europe/Berlin")).time())


@pytest.mark.parametrize("hour_utc", range(0, 24, 1))
def test_next_nudge_is_period_days_later_and_never_at_night(hour_utc: int) -> None:
    since = datetime(2026, 11, 29, hour_utc, 17, tzinfo=UTC)
    for tz in ("Europe/Lisbon", "America/Sao_Paulo", "Asia/Tokyo"):
        due = next_nudge_at(90, since=since, timezone=tz)
        assert DEFAULT_QUIET.allows(due, tz)
        assert timedelta(days=90) <= due - since < timedelta(days=90, hours=13)
        local = (since + timedelta(days=90)).astimezone(ZoneInfo(tz))
        if not DEFAULT_QUIET.contains(local.time()):
            assert due == since + timedelta(days=90)
    with pytest.raises(ValueError):
        next_nudge_at(29, since=since, timezone="UTC")
    with pytest.raises(ValueError):
        next_nudge_at(90, since=since.replace(tzinfo=None), timezone="UTC")


@pytest.mark.parametrize(
    ("text", "days"),
    [("90d", 90), ("every 30d", 30), ("12w", 84), ("365", 365), ("45 days", 45), ("6 weeks", 42)],
)
def test_parse_period(text: str, days: int) -> None:
    assert parse_period(text) == days


@pytest.mark.parametrize("text", ["29d", "366d", "53w", "0", "-30d", "3m", "soon", ""])
def test_parse_period_refuses_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="30 and 365 days"):
        parse_period(text)


# -- what a nudge lists ---------------------------------------------------------------------


def test_nudge_lists_open_apps_with_a_switch_first() -> None:
    ticks = {"gram": "done", "chatter": "later", "network": "na"}
    plan = plan_nudge(KB, ALL, ticks, "eu")
    assert plan is not None and plan.total == 5
    # Open: book (object), chatter (later, switch), messages (nothing to switch) - the ones
    # with something to do first, each group in checklist order (Meta first).
    assert [i.platform_id for i in plan.items] == ["book", "chatter", "messages"]
    text = nudge_text(plan)
    assert "3 of your 5 apps are still open" in text
    assert text.index("Book") < text.index("Chatter") < text.index("Messages")
    assert "Gram" not in text and "Network" not in text


def test_no_nudge_when_every_app_is_done_or_not_for_me() -> None:
    ticks = dict.fromkeys(ALL, "done") | {"messages": "na"}
    assert plan_nudge(KB, ALL, ticks, "eu") is None
    assert plan_nudge(KB, [], {}, "eu") is None
    assert plan_nudge(KB, ["gone"], {}, "eu") is None
    one_open = plan_nudge(KB, ALL, {**ticks, "chatter": "later"}, "eu")
    assert one_open is not None and "1 of your 5 apps is still open" in nudge_text(one_open)
