"""Turn a question in one of the eight languages into the words the matcher compares.

Steps: split elisions ("l'IA" -> "l IA"), normalise (case, accents, contractions), split
German and Dutch compounds into known parts, bridge the language's everyday words onto the
English vocabulary (`lexicon.py`, by word and by stem), apply the FAQ's synonyms and app
aliases (which work in every language, inflected too: "Instagrama" -> instagram), and read
which apps the question is about once negation and exclusion are taken into account
("I don't have Facebook, only WhatsApp" is about WhatsApp alone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.knowledge.model import DEFAULT_LANGUAGE
from bot.lang.normalize import normalize
from bot.lang.profiles import PROFILES, LanguageProfile, stem_word
from bot.matching.synonyms import SynonymMap

# English turns of phrase that put an app out of the question although their verb is no
# filler ("I don't care about Insta", "not interested in Facebook"); read like "apart from".
NEGATED_VERBS = tuple(
    tuple(p.split())
    for p in (
        "do not care about",
        "do not care for",
        "not interested in",
        "stopped using",
        "quit using",
        "gave up on",
        "got rid of my",
        "never open",
        "never touch",
        "never post on",
        "not bothered about",
    )
)
# English words that say what the reader wants out of: the wish to opt out is only that
# when the question names it ("stop insta using my photos", "turn off meta ai") or says
# "object"/"opt out" outright. "Stop" and "turn off" alone are app help as often ("turn off
# the blue ticks in whatsapp", "stop the friend requests on facebook").
OUTRIGHT = frozenset(("opt", "optout", "object", "objection", "objecting", "objected", "refuse"))
_STAKE_WORDS = """
    ai meta training model models llm chatbot bot grok gemini chatgpt copilot claude llama
    data information info posts photos videos content stuff chats messages private
    use using used uses learn"""
STAKES = frozenset(_STAKE_WORDS.split())
CUE_WINDOW = 4  # words a negation or "only" may reach across to the app it governs
_INFLECTION = re.compile(r"[a-z]{1,4}")  # case endings after an app name: instagrama, facebooku
# A negation reaches across a list ("no Facebook, Instagram or WhatsApp") but not past the
# end of a clause ("Not WhatsApp, not Insta - Threads."): sentence ends and dashes.
_CLAUSE_END = re.compile(r"[.!?;:]+(?=\s|$)|\n|\s[-–—]+\s|[–—]")


@dataclass(frozen=True, slots=True)
class Analysis:
    language: str
    words: tuple[str, ...]  # after bridging and synonyms, excluded apps left out
    english: tuple[bool, ...]  # per word: in the canonical English vocabulary
    mentioned: frozenset[str]  # every app named
    excluded: frozenset[str]  # apps the question says it is not about
    only: frozenset[str]  # apps the question says it is only about
    # The question says what it wants out of (AI, training, data, posts...) or objects
    # outright; always true outside English, whose bridged words are not told apart.
    names_stake: bool = True

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def platforms(self) -> frozenset[str]:
        """The apps the question is about."""
        return self.only or (self.mentioned - self.excluded)


class Analyzer:
    """One language's pipeline; built once, then pure and thread-safe."""

    def __init__(
        self,
        language: str,
        synonyms: SynonymMap,
        platform_names: Mapping[str, Iterable[str]],
        lexicon: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.language = language if language in PROFILES else DEFAULT_LANGUAGE
        self.profile: LanguageProfile = PROFILES[self.language]
        english = PROFILES[DEFAULT_LANGUAGE]
        self._english = english
        self.synonyms = synonyms
        self.platform_ids = frozenset(platform_names)
        lexicon = lexicon or {}
        self.bridge = SynonymMap(lexicon)
        self._stem_bridge: dict[str, tuple[str, ...]] = {}
        parts: set[str] = set()
        for target, variants in lexicon.items():
            canonical = tuple(normalize(target).split())
            for variant in variants:
                words = normalize(variant).split()
                if len(words) == 1:
                    (word,) = words
                    self._stem_bridge.setdefault(stem_word(word, self.language), canonical)
                    parts.update((word, stem_word(word, self.language)))
        self._inflected: dict[str, str] = {}
        for pid, names in platform_names.items():
            for name in (pid, *names):
                key = normalize(name)
                if len(key) >= 4 and " " not in key:
                    self._inflected[key] = pid
                    parts.add(key)
        self._parts = frozenset(p for p in parts if len(p) >= 3)
        prof = self.profile
        self._negations = prof.negations | english.negations
        self._only = prof.only | english.only
        self._fillers = prof.fillers | english.fillers | prof.conjunctions | english.conjunctions
        self._list_words = prof.conjunctions | english.conjunctions
        self._exclusions = tuple(
            sorted({*prof.exclusions, *english.exclusions, *NEGATED_VERBS}, key=len)
        )[::-1]
        self._exclusion_starts = {phrase[0] for phrase in self._exclusions if phrase}
        self._elision = (
            re.compile(r"\b(" + "|".join(prof.elisions) + r")['\u2019\u02bc`\u00b4]", re.I)
            if prof.elisions
            else None
        )

    # -- words ------------------------------------------------------------------------
    def _split_compound(self, word: str) -> list[str]:
        """'widerspruchsformular' -> ['widerspruch', 'formular'] when both parts are known."""
        if len(word) < 8 or word in self._parts:
            return [word]
        for i in range(len(word) - 3, 2, -1):  # longest head first
            head, tail = word[:i], word[i:]
            tail_ok = tail in self._parts or stem_word(tail, self.language) in self._parts
            if not tail_ok:
                continue
            for candidate in (head, head[:-1] if head.endswith("s") else "", head + "e"):
                if candidate and (
                    candidate in self._parts or stem_word(candidate, self.language) in self._parts
                ):
                    return [candidate, tail]
        return [word]

    def _app_name(self, word: str) -> str | None:
        """An app named with a case ending ('instagrama', 'facebooku', 'whatsappie')."""
        # Only the 1-4 letters after a known name can be an ending: look those prefixes up.
        for cut in range(len(word) - 1, max(len(word) - 5, 0), -1):
            pid = self._inflected.get(word[:cut])
            if pid is not None and _INFLECTION.fullmatch(word[cut:]):
                return pid
        return None

    def _bridge(self, words: list[str]) -> list[tuple[str, bool]]:
        tagged = self.bridge.rewrite([(w, False) for w in words])
        out: list[tuple[str, bool]] = []
        for word, done in tagged:
            if done:
                out.append((word, True))
                continue
            target = self._stem_bridge.get(stem_word(word, self.language))
            if target is not None:
                out.extend((w, True) for w in target)
            else:
                out.append((word, False))
        return out

    def tagged_words(self, text: str) -> list[tuple[str, bool]]:
        """(word, English?) pairs after normalising, bridging and the synonyms."""
        if self._elision is not None:
            text = self._elision.sub(r"\1 ", text)
        words = normalize(text).split()
        if self.language == DEFAULT_LANGUAGE:
            return self.synonyms.rewrite([(w, True) for w in words])
        if self.profile.compounds:
            words = [part for w in words for part in self._split_compound(w)]
        tagged = self.synonyms.rewrite(self._bridge(words))
        out = []
        for word, english in tagged:
            pid = None if english or word in self.platform_ids else self._app_name(word)
            out.append((pid, True) if pid else (word, english))
        return out

    # -- which apps -------------------------------------------------------------------
    def _exclusion_at(self, words: list[str], i: int) -> int:
        if words[i] not in self._exclusion_starts:
            return 0
        for phrase in self._exclusions:
            if tuple(words[i : i + len(phrase)]) == phrase:
                return len(phrase)
        return 0

    def _scope(self, words: list[str]) -> tuple[set[str], set[str], set[str]]:
        """Apps named, excluded and "only" ones. Once a cue has reached an app, it goes on
        only along a list ("no Facebook, Instagram or WhatsApp"): "I don't use Instagram, is
        my Facebook affected?" is about Facebook."""
        mentioned: set[str] = set()
        excluded: set[str] = set()
        only: set[str] = set()
        mode: str | None = None
        budget = 0
        after_app = False
        i = 0
        while i < len(words):
            word = words[i]
            skip = self._exclusion_at(words, i)
            if skip:
                mode, budget, after_app = "exclude", CUE_WINDOW, False
                i += skip
                continue
            if word in self.platform_ids:
                mentioned.add(word)
                if i + 2 == len(words) and words[i + 1] in self._negations:
                    excluded.add(word)  # "Insta never." / "Facebook no."
                elif mode == "exclude":
                    excluded.add(word)
                    budget, after_app = CUE_WINDOW, True
                elif mode == "only" or (i + 1 < len(words) and words[i + 1] in self._only):
                    only.add(word)
                    mode, budget, after_app = "only", CUE_WINDOW, True
            elif word in self._negations:
                mode, budget, after_app = "exclude", CUE_WINDOW, False
            elif word in self._only:
                mode, budget, after_app = "only", CUE_WINDOW, False
            elif (
                mode
                and word in self._fillers
                and budget > 1
                and (not after_app or word in self._list_words)
            ):
                budget -= 1
            else:
                mode = None
            i += 1
        return mentioned, excluded - only, only

    def analyze(self, text: str) -> Analysis:
        tagged: list[tuple[str, bool]] = []
        mentioned: set[str] = set()
        excluded: set[str] = set()
        only: set[str] = set()
        for clause in _CLAUSE_END.split(text):
            words = self.tagged_words(clause)
            m, e, o = self._scope([w for w, _ in words])
            mentioned |= m
            excluded |= e
            only |= o
            tagged += words
        excluded -= only
        kept = [(w, e) for w, e in tagged if w not in excluded]
        stake = True
        if self.language == DEFAULT_LANGUAGE:
            said = set(normalize(text).split())
            stake = bool(said & OUTRIGHT) or any(w in STAKES for w, _ in tagged)
        return Analysis(
            self.language,
            tuple(w for w, _ in kept),
            tuple(e for _, e in kept),
            frozenset(mentioned),
            frozenset(excluded),
            frozenset(only),
            stake,
        )
