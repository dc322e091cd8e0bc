from datetime import UTC, datetime, timedelta

import pytest

from bot.i18n.formatting import (
    duration,
    duration_parts,
    format_date,
    format_datetime,
    format_list,
    format_number,
    plural_category,
    relative,
)
from bot.i18n.languages import LANGUAGES

BASE = datetime(2025, 5, 27, tzinfo=UTC)
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "27 May 2025"),
        ("de", "27. Mai 2025"),
        ("fr", "27 mai 2025"),
        ("es", "27 de mayo de 2025"),
        ("it", "27 maggio 2025"),
        ("nl", "27 mei 2025"),
        ("pl", "27 maja 2025"),
        ("pt", "27 de maio de 2025"),
    ],
)
def test_long_dates(language, expected):
    assert format_date(BASE, language) == expected


def test_dates_fall_on_the_day_of_the_time_zone():
    moment = datetime(2025, 5, 26, 22, 30, tzinfo=UTC)
    assert format_date(moment, "de", "Europe/Berlin") == "27. Mai 2025"
    assert format_date(moment, "de", "UTC") == "26. Mai 2025"
    assert format_date(moment, "pt", "America/Sao_Paulo") == "26 de maio de 2025"


def test_date_and_time_name_the_zone():
    moment = datetime(2025, 5, 27, 12, 0, tzinfo=UTC)
    assert format_datetime(moment, "en", "Europe/Berlin") == "27 May 2025, 14:00 (Europe/Berlin)"
    assert format_datetime(moment, "de", "Europe/Berlin") == "27. Mai 2025, 14:00 (Europe/Berlin)"
    assert format_datetime(moment, "en", "Europe/London") == "27 May 2025, 13:00 (Europe/London)"


@pytest.mark.parametrize(
    ("language", "past", "future"),
    [
        ("en", "1 year and 6 months ago", "in 1 year and 6 months"),
        ("de", "vor 1 Jahr und 6 Monaten", "in 1 Jahr und 6 Monaten"),
        ("fr", "il y a 1 an et 6 mois", "dans 1 an et 6 mois"),
        ("es", "hace 1 año y 6 meses", "dentro de 1 año y 6 meses"),
        ("it", "1 anno e 6 mesi fa", "tra 1 anno e 6 mesi"),
        ("nl", "1 jaar en 6 maanden geleden", "over 1 jaar en 6 maanden"),
        ("pl", "1 rok i 6 miesięcy temu", "za 1 rok i 6 miesięcy"),
        ("pt", "há 1 ano e 6 meses", "em 1 ano e 6 meses"),
    ],
)
def test_eighteen_months_in_both_directions_keep_both_units(language, past, future):
    assert relative(BASE, NOW, language) == past
    assert relative(NOW, BASE, language) == future


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1 year ago"),
        ("de", "vor 1 Jahr"),
        ("fr", "il y a 1 an"),
        ("pl", "1 rok temu"),
    ],
)
def test_a_whole_year_is_one_unit(language, expected):
    assert relative(NOW - timedelta(days=366), NOW, language) == expected


def test_plural_forms_and_cases_come_from_cldr():
    assert relative(NOW - timedelta(days=2), NOW, "pl") == "2 dni temu"
    assert relative(NOW + timedelta(hours=2), NOW, "pl") == "za 2 godziny"
    assert relative(NOW + timedelta(hours=5), NOW, "pl") == "za 5 godzin"
    assert relative(NOW - timedelta(days=3, hours=4), NOW, "de") == "vor 3 Tagen und 4 Stunden"
    assert duration(NOW, NOW + timedelta(days=3, hours=4), "de") == "3 Tage und 4 Stunden"


@pytest.mark.parametrize(
    ("later", "parts"),
    [
        (BASE + timedelta(seconds=30), [(30, "second")]),
        (BASE + timedelta(minutes=59), [(59, "minute")]),
        (BASE + timedelta(hours=5, minutes=10), [(5, "hour"), (10, "minute")]),
        (BASE + timedelta(hours=5), [(5, "hour")]),
        (BASE + timedelta(days=3, hours=4), [(3, "day"), (4, "hour")]),
        (BASE + timedelta(days=10, hours=4), [(10, "day")]),
        (datetime(2026, 11, 26, 12, tzinfo=UTC), [(1, "year"), (5, "month")]),
        (datetime(2025, 7, 1, tzinfo=UTC), [(1, "month"), (4, "day")]),
        (datetime(2027, 5, 27, tzinfo=UTC), [(2, "year")]),
    ],
)
def test_the_units_worth_saying(later, parts):
    assert duration_parts(BASE, later) == parts


def test_calendar_months_clamp_to_short_months():
    jan31 = datetime(2025, 1, 31, tzinfo=UTC)
    assert duration_parts(jan31, datetime(2025, 2, 28, tzinfo=UTC)) == [(28, "day")]
    assert duration_parts(jan31, datetime(2025, 3, 31, tzinfo=UTC)) == [(2, "month")]


def test_every_language_renders_every_unit_in_both_directions():
    for language in LANGUAGES:
        for delta in (
            timedelta(seconds=5),
            timedelta(minutes=3),
            timedelta(hours=1, minutes=1),
            timedelta(days=4, hours=2),
            timedelta(days=45),
            timedelta(days=800),
        ):
            past, future = (
                relative(NOW - delta, NOW, language),
                relative(NOW + delta, NOW, language),
            )
            assert past != future and any(c.isdigit() for c in past), (language, delta)


def test_lists_numbers_and_plural_categories():
    assert (
        format_list(["Facebook", "Instagram", "Threads"], "en") == "Facebook, Instagram and Threads"
    )
    assert (
        format_list(["Facebook", "Instagram", "Threads"], "de") == "Facebook, Instagram und Threads"
    )
    assert format_list(["Facebook", "Instagram"], "fr", style="or") == "Facebook ou Instagram"
    assert format_list(["Facebook"], "pl") == "Facebook"
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(1234.5, "de") == "1.234,5"
    assert [plural_category(n, "pl") for n in (1, 3, 5)] == ["one", "few", "many"]
    assert plural_category(1, "en") == "one" and plural_category(0, "fr") == "one"


def test_a_language_the_bot_does_not_speak_formats_in_english():
    assert format_date(BASE, "ru") == "27 May 2025"
