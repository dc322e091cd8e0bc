"""Dates, durations, relative times, lists and numbers in each language, from CLDR via Babel.

The functions keep the shapes of bot/render/timefmt.py (which they replace) with a
`language` argument: `format_date`, `format_datetime`, `duration`, `relative`.

CLDR has no pattern for a two-unit relative time ("1 year and 6 months ago"), and Babel's
`format_timedelta` rounds 18 months to "2 years" (it counts 30-day months). So the units
come from calendar arithmetic, each is rendered by `format_timedelta` at exactly its own
granularity (which picks the right grammatical case and plural form, e.g. Polish
"6 miesięcy temu", German "vor 6 Monaten"), and the parts are joined with CLDR's list
pattern inside the direction words they share ("vor 1 Jahr und 6 Monaten",
"1 anno e 6 mesi fa", "il y a 1 an et 6 mois").
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.dates import format_timedelta, get_datetime_format
from babel.lists import format_list as babel_format_list
from babel.numbers import format_decimal

from bot.i18n.languages import BABEL_LOCALES, DEFAULT_LANGUAGE

Unit = Literal["year", "month", "week", "day", "hour", "minute", "second"]
# Babel's own unit lengths: a value times its length renders as exactly that value.
_UNIT_SECONDS: dict[Unit, int] = {
    "year": 365 * 86400,
    "month": 30 * 86400,
    "week": 7 * 86400,
    "day": 86400,
    "hour": 3600,
    "minute": 60,
    "second": 1,
}


def babel_locale(language: str | None) -> str:
    """The CLDR locale for one of the eight languages; English for anything else."""
    return BABEL_LOCALES.get(language or DEFAULT_LANGUAGE, BABEL_LOCALES[DEFAULT_LANGUAGE])


def _local(moment: datetime, tz: str | None) -> datetime:
    return moment.astimezone(ZoneInfo(tz)) if tz else moment


def format_date(moment: datetime, language: str, tz: str | None = None) -> str:
    """'27 May 2025', '27. Mai 2025', '27 de maio de 2025': the day in `tz` when given."""
    return babel_format_date(_local(moment, tz).date(), "long", locale=babel_locale(language))


def format_day(day: date, language: str, *, short: bool = False) -> str:
    """A calendar date: '12 June 2026', '12. Juni 2026'; `short`: '12 Jun 2026', '12.06.2026'."""
    return babel_format_date(day, "medium" if short else "long", locale=babel_locale(language))


def format_time(moment: datetime, language: str, tz: str) -> str:
    """'14:00' in `tz` (every one of the eight writes the 24-hour clock)."""
    local = _local(moment, tz)
    return babel_format_time(local, "short", tzinfo=local.tzinfo, locale=babel_locale(language))


def format_datetime(moment: datetime, language: str, tz: str) -> str:
    """'27 May 2025, 14:00 (Europe/Berlin)': long date and short time joined as CLDR does."""
    locale = babel_locale(language)
    glue = get_datetime_format("medium", locale=locale).replace("'", "")
    joined = glue.replace("{1}", format_date(moment, language, tz)).replace(
        "{0}", format_time(moment, language, tz)
    )
    return f"{joined} ({tz})"


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, _month_length(year, month)))


def _month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def duration_parts(earlier: datetime, later: datetime) -> list[tuple[int, Unit]]:
    """The one or two units worth saying for a span (later >= earlier), largest first.

    Under a minute: seconds; under an hour: minutes; under two days: hours and minutes;
    under a month: days (and hours in the first week); beyond: calendar years and months,
    or months and days.
    """
    earlier, later = earlier.astimezone(UTC), later.astimezone(UTC)
    seconds = int((later - earlier).total_seconds())
    if seconds < 60:
        return [(max(seconds, 0), "second")]
    if seconds < 3600:
        return [(seconds // 60, "minute")]
    if seconds < 2 * 86400:
        return _nonzero([(seconds // 3600, "hour"), (seconds % 3600 // 60, "minute")])
    if seconds < 31 * 86400:
        days, hours = divmod(seconds // 3600, 24)
        return _nonzero([(days, "day"), (hours if days < 7 else 0, "hour")])
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if _add_months(earlier, months) > later:
        months -= 1
    days = (later - _add_months(earlier, months)).days
    years, months = divmod(months, 12)
    if years:
        return _nonzero([(years, "year"), (months, "month")])
    return _nonzero([(months, "month"), (days, "day")])


def _nonzero(parts: list[tuple[int, Unit]]) -> list[tuple[int, Unit]]:
    return [parts[0], *(p for p in parts[1:] if p[0])]


def _render(value: int, unit: Unit, locale: str, direction: int | None) -> str:
    """'6 Monate', or with direction -1/+1 'vor 6 Monaten'/'in 6 Monaten'."""
    seconds = value * _UNIT_SECONDS[unit] * (direction or 1)
    return format_timedelta(
        timedelta(seconds=seconds),
        granularity=unit,
        threshold=math.inf,
        add_direction=direction is not None,
        locale=locale,
    )


def _shared_affixes(rendered: list[str]) -> tuple[str, str] | None:
    """The direction words around the number that all parts share, e.g. ('vor ', '').

    The prefix is the text before the first digit; the suffix is the longest common ending
    that starts at a space, so a shared inflection ending ("Jahren"/"Monaten") is not taken
    for a word. None when the parts do not share their prefix.
    """
    prefixes = {
        text[: next((i for i, c in enumerate(text) if c.isdigit()), 0)] for text in rendered
    }
    if len(prefixes) != 1:
        return None
    shortest = min(len(text) for text in rendered)
    common = 0
    while common < shortest and len({text[-common - 1] for text in rendered}) == 1:
        common += 1
    suffix = rendered[0][len(rendered[0]) - common :] if common else ""
    while suffix and not suffix[0].isspace():
        suffix = suffix[1:]
    return prefixes.pop(), suffix


def _join(parts: list[tuple[int, Unit]], locale: str, direction: int | None) -> str:
    rendered = [_render(value, unit, locale, direction) for value, unit in parts]
    if len(rendered) == 1 or direction is None:
        return babel_format_list(rendered, locale=locale)
    affixes = _shared_affixes(rendered)
    if affixes is None:
        return rendered[0]
    prefix, suffix = affixes
    cores = [text[len(prefix) : len(text) - len(suffix)] for text in rendered]
    return prefix + babel_format_list(cores, locale=locale) + suffix


def duration(earlier: datetime, later: datetime, language: str) -> str:
    """'1 year and 6 months', '3 Tage und 4 Stunden', '12 minuti' (later >= earlier)."""
    return _join(duration_parts(earlier, later), babel_locale(language), None)


def relative(moment: datetime, now: datetime, language: str) -> str:
    """'in 3 days' / '1 year and 6 months ago', 'vor 1 Jahr und 6 Monaten', 'il y a 1 an'."""
    if moment >= now:
        return _join(duration_parts(now, moment), babel_locale(language), 1)
    return _join(duration_parts(moment, now), babel_locale(language), -1)


def format_list(items: Iterable[str], language: str, style: str = "standard") -> str:
    """'A, B and C', 'A, B und C'; style 'or' gives 'A, B or C'."""
    return babel_format_list(list(items), style=style, locale=babel_locale(language))


def format_number(number: float, language: str) -> str:
    """'1,234.5' / '1.234,5' / '1 234,5' as the language writes it."""
    return format_decimal(number, locale=babel_locale(language))


def plural_category(count: float, language: str) -> str:
    """CLDR plural category of a count: 'one', 'few', 'many' or 'other' (Polish has all)."""
    return Locale.parse(babel_locale(language)).plural_form(count)


def lead_time(seconds: int, language: str) -> str:
    """How long before a deadline a reminder comes: '3 days', '1 day 12 hours', '2 Stunden'.

    Each unit is CLDR's (the right plural form), joined by a space as /remind reads them
    back; English reads as `bot.reminders.plan.format_lead` writes it.
    """
    if seconds <= 0:
        raise ValueError(f"a lead time is positive, got {seconds!r}")
    locale = babel_locale(language)
    parts: list[str] = []
    rest = int(seconds)
    for unit in ("day", "hour", "minute", "second"):
        count, rest = divmod(rest, _UNIT_SECONDS[unit])  # type: ignore[index]
        if count:
            parts.append(_render(count, unit, locale, None))  # type: ignore[arg-type]
    return " ".join(parts)
