"""Dates and durations in plain words, computed from the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def format_date(moment: datetime, tz: str | None = None) -> str:
    local = moment.astimezone(ZoneInfo(tz)) if tz else moment
    return f"{local.day} {local:%B %Y}"


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
