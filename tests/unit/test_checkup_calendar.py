"""The .ics calendar, read back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.checkup.calendar import Recheck, build_calendar, dated_deadlines
from bot.knowledge.model import KnowledgeBase
from tests.conftest import kb  # noqa: F401 - fixture
from tests.support.checkup_kb import brussels, deadline, make_kb, sample_platforms

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def _kb() -> KnowledgeBase:
    return make_kb(
        sample_platforms(),
        [
            deadline("eu-last-day", brussels(2027, 3, 1, 23, 59), ["eu", "ch"], ["gram"]),
            deadline("eu-past", brussels(2025, 5, 27, 0, 0), ["eu"], ["book"]),
            deadline(
                "sp-rules",
                datetime(2027, 1, 1, 0, 0, tzinfo=ZoneInfo("America/Sao_Paulo")),
                ["br"],
                kind="effective",
                tz="America/Sao_Paulo",
            ),
            deadline("everywhere", brussels(2027, 6, 1, 12, 0), ["other", "eu"], ["chatter"]),
            deadline("standing-x", None, ["eu"], kind="standing"),
            deadline("watch-y", None, ["eu"], kind="watch"),
        ],
    )


def _parse(data: bytes) -> icalendar.Calendar:
    assert data.startswith(b"BEGIN:VCALENDAR")
    return icalendar.Calendar.from_ical(data)


def test_region_events_with_their_time_zones() -> None:
    cal = _parse(build_calendar(_kb(), region="eu", now=NOW))
    events = {str(e["uid"]): e for e in cal.events}
    assert set(events) == {"eu-past@optout-bot", "eu-last-day@optout-bot", "everywhere@optout-bot"}
    last_day = events["eu-last-day@optout-bot"]
    start = last_day.start
    assert start == brussels(2027, 3, 1, 23, 59)
    assert start.tzinfo is not None and str(start.tzinfo) == "Europe/Brussels"
    assert "TZID=Europe/Brussels" in last_day.to_ical().decode()
    assert [tz.tz_name for tz in cal.timezones] == ["Europe/Brussels"]
    assert str(last_day["summary"]) == "Title of eu-last-day"
    description = str(last_day["description"])
    # Ahead: the "before" text, as plain text (tags and entities resolved), and the source.
    assert description.startswith("Act before this day & keep your posts out.")
    assert "https://regulator.example.test/guidance" in description
    assert str(last_day["url"]) == "https://regulator.example.test/guidance"
    # Passed: the "after" text.
    assert str(events["eu-past@optout-bot"]["description"]).startswith("This day has passed.")
    assert last_day["dtstamp"].dt == NOW
    assert "RRULE" not in last_day


def test_only_dated_kinds_and_the_chats_apps() -> None:
    kb = _kb()
    assert [d.id for d in dated_deadlines(kb, "eu")] == ["eu-past", "eu-last-day", "everywhere"]
    assert [d.id for d in dated_deadlines(kb, "br")] == ["sp-rules"]
    assert [d.id for d in dated_deadlines(kb, "us")] == ["everywhere"]  # us falls back to other
    assert [d.id for d in dated_deadlines(kb, "eu", ["gram"])] == ["eu-last-day"]
    none_chosen = dated_deadlines(kb, "br", [])
    assert [d.id for d in none_chosen] == ["sp-rules"]  # a date for everyone stays
    cal = _parse(build_calendar(kb, region="br", now=NOW))
    [event] = cal.events
    assert event.start == datetime(2027, 1, 1, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert [str(c) for c in event["categories"].cats] == ["Effective date"]
    assert [tz.tz_name for tz in cal.timezones] == ["America/Sao_Paulo"]


def test_recurring_recheck_every_period_in_the_chats_zone() -> None:
    start = datetime(2027, 2, 27, 8, 0, tzinfo=UTC)
    recheck = Recheck(start, 90, "Europe/Lisbon", ("Facebook", "LinkedIn"))
    cal = _parse(build_calendar(_kb(), region="uk", now=NOW, recheck=recheck))
    [event] = cal.events  # the UK has none of the dated events above
    assert str(event["uid"]) == "recheck@optout-bot"
    rule = event["rrule"]
    assert rule["FREQ"] == ["DAILY"] and rule["INTERVAL"] == [90]
    assert event["rrule"].to_ical() == b"FREQ=DAILY;INTERVAL=90"
    assert event.start == start and str(event.start.tzinfo) == "Europe/Lisbon"
    assert "Facebook, LinkedIn" in str(event["description"])
    assert [tz.tz_name for tz in cal.timezones] == ["Europe/Lisbon"]
    # The recurrence keeps local time across the summer-time change.
    occurrences = [
        start.astimezone(ZoneInfo("Europe/Lisbon")) + timedelta(days=90 * n) for n in range(3)
    ]
    assert {o.hour for o in occurrences} == {8}
    with pytest.raises(ValueError):
        build_calendar(_kb(), region="uk", now=NOW.replace(tzinfo=None))


def test_the_same_data_gives_the_same_file_and_uids() -> None:
    first = build_calendar(_kb(), region="eu", now=NOW)
    assert build_calendar(_kb(), region="eu", now=NOW) == first


def test_the_shipped_deadlines_parse(kb: KnowledgeBase) -> None:
    for region in ("eu", "uk", "ch", "br", "other", None):
        cal = _parse(build_calendar(kb, region=region, now=NOW))
        expected = dated_deadlines(kb, region)
        assert len(cal.events) == len(expected)
        for event, dl in zip(cal.events, expected, strict=True):
            assert event.start == dl.at
            assert str(event.start.tzinfo) == dl.timezone
        # UTC times are written with a Z and need no VTIMEZONE (RFC 5545, 3.3.5).
        zones = {d.timezone for d in expected if d.timezone != "UTC"}
        assert {tz.tz_name for tz in cal.timezones} == zones
