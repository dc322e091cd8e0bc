"""/deadline and placeholders for every kind of entry, at several fake dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.knowledge.model import Deadline, KnowledgeBase
from bot.render.deadlines import (
    fill_placeholders,
    render_deadlines,
    sections,
    status_sentence,
    upcoming,
)

BRUSSELS = ZoneInfo("Europe/Brussels")


def entry(did: str, kind: str, regions: tuple[str, ...], **fields) -> Deadline:
    base = {
        "id": did,
        "title": f"Title of {did}",
        "at": None,
        "timezone": None,
        "regions": regions,
        "platforms": (),
        "kind": kind,
    }
    base.update(fields)
    return Deadline(**base)


ENTRIES = [
    entry(
        "act-by",
        "deadline",
        ("eu",),
        at=datetime(2026, 12, 10, 23, 59, tzinfo=BRUSSELS),
        timezone="Europe/Brussels",
        before="Object by the end of this day.",
        after="This day has passed; objecting still counts for the future.",
    ),
    entry(
        "rules-apply",
        "effective",
        ("eu", "uk"),
        at=datetime(2027, 8, 2, 0, 0, tzinfo=BRUSSELS),
        timezone="Europe/Brussels",
        before="New transparency rules apply to AI providers.",
        after="Transparency rules apply to AI providers.",
    ),
    entry(
        "chat-ads",
        "effective",
        ("other",),
        at=datetime(2025, 12, 16, 0, 0, tzinfo=UTC),
        timezone="UTC",
        before="Chats with the assistant will shape ads.",
        after="Chats with the assistant shape ads.",
    ),
    entry(
        "a-setting",
        "standing",
        ("ca", "other"),
        since=date(2024, 9, 18),
        summary="Switch it off at any time in the settings.",
    ),
    entry("announced", "watch", ("eu",), summary="Announced; no date given yet."),
    entry(
        "advised-day",
        "deadline",
        ("eu",),
        at=datetime(2025, 5, 26, 23, 59, tzinfo=BRUSSELS),
        timezone="Europe/Brussels",
        before="Object by the end of this day.",
        after="This advised day has passed.",
    ),
]
KB = KnowledgeBase({}, {}, {d.id: d for d in ENTRIES})
LATE_2026 = FakeClock(datetime(2026, 11, 29, 12, tzinfo=UTC))
MID_2027 = FakeClock(datetime(2027, 9, 1, 12, tzinfo=UTC))
EARLY_2025 = FakeClock(datetime(2025, 5, 20, 12, tzinfo=UTC))


def ids(found: dict[str, list[Deadline]]) -> dict[str, list[str]]:
    return {k: [d.id for d in v] for k, v in found.items()}


def test_sections_for_the_eu_move_with_the_clock():
    assert ids(sections(KB, "eu", LATE_2026.now())) == {
        "ahead": ["act-by", "rules-apply"],
        "standing": [],
        "watched": ["announced"],
        "passed": ["advised-day"],
    }
    assert ids(sections(KB, "eu", MID_2027.now())) == {
        "ahead": [],
        "standing": [],
        "watched": ["announced"],
        "passed": ["rules-apply", "act-by", "advised-day"],
    }


def test_eu_list_late_2026():
    text = render_deadlines(KB, "eu", LATE_2026.now())
    assert text.startswith("<b>Dates and settings: EU / EEA</b>")
    assert "⏳ Last day: 10 December 2026, 23:59 (Europe/Brussels), in 11 days." in text
    assert "📅 Applies from 2 August 2027, 00:00 (Europe/Brussels), in 8 months." in text
    assert "✔️ Passed on 26 May 2025, a year and a half ago." in text
    assert "👀 No date announced yet. Announced; no date given yet." in text
    order = [text.index(s) for s in ("Ahead", "Announced, no date yet", "Passed")]
    assert order == sorted(order)
    assert "No deadline is coming up" not in text
    assert "Applies to:" not in text  # the chat's region is known


def test_effective_entries_are_never_a_task():
    for clock in (EARLY_2025, LATE_2026, MID_2027):
        text = render_deadlines(KB, "uk", clock.now())
        assert "Last day" not in text and "Passed on" not in text
    assert "In force since 2 August 2027, a month ago." in render_deadlines(
        KB, "uk", MID_2027.now()
    )
    assert [d.id for d in upcoming(KB, "eu", LATE_2026.now())] == ["act-by"]
    assert upcoming(KB, "uk", LATE_2026.now()) == []


def test_eu_list_mid_2027_says_nothing_is_ahead():
    text = render_deadlines(KB, "eu", MID_2027.now())
    assert "No deadline is coming up right now." in text
    assert "✔️ Passed on 10 December 2026, 9 months ago." in text


def test_canada_and_the_us_fall_back_to_elsewhere():
    us = render_deadlines(KB, "us", LATE_2026.now())
    assert us.startswith("<b>Dates and settings: United States</b>")
    assert "Title of chat-ads" in us and "In force since 16 December 2025, 11 months ago." in us
    assert "🔁 In place since 18 September 2024, 2 years ago." in us
    assert "Title of act-by" not in us
    ca = render_deadlines(KB, "ca", LATE_2026.now())
    assert "Title of a-setting" in ca and "Title of chat-ads" in ca


def test_every_region_at_once_names_the_regions():
    text = render_deadlines(KB, None, LATE_2026.now())
    assert "Applies to: EU / EEA, United Kingdom." in text
    assert "Applies to: Canada, Elsewhere." in text


def test_a_region_with_nothing_listed():
    kb = KnowledgeBase({}, {}, {"announced": ENTRIES[4]})
    text = render_deadlines(kb, "br", LATE_2026.now())
    assert "Nothing is listed for this region" in text


@pytest.mark.parametrize(
    ("placeholder", "clock", "expected"),
    [
        ("{{deadline:advised-day}}", LATE_2026, "26 May 2025, a year and a half ago"),
        ("{{deadline:advised-day:date}}", LATE_2026, "26 May 2025"),
        ("{{deadline:advised-day:relative}}", EARLY_2025, "in 6 days and 9 hours"),
        ("{{deadline:act-by}}", LATE_2026, "10 December 2026, in 11 days"),
        ("{{deadline:a-setting}}", LATE_2026, "18 September 2024, 2 years ago"),
        ("{{deadline:a-setting:date}}", MID_2027, "18 September 2024"),
        ("{{deadline:rules-apply:relative}}", LATE_2026, "in 8 months"),
        ("{{deadline:rules-apply:relative}}", MID_2027, "a month ago"),
    ],
)
def test_placeholders_at_several_dates(placeholder, clock, expected):
    assert fill_placeholders(placeholder, KB, clock.now()) == expected


def test_status_sentences():
    setting = KB.deadlines["a-setting"]
    assert status_sentence(setting, LATE_2026.now()) == (
        "Since 18 September 2024, 2 years ago. Switch it off at any time in the settings."
    )
    watched = KB.deadlines["announced"]
    assert status_sentence(watched, LATE_2026.now()) == "Announced; no date given yet."
    act = KB.deadlines["act-by"]
    assert status_sentence(act, MID_2027.now()).endswith(act.after)


def test_reminders_are_planned_for_last_days_only():
    from bot.reminders.plan import reminder_rounds

    rounds = reminder_rounds(KB.deadlines, [86400, 3 * 86400], LATE_2026.now())
    assert {r.deadline.id for r in rounds} == {"act-by"}  # not the effective, standing, watched
    assert len(rounds) == 2
