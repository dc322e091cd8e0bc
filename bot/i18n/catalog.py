"""Interface strings per language: gettext catalogues kept as .po files, read at start-up.

The .po files under locale/<lang>/LC_MESSAGES/ are the only form in the repository. They are
parsed with Babel and turned into standard `gettext.GNUTranslations` in memory when the bot
starts (a few milliseconds per catalogue), so a fresh clone needs no compile step and a
stale .mo can never shadow an edited .po. The source strings are English, so English needs
no catalogue, and an entry missing, empty or marked fuzzy in a catalogue reads in English.
"""

from __future__ import annotations

import gettext
import re
import string
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

from bot.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES

LOCALE_DIR: Final = Path(__file__).parent / "locale"
DOMAIN: Final = "messages"
TRANSLATED_LANGUAGES: Final = tuple(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)

_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")


class CatalogError(Exception):
    """A catalogue is missing or cannot be parsed; the message names the file."""


@dataclass(frozen=True, slots=True)
class Translator:
    """gettext for one language; every lookup falls back to the English source string."""

    language: str
    translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self.translations.npgettext(context, singular, plural, n)


def po_path(language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    """The parsed .po of one language, or CatalogError naming the file and the fault."""
    path = po_path(language, locale_dir)
    try:
        with path.open("rb") as handle:
            return read_po(handle, abort_invalid=True)
    except FileNotFoundError as exc:
        raise CatalogError(f"{path}: missing; run `make messages` to create it") from exc
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: {exc}") from exc


def translator_from_catalog(language: str, catalog: Catalog) -> Translator:
    """Compile in memory; write_mo leaves out empty and fuzzy entries, so they read English."""
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translator(language, gettext.GNUTranslations(buffer))


def english() -> Translator:
    return Translator(DEFAULT_LANGUAGE, gettext.NullTranslations())


@dataclass(frozen=True, slots=True)
class Catalogs:
    """One Translator per language, loaded together at start-up."""

    translators: Mapping[str, Translator]

    def get(self, language: str | None) -> Translator:
        """The language's translator; English for None or a language the bot does not speak."""
        found = self.translators.get(language or DEFAULT_LANGUAGE)
        return found if found is not None else self.translators[DEFAULT_LANGUAGE]


def load_catalogs(locale_dir: Path = LOCALE_DIR) -> Catalogs:
    """Every language's catalogue; raises CatalogError for the first one that is unusable."""
    translators = {DEFAULT_LANGUAGE: english()}
    for language in TRANSLATED_LANGUAGES:
        translators[language] = translator_from_catalog(
            language, read_catalog(language, locale_dir)
        )
    return Catalogs(translators)


@cache
def default_catalogs() -> Catalogs:
    """The shipped catalogues, loaded once per process; call it at start-up to fail early."""
    return load_catalogs()


def translator(language: str | None) -> Translator:
    """The shipped catalogue of `language` (English for None or a language not spoken)."""
    return default_catalogs().get(language)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


def _fields(text: str) -> Counter[str]:
    """The {placeholders} and HTML tags a string uses: a translation must keep them all."""
    found: Counter[str] = Counter()
    try:
        for _, field, _, _ in string.Formatter().parse(text):
            if field is not None:
                found["{" + field + "}"] += 1
    except ValueError:
        found["<unbalanced braces>"] += 1
    for tag in _TAG.finditer(text):
        found[tag.group(0).lower()] += 1
    return found


def _message_problems(message: Message) -> list[str]:
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    label = ids[0] if len(ids[0]) <= 60 else ids[0][:57] + "..."
    if message.fuzzy or not all(strings):
        return [f"untranslated: {label!r}"]
    if len(ids) == 1:
        if _fields(strings[0]) != _fields(ids[0]):
            return [f"placeholders or tags differ: {label!r}"]
        return []
    # Plural forms: a form may drop the number ("one reminder") but never add a field, and
    # together the forms keep every field of the plural source string.
    source = _fields(ids[0]) | _fields(ids[1])
    forms = [_fields(s) for s in strings]
    if any(set(form) - set(source) for form in forms) or set().union(*forms) != set(
        _fields(ids[1])
    ):
        return [f"placeholders or tags differ: {label!r}"]
    return []


def catalog_problems(language: str, locale_dir: Path = LOCALE_DIR) -> list[str]:
    """What `python -m bot check --lang` should report for one catalogue, one line each."""
    try:
        catalog = read_catalog(language, locale_dir)
    except CatalogError as exc:
        return [str(exc)]
    path = po_path(language, locale_dir)
    return [
        f"{path}:{message.lineno}: {problem}"
        for message in catalog
        if message.id
        for problem in _message_problems(message)
    ]
