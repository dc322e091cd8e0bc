"""Synonyms: many spellings, one canonical form.

Phrases (several words) are replaced before single words. The table lives in
`faq/synonyms.yaml` and platform aliases in `faq/platforms.yaml`, so FAQ authors extend
both without touching code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.matching.normalize import normalize


class SynonymMap:
    """Rewrites normalised text so every spelling of an idea becomes its canonical form."""

    def __init__(self, table: Mapping[str, Iterable[str]]) -> None:
        self._map: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, variants in table.items():
            target = tuple(normalize(canonical).split())
            for variant in variants:
                key = tuple(normalize(variant).split())
                if key and key != target:
                    self._map.setdefault(key, target)
        self._longest = max((len(k) for k in self._map), default=1)

    def apply(self, text: str) -> str:
        words = text.split()
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                key = tuple(words[i : i + size])
                target = self._map.get(key)
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)


def build_synonyms(
    synonyms: Mapping[str, Iterable[str]], platform_aliases: Mapping[str, Iterable[str]]
) -> SynonymMap:
    """`faq/synonyms.yaml` plus every platform alias mapped to the platform id."""
    table: dict[str, list[str]] = {k: list(v) for k, v in synonyms.items()}
    for platform_id, aliases in platform_aliases.items():
        table.setdefault(platform_id, []).extend(aliases)
    return SynonymMap(table)
