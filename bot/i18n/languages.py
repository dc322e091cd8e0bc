"""The eight languages the bot speaks, and what Telegram's `language_code` tells about a user.

Pure functions over IETF tags as Telegram sends them ("de", "pt-br", "en-GB", "es-419"):
which of our languages to speak, and, when the tag carries a country, which region's rules
apply. A tag without a country says nothing about the region ("de" is spoken in Germany,
Austria and Switzerland), so the inference returns None rather than guess.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final[tuple[str, ...]] = ("en", "de", "fr", "es", "it", "nl", "pl", "pt")
DEFAULT_LANGUAGE: Final = "en"

NATIVE_NAMES: Final[dict[str, str]] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
}

# CLDR locale per language for dates, lists and numbers: British English writes
# "27 May 2025" and "A, B and C" as the bot always has; Babel's "pt" is Brazilian Portuguese.
BABEL_LOCALES: Final[dict[str, str]] = {
    "en": "en_GB",
    "de": "de",
    "fr": "fr",
    "es": "es",
    "it": "it",
    "nl": "nl",
    "pl": "pl",
    "pt": "pt_BR",
}

# EU member states plus Iceland, Liechtenstein and Norway (EEA): the GDPR objection applies.
EEA_COUNTRIES: Final[frozenset[str]] = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        "IS", "LI", "NO",
    }
)  # fmt: skip
_COUNTRY_REGIONS: Final[dict[str, str]] = {
    "GB": "uk",
    "UK": "uk",
    "CH": "ch",
    "BR": "br",
    "CA": "ca",
    "HK": "hk",
    "US": "us",
}


def _subtags(code: str | None) -> list[str]:
    if not code:
        return []
    return [part for part in code.strip().replace("_", "-").split("-") if part]


def normalize_language(code: str | None) -> str | None:
    """One of LANGUAGES for a tag such as "pt-br", "de_AT" or "NL", else None.

    European and Brazilian Portuguese both map to "pt" (the catalogue is Brazilian first and
    European readers understand it); any other primary language is not spoken by the bot.
    """
    parts = _subtags(code)
    if not parts:
        return None
    primary = parts[0].lower()
    return primary if primary in LANGUAGES else None


def country_of(code: str | None) -> str | None:
    """The ISO 3166 country of a tag ("de-at" -> "AT"), None when it names none.

    A region subtag is two letters (a country) or three digits (a UN area such as "419",
    Latin America, which is not one country); script subtags ("zh-Hant") are four letters.
    """
    for part in _subtags(code)[1:]:
        if len(part) == 2 and part.isalpha() and part.isascii():
            return part.upper()
    return None


def region_of_country(country: str | None) -> str | None:
    """The bot's region ("eu", "uk", "ch", "br", "ca", "hk", "us", "other") for a country."""
    if not country:
        return None
    country = country.upper()
    if country in EEA_COUNTRIES:
        return "eu"
    return _COUNTRY_REGIONS.get(country, "other")


def region_from_language_code(code: str | None) -> str | None:
    """A region guessed from the country part of a Telegram language_code, or None.

    Only a suggestion for /start: the user's own choice of region always wins.
    """
    return region_of_country(country_of(code))


def native_name(language: str) -> str:
    """The language's name in itself, for the /language buttons."""
    return NATIVE_NAMES[language]
