from datetime import UTC, date, datetime, timedelta

import pytest

from bot.render.timefmt import (
    approx_relative,
    approximate,
    duration,
    format_date,
    format_day,
    relative,
)

BASE = datetime(2025, 5, 27, tzinfo=UTC)


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        (BASE + timedelta(seconds=30), "less than a minute"),
        (BASE + timedelta(minutes=1), "1 minute"),
        (BASE + timedelta(minutes=59), "59 minutes"),
        (BASE + timedelta(hours=5, minutes=10), "5 hours and 10 minutes"),
        (BASE + timedelta(days=3, hours=4), "3 days and 4 hours"),
        (BASE + timedelta(days=10), "10 days"),
        (datetime(2026, 11, 26, 12, tzinfo=UTC), "1 year and 5 months"),
        (datetime(2025, 7, 1, tzinfo=UTC), "1 month and 4 days"),
        (datetime(2027, 5, 27, tzinfo=UTC), "2 years"),
    ],
)
def test_duration(later, expected):
    assert duration(BASE, later) == expected


def test_relative_future_and_past():
    assert relative(BASE + timedelta(days=3), BASE) == "in 3 days"
    assert relative(BASE, BASE + timedelta(days=3)) == "3 days ago"


def test_format_date_uses_the_deadline_time_zone():
    moment = datetime(2025, 5, 26, 22, 30, tzinfo=UTC)
    assert format_date(moment, "Europe/Brussels") == "27 May 2025"
    assert format_date(moment, "UTC") == "26 May 2025"


@pytest.mark.parametrize(
    ("earlier", "expected"),
    [
        (datetime(2025, 5, 27, tzinfo=UTC), "a year and a half"),
        (datetime(2025, 12, 16, tzinfo=UTC), "11 months"),
        (datetime(2025, 11, 1, tzinfo=UTC), "a year"),
        (datetime(2024, 9, 18, tzinfo=UTC), "2 years"),
        (datetime(2023, 11, 1, tzinfo=UTC), "3 years"),
        (datetime(2024, 4, 1, tzinfo=UTC), "2 and a half years"),
        (datetime(2026, 10, 30, tzinfo=UTC), "a month"),
        (datetime(2026, 11, 10, tzinfo=UTC), "3 weeks"),
        (datetime(2026, 11, 20, tzinfo=UTC), "9 days"),
        (datetime(2026, 11, 29, 9, tzinfo=UTC), "3 hours"),
    ],
)
def test_approximate_spans(earlier, expected):
    assert approximate(earlier, datetime(2026, 11, 29, 12, tzinfo=UTC)) == expected


def test_approximate_relative_both_ways_and_short_dates():
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert approx_relative(datetime(2025, 5, 27, tzinfo=UTC), now) == "a year and a half ago"
    assert approx_relative(datetime(2027, 8, 2, tzinfo=UTC), now) == "in 8 months"
    assert format_day(date(2026, 6, 12), short=True) == "12 Jun 2026"
    assert format_day(date(2026, 6, 12)) == "12 June 2026"
