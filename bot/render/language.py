"""The words around the knowledge base's texts, in the reader's language.

Renderers bind `_ = words(language)` and mark their strings with it, so `make messages`
finds them; the translations are the gettext catalogues of bot/i18n/locale.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n.catalog import translator
from bot.i18n.languages import NATIVE_NAMES
from bot.knowledge.model import DEFAULT_LANGUAGE


def words(language: str) -> Callable[[str], str]:
    """gettext for `language` (English for a language the bot does not speak)."""
    return translator(language).gettext


# Inside a sentence these languages write a language's name in lower case ("en français").
_LOWER_CASE_NAMES = frozenset({"fr", "es", "it", "pl", "pt"})


def name_in_text(language: str) -> str:
    """A language's own name as written mid-sentence in it: 'Deutsch', 'français'."""
    name = NATIVE_NAMES[language]
    return name.lower() if language in _LOWER_CASE_NAMES else name


def fallback_note(language: str) -> str | None:
    """The line shown above English text given to a reader of another language."""
    if language == DEFAULT_LANGUAGE or language not in NATIVE_NAMES:
        return None
    _ = words(language)
    note = _("(This answer is not yet available in {language}; here it is in English.)")
    return f"<i>{note.format(language=name_in_text(language))}</i>"
