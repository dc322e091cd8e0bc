"""Synonyms: many spellings, one canonical form.

Phrases (several words) are replaced before single words. The table lives in
`faq/synonyms.yaml` and platform aliases in `faq/platforms.yaml`, so FAQ authors extend
both without touching code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from bot.lang.normalize import normalize


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
        self._starts = {k[0] for k in self._map}  # most words start no variant: skip them fast

    def apply(self, text: str) -> str:
        return " ".join(w for w, _ in self.rewrite([(w, False) for w in text.split()]))

    def rewrite(self, words: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
        """Replace variants in a tagged word list; words put in by a replacement are tagged True.

        The tag tells the matcher which words are now in the canonical (English) vocabulary,
        so it stems them as English, and which are still the question's own words.
        """
        out: list[tuple[str, bool]] = []
        i = 0
        while i < len(words):
            if words[i][0] not in self._starts:
                out.append(words[i])
                i += 1
                continue
            for size in range(min(self._longest, len(words) - i), 0, -1):
                key = tuple(w for w, _ in words[i : i + size])
                target = self._map.get(key)
                if target is not None:
                    out.extend((w, True) for w in target)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def __contains__(self, word: str) -> bool:
        return (word,) in self._map


# Ordinary English words that another language's alias list uses as an app name ("face"
# is Facebook in French and Portuguese): in an English question they keep their meaning.
ENGLISH_WORDS = frozenset({"face", "thread", "tread", "treads", "zap"})


def build_synonyms(
    synonyms: Mapping[str, Iterable[str]],
    platform_aliases: Mapping[str, Iterable[str]],
    reserved: Callable[[tuple[str, ...]], bool] | None = None,
) -> SynonymMap:
    """`faq/synonyms.yaml` plus every platform alias mapped to the platform id.

    An alias never rewrites a canonical form of the synonyms table ("meta.ai" normalises to
    "meta ai", which is the assistant, not the app), nor a phrase `reserved` claims (for
    English: "whats", an alias in Portuguese, normalises to "what is").
    """
    table: dict[str, list[str]] = {k: list(v) for k, v in synonyms.items()}
    canonical = {tuple(normalize(k).split()) for k in synonyms}
    for platform_id, aliases in platform_aliases.items():
        kept = []
        for alias in aliases:
            key = tuple(normalize(alias).split())
            if key in canonical or (reserved is not None and reserved(key)):
                continue
            kept.append(alias)
        table.setdefault(platform_id, []).extend(kept)
    return SynonymMap(table)


def english_reserved(stopwords: frozenset[str]) -> Callable[[tuple[str, ...]], bool]:
    """Alias phrases that an English question means as plain English: function words only,
    or one of ENGLISH_WORDS."""

    def reserved(key: tuple[str, ...]) -> bool:
        return all(w in stopwords for w in key) or (len(key) == 1 and key[0] in ENGLISH_WORDS)

    return reserved
