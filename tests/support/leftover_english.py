"""Finds English interface sentences left in a reply meant for another language.

Every interface string is a gettext message whose id is the English sentence. A reply for a
German chat that contains a stretch of a msgid's own words (at least `MIN_FRAGMENT`
characters between placeholders and tags) which the German translation of that msgid does
not contain still reads, there, in English. Short stretches ("Instagram", "/remind off")
are left out: names and commands read the same in every language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from bot.i18n.catalog import read_catalog

MIN_FRAGMENT = 12
_SPLIT = re.compile(r"\{[^}]*\}|<[^>]+>|\n")
_TRIM = " .,:;!?()“”‘’'\"…–-•"


def _fragments(message: str) -> list[str]:
    return [p.strip(_TRIM) for p in _SPLIT.split(message) if len(p.strip(_TRIM)) >= MIN_FRAGMENT]


@cache
def english_fragments(language: str) -> frozenset[str]:
    """Stretches of English msgids that `language`'s translations do not share."""
    found: set[str] = set()
    for message in read_catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        for source in ids:
            for fragment in _fragments(source):
                if not any(fragment in s for s in strings if s):
                    found.add(fragment)
    return frozenset(found)


def leftover_english(texts: Iterable[str], language: str) -> list[str]:
    """The English fragments found in `texts` (reply texts, button labels, toasts)."""
    fragments = english_fragments(language)
    return sorted({f for text in texts if text for f in fragments if f in text})
