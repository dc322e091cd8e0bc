"""Dates and "how long" in the reader's language, computed from the data and the clock.

English keeps the wording of timefmt.py: rounded the way people say it ("a year and a half
ago"). The other languages get CLDR's words through Babel (bot/i18n/formatting.py): the
calendar span in one or two units ("vor 1 Jahr und 6 Monaten"), since CLDR has no pattern
for "a year and a half".
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.i18n import formatting
from bot.i18n.catalog import translator
from bot.knowledge.model import DEFAULT_LANGUAGE
from bot.render import timefmt


def date_words(moment: datetime, language: str, tz: str | None = None) -> str:
    """'27 May 2025', '27. Mai 2025': the day in `tz` when given."""
    if language == DEFAULT_LANGUAGE:
        return timefmt.format_date(moment, tz)
    return formatting.format_date(moment, language, tz)


def day_words(day: date, language: str, *, short: bool = False) -> str:
    """'12 June 2026' or, `short`, '12 Jun 2026' / '12.06.2026'."""
    if language == DEFAULT_LANGUAGE:
        return timefmt.format_day(day, short=short)
    return formatting.format_day(day, language, short=short)


def datetime_words(moment: datetime, language: str, tz: str) -> str:
    """'27 May 2025, 14:00 (Europe/Berlin)'."""
    if language == DEFAULT_LANGUAGE:
        return timefmt.format_datetime(moment, tz)
    return formatting.format_datetime(moment, language, tz)


def relative_words(moment: datetime, now: datetime, language: str) -> str:
    """'in 3 days', 'a year and a half ago', 'vor 1 Jahr und 6 Monaten', 'dans 3 jours'."""
    if language == DEFAULT_LANGUAGE:
        return timefmt.approx_relative(moment, now)
    return formatting.relative(moment, now, language)


def day_relative_words(day: date, now: datetime, language: str) -> str:
    """A calendar date against now, in whole days: 'today', 'gestern', 'il y a 3 jours'.

    Counted in days, so a date checked this morning is 'today', never 'in 2 hours'.
    """
    if language == DEFAULT_LANGUAGE:
        return timefmt.day_relative(day, now)
    _ = translator(language).gettext
    days = (now.astimezone(UTC).date() - day).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    if days == -1:
        return _("tomorrow")
    today = timefmt.as_moment(now.astimezone(UTC).date())
    return formatting.relative(timefmt.as_moment(day), today, language)


def dated_words(day: date, now: datetime, language: str, *, short: bool = False) -> str:
    """'26 November 2026 (3 days ago)', '26. November 2026 (vor 3 Tagen)'."""
    return f"{day_words(day, language, short=short)} ({day_relative_words(day, now, language)})"
