from datetime import UTC, datetime, timedelta

import pytest

from bot.render.timefmt import duration, format_date, relative

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
