import pytest
from babel import Locale

from bot.i18n.languages import (
    BABEL_LOCALES,
    LANGUAGES,
    NATIVE_NAMES,
    country_of,
    native_name,
    normalize_language,
    region_from_language_code,
    region_of_country,
)
from bot.knowledge.model import LANGUAGES as KNOWLEDGE_LANGUAGES
from bot.knowledge.model import REGIONS


def test_the_eight_languages_agree_with_the_knowledge_base():
    assert LANGUAGES == KNOWLEDGE_LANGUAGES


def test_native_names_are_cldr_names_in_the_language_itself():
    for language in LANGUAGES:
        cldr = Locale.parse(BABEL_LOCALES[language]).get_language_name(language)
        assert native_name(language).casefold() == cldr.casefold()
    assert NATIVE_NAMES["pt"] == "Português" and NATIVE_NAMES["fr"] == "Français"


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("de", "de"),
        ("de-at", "de"),
        ("DE-CH", "de"),
        ("pt-br", "pt"),
        ("pt-PT", "pt"),
        ("pt_BR", "pt"),
        ("nl-be", "nl"),
        ("fr-ch", "fr"),
        ("en-GB", "en"),
        ("es-419", "es"),
        (" it ", "it"),
        ("ru", None),
        ("uk", None),  # Ukrainian, not the United Kingdom
        ("", None),
        (None, None),
        ("-", None),
    ],
)
def test_telegram_language_codes_map_to_the_eight(code, language):
    assert normalize_language(code) == language


@pytest.mark.parametrize(
    ("code", "country", "region"),
    [
        ("de-at", "AT", "eu"),
        ("nl-BE", "BE", "eu"),
        ("pt-pt", "PT", "eu"),
        ("no-NO", "NO", "eu"),  # Norway is in the EEA
        ("pt-br", "BR", "br"),
        ("en-gb", "GB", "uk"),
        ("fr-ch", "CH", "ch"),
        ("en-us", "US", "us"),
        ("en-CA", "CA", "ca"),
        ("zh-HK", "HK", "hk"),
        ("es-419", None, None),  # Latin America is no country
        ("zh-Hant-TW", "TW", "other"),
        ("de", None, None),  # German is spoken in three regions
        (None, None, None),
    ],
)
def test_country_and_region_from_the_country_part(code, country, region):
    assert country_of(code) == country
    assert region_from_language_code(code) == region


def test_every_inferred_region_is_one_the_bot_knows():
    for country in ("DE", "IS", "LI", "GB", "CH", "BR", "JP"):
        assert region_of_country(country) in REGIONS
    assert region_of_country(None) is None
    assert region_of_country("at") == "eu"
