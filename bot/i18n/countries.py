"""Countries by name or code, and the region whose rules apply there.

`/region germany`, `/region DE` and `/region Brasil` mean what they say, and a question such
as "I'm from Poland, can I object?" tells the region. Names come from CLDR (through Babel) in
the bot's eight languages, so "Deutschland", "Polska" and "España" work as well as the
English names, plus the everyday names CLDR does not list ("USA", "Britain", "Holland").
Which region a country is in is `region_of_country` (bot/i18n/languages.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from babel import Locale
from rapidfuzz import fuzz, process

from bot.i18n.languages import BABEL_LOCALES, region_of_country

# CLDR territory codes that are no country a person lives in.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})
EVERYDAY_NAMES: dict[str, str] = {
    "usa": "US",
    "the us": "US",
    "the usa": "US",
    "america": "US",
    "united states of america": "US",
    "uk": "GB",
    "the uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "holland": "NL",
    "czech republic": "CZ",
    "hong kong": "HK",
    "macau": "MO",
    "macao": "MO",
}
# Names that mean the EU as a whole: the region, not one country.
EU_NAMES = frozenset({"eu", "the eu", "eea", "the eea", "european union"})
# Country names that are also everyday words or names: never read from a question.
# ("island" is German for Iceland, "ira" and "oma" are Italian and Portuguese forms.)
_AMBIGUOUS_IN_TEXT = frozenset(
    {"chad", "jordan", "georgia", "turkey", "guinea", "niger", "island", "ira", "oma", "jersey"}
)
MAX_NAME_WORDS = 4
# rapidfuzz ratio from which a typed name is offered as a near miss ("germny", "polnad").
SUGGEST_CUTOFF = 80


@dataclass(frozen=True, slots=True)
class Place:
    """A country (ISO 3166 code) or the EU as a whole (code "EU"), and its region."""

    code: str
    name: str  # the English name, to say back what was understood
    region: str


def fold(text: str) -> str:
    """'São Tomé & Príncipe' -> 'sao tome and principe': lowercase, no accents or marks."""
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^\w\s]", " ", text.replace("’", "").replace("'", "")).split())


@cache
def _english_names() -> dict[str, str]:
    names = dict(Locale.parse("en").territories)
    names.update(HK="Hong Kong", MO="Macao", GB="United Kingdom", US="United States")
    return names


@cache
def _names() -> dict[str, str]:
    """Folded name -> ISO code, in every language the bot speaks."""
    index: dict[str, str] = {}
    for locale in dict.fromkeys(BABEL_LOCALES.values()):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                index.setdefault(fold(name), code)
    index.update({fold(name): code for name, code in EVERYDAY_NAMES.items()})
    return index


def _place(code: str) -> Place:
    if code == "EU":
        return Place("EU", "the EU", "eu")
    region = region_of_country(code)
    assert region is not None
    return Place(code, _english_names().get(code, code), region)


def place_name(code: str, language: str) -> str:
    """A country (or "EU") as named in `language`: 'Poland', 'Polen', 'the EU', 'Unia Europejska'.

    English keeps the names `Place` says back; the others are CLDR's, uninflected.
    """
    locale = BABEL_LOCALES.get(language)
    if language == "en" or locale is None:
        return _place(code).name if code == "EU" or region_of_country(code) else code
    return Locale.parse(locale).territories.get(code, code)


def find_place(text: str) -> Place | None:
    """A country or the EU, by name in one of the eight languages or by ISO code, any case."""
    key = fold(text)
    if not key:
        return None
    if key in EU_NAMES:
        return _place("EU")
    if len(key) == 2 and key.upper() in _english_names() and key.upper() not in _NOT_COUNTRIES:
        return _place(key.upper())
    code = _names().get(key) or _names().get(key.removeprefix("the "))
    return _place(code) if code else None


def suggest_places(text: str, limit: int = 3) -> list[Place]:
    """Countries whose name is a near miss of `text` ("germny" -> Germany)."""
    key = fold(text)
    if len(key) < 4:
        return []
    names = _names()
    found = process.extract(
        key, list(names), scorer=fuzz.ratio, limit=None, score_cutoff=SUGGEST_CUTOFF
    )
    out: dict[str, Place] = {}
    for name, _score, _index in found:
        out.setdefault(names[name], _place(names[name]))
    return list(out.values())[:limit]


def place_in_text(text: str) -> Place | None:
    """The one country (or the EU) a question names, such as "I'm from Poland"; else None.

    Only whole names count, never two-letter codes ("us" is a pronoun), and a question that
    names places in different regions says nothing certain about where the reader lives.
    """
    words = fold(text).split()
    names = _names()
    found: dict[str, Place] = {}
    i = 0
    while i < len(words):
        for size in range(min(MAX_NAME_WORDS, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + size])
            code = "EU" if phrase in EU_NAMES else names.get(phrase)
            if code and phrase not in _AMBIGUOUS_IN_TEXT:
                place = _place(code)
                found.setdefault(place.region, place)
                i += size
                break
        else:
            i += 1
    return next(iter(found.values())) if len(found) == 1 else None
