"""Dates and durations in plain words, computed from the injected clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def format_date(moment: datetime, tz: str | None = None) -> str:
    local = moment.astimezone(ZoneInfo(tz)) if tz else moment
    return f"{local.day} {local:%B %Y}"


def format_day(day: date, *, short: bool = False) -> str:
    """'12 June 2026', or '12 Jun 2026' with `short` (source dates, lists)."""
    return f"{day.day} {day:%b %Y}" if short else f"{day.day} {day:%B %Y}"


def format_datetime(moment: datetime, tz: str) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local.day} {local:%B %Y, %H:%M} ({tz})"


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _join(parts: list[str]) -> str:
    return " and ".join(parts[:2])


def _months_between(earlier: datetime, later: datetime) -> tuple[int, int]:
    """Whole months between two dates, then the leftover days."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    if later.day < earlier.day:
        months -= 1
    anchor_month = earlier.month - 1 + months
    year = earlier.year + anchor_month // 12
    month = anchor_month % 12 + 1
    day = min(earlier.day, 28)
    anchor = earlier.replace(year=year, month=month, day=day)
    return months, max((later.date() - anchor.date()).days, 0)


def duration(earlier: datetime, later: datetime) -> str:
    """'1 year and 6 months', '3 days and 4 hours', '12 minutes' (later >= earlier)."""
    earlier, later = earlier.astimezone(UTC), later.astimezone(UTC)
    delta = later - earlier
    if delta < timedelta(minutes=1):
        return "less than a minute"
    if delta < timedelta(hours=1):
        return _plural(int(delta.total_seconds() // 60), "minute")
    if delta < timedelta(days=2):
        hours = int(delta.total_seconds() // 3600)
        minutes = int(delta.total_seconds() % 3600 // 60)
        return _join([_plural(hours, "hour")] + ([_plural(minutes, "minute")] if minutes else []))
    if delta < timedelta(days=31):
        days = delta.days
        hours = int(delta.seconds // 3600)
        return _join(
            [_plural(days, "day")] + ([_plural(hours, "hour")] if hours and days < 7 else [])
        )
    months, days = _months_between(earlier, later)
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(_plural(years, "year"))
    if months:
        parts.append(_plural(months, "month"))
    if not years and days:
        parts.append(_plural(days, "day"))
    return _join(parts) if parts else _plural(delta.days, "day")


def relative(moment: datetime, now: datetime) -> str:
    """'in 3 days' or '1 year and 6 months ago'."""
    if moment >= now:
        return f"in {duration(now, moment)}"
    return f"{duration(moment, now)} ago"


def _halves(months: int) -> str:
    """12-14 months: 'a year'; 15-20: 'a year and a half'; then '2 years', '2 and a half years'."""
    halves = max(round(months / 6), 2)
    years, half = divmod(halves, 2)
    if years == 1:
        return "a year and a half" if half else "a year"
    return f"{years} and a half years" if half else f"{years} years"


def approximate(earlier: datetime, later: datetime) -> str:
    """A span as people say it: '3 days', '2 weeks', '5 months', 'a year and a half'.

    Exact below a month (where the difference matters for acting), rounded above it.
    """
    delta = later.astimezone(UTC) - earlier.astimezone(UTC)
    if delta < timedelta(days=14):
        return duration(earlier, later)
    if delta < timedelta(days=28):
        weeks = round(delta.days / 7)
        return _plural(weeks, "week")
    months = round(delta.days / 30.44)
    if months < 12:
        return "a month" if months == 1 else f"{months} months"
    return _halves(months)


def approx_relative(moment: datetime, now: datetime) -> str:
    """'in 3 days', 'in 5 months', 'a year and a half ago'."""
    if moment >= now:
        return f"in {approximate(now, moment)}"
    return f"{approximate(moment, now)} ago"


def as_moment(day: date) -> datetime:
    """Midday UTC of a calendar date: a date compared with now is never off by a day."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def day_relative(day: date, now: datetime) -> str:
    """A calendar date against now: 'today', 'yesterday', '3 days ago', 'a year and a half ago'.

    Counted in whole days, so a date checked this morning is 'today', never 'in 2 hours'.
    """
    days = (now.astimezone(UTC).date() - day).days
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days == -1:
        return "tomorrow"
    return approx_relative(as_moment(day), as_moment(now.astimezone(UTC).date()))


def dated(day: date, now: datetime, *, short: bool = False) -> str:
    """'26 November 2026 (3 days ago)': a date always says how long ago it was."""
    return f"{format_day(day, short=short)} ({day_relative(day, now)})"
