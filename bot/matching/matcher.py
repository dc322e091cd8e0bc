"""Match a question to a topic: answer, clarify or fall back.

Two signals are blended per topic: a fuzzy string score (rapidfuzz) against every
phrasing of the topic, and an IDF-weighted word overlap that rewards rare, telling
words ("dms", "kids", "deadline") over common ones ("meta", "ai"). Unknown words are
corrected against the vocabulary with a one-edit deletion index, so typos still count.
For large knowledge bases an inverted index picks the candidate topics first, which
keeps a question well under ten milliseconds with ten thousand topics.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from bot.knowledge.model import DEFAULT_LANGUAGE, KnowledgeBase
from bot.matching.normalize import normalize
from bot.matching.synonyms import SynonymMap, build_synonyms

Outcome = Literal["answer", "clarify", "fallback"]

_STOPWORDS_TEXT = (
    "a an the i me my mine myself we our you your he she it its they them their this that "
    "these those is am are was were be been being do does did doing have has had having "
    "to of in on at by for with about from into over as and or but if so than then too "
    "very just also can could would should will shall may might must get got "
    "how what when where why which who whom whose there here any some all "
    "please hi hello hey thanks thank ok okay yes really still even "
    "one thing things something anything like want need know tell say said "
    "going go use using used up out"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# "out" is dropped from keywords on its own, but "opt out" survives as the token "opt".


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The only place the matcher's decision thresholds live; tuned on tests/data/eval.yaml."""

    answer: float = 44.0  # best score needed to answer outright
    margin: float = 0.25  # lead over the runner-up needed to answer outright
    clarify: float = 36.0  # best score needed to offer "Did you mean ...?"
    clarify_window: float = 12.0  # candidates within this of the best are offered
    max_candidates: int = 3
    fuzzy_weight: float = 0.5  # share of the fuzzy score against the best phrasing
    coverage_weight: float = 0.3  # share of "how much of the question the topic knows"
    answer_weight: float = 0.1  # bonus for question words found only in the answer text
    # the rest: weighted word overlap (Dice) with the best phrasing
    platform_bonus: float = 12.0  # one platform named + the wish to opt out
    platform_mention_bonus: float = 3.0  # one platform named, no wish to opt out
    # A question whose known words carry less information than this (summed IDF) is too
    # vague to answer outright ("meta", "my data"): the bot asks what is meant instead.
    min_information: float = 0.5
    vague_margin: float = 7.0  # ... unless the best topic leads by at least this much


THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Candidate:
    topic: str
    score: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    outcome: Outcome
    topic: str | None
    score: float
    candidates: tuple[Candidate, ...]
    query: str = ""

    def as_dict(self, question: str) -> dict[str, object]:
        return {
            "question": question,
            "outcome": self.outcome,
            "topic": self.topic,
            "score": round(self.score, 2),
            "candidates": [{"topic": c.topic, "score": round(c.score, 2)} for c in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class Scored:
    query: str  # the question as the matcher saw it (normalised, synonyms, corrections)
    ranked: list[Candidate]  # best first
    information: float  # summed IDF of the known words: how specific the question is


@dataclass(slots=True)
class _Phrase:
    topic: int
    text: str
    words: frozenset[str]
    weight: float  # sum of IDF of its keywords


@dataclass(slots=True)
class _Index:
    topic_ids: list[str] = field(default_factory=list)
    phrases: list[_Phrase] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    topic_phrases: list[list[int]] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    postings: dict[str, list[int]] = field(default_factory=dict)  # word -> phrase indices
    deletes: dict[str, str] = field(default_factory=dict)  # one-deletion variant -> word
    platform_topic: dict[str, int] = field(default_factory=dict)
    topic_words: list[frozenset[str]] = field(default_factory=list)
    answer_words: list[frozenset[str]] = field(default_factory=list)  # only in the answer


# Pseudo-topic made of `faq/out-of-scope.yaml`: when it wins, the bot does not answer.
OUT_OF_SCOPE = "__out_of_scope__"
_TAGS = re.compile(r"<[^>]+>")
_PLACEHOLDERS = re.compile(r"\{\{[^}]*\}\}")
FUZZY_POOL = 60  # phrases with the most word overlap that get the (costlier) fuzzy score
CANDIDATE_PHRASES = 400  # phrases (by word overlap) whose topics are scored at all
POSTING_BUDGET = 6000  # postings read per question before the commonest words are skipped


def stem(word: str) -> str:
    """A light suffix stripper: 'trained', 'training' and 'trains' all become 'train'."""
    if len(word) <= 4 or word.isdigit():
        return word
    if word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _deletions(word: str) -> Iterable[str]:
    return (word[:i] + word[i + 1 :] for i in range(len(word)))


class Matcher:
    """Built once per knowledge base and language; `match` is cheap and thread-safe."""

    def __init__(
        self,
        kb: KnowledgeBase,
        language: str = DEFAULT_LANGUAGE,
        thresholds: Thresholds = THRESHOLDS,
    ) -> None:
        self.thresholds = thresholds
        self.synonyms: SynonymMap = build_synonyms(
            kb.synonyms, {p.id: (p.name, *p.aliases) for p in kb.platforms.values()}
        )
        self.platform_ids = frozenset(kb.platforms)
        self._index = self._build(kb, language)

    @property
    def topic_ids(self) -> frozenset[str]:
        return frozenset(t for t in self._index.topic_ids if t != OUT_OF_SCOPE)

    # -- building ------------------------------------------------------------------
    def prepare(self, text: str) -> str:
        return self.synonyms.apply(normalize(text))

    def keywords(self, prepared: str) -> list[str]:
        return [stem(w) for w in prepared.split() if w not in STOPWORDS]

    def _build(self, kb: KnowledgeBase, language: str) -> _Index:
        index = _Index()
        raw: list[tuple[int, str, list[str]]] = []
        topic_words: list[set[str]] = []
        entries: list[tuple[str, tuple[str, ...], str | None, str]] = [
            (
                t.id,
                (t.text(language).question, *t.text(language).alternates, t.title),
                t.platform,
                " ".join((t.text(language).answer, *t.text(language).regions.values())),
            )
            for t in kb.topics.values()
        ]
        if kb.out_of_scope:
            entries.append((OUT_OF_SCOPE, kb.out_of_scope, None, ""))
        answer_words: list[set[str]] = []
        for t_index, (topic_id, phrases, platform, answer) in enumerate(entries):
            index.topic_ids.append(topic_id)
            index.topic_phrases.append([])
            words: set[str] = set()
            for phrase in phrases:
                prepared = self.prepare(phrase)
                if not prepared:
                    continue
                kws = self.keywords(prepared)
                raw.append((t_index, prepared, kws))
                words.update(kws)
            topic_words.append(words)
            plain = _TAGS.sub(" ", _PLACEHOLDERS.sub(" ", answer))
            answer_words.append(set(self.keywords(self.prepare(plain))) - words)
            if platform:
                index.platform_topic.setdefault(platform, t_index)
        n_topics = max(len(topic_words), 1)
        df: dict[str, int] = defaultdict(int)
        for words, extra in zip(topic_words, answer_words, strict=True):
            for word in words | extra:
                df[word] += 1
        index.idf = {w: math.log((n_topics + 1) / (c + 0.5)) + 0.1 for w, c in df.items()}
        index.topic_words = [frozenset(w) for w in topic_words]
        index.answer_words = [frozenset(w) for w in answer_words]
        postings: dict[str, list[int]] = defaultdict(list)
        for t_index, prepared, kws in raw:
            p_index = len(index.phrases)
            kw_set = frozenset(kws)
            weight = sum(index.idf[w] for w in kw_set)
            index.phrases.append(_Phrase(t_index, prepared, kw_set, weight))
            index.texts.append(prepared)
            index.topic_phrases[t_index].append(p_index)
            for word in kw_set:
                postings[word].append(p_index)
        index.postings = dict(postings)
        for word in index.idf:
            if len(word) >= 4:
                for variant in _deletions(word):
                    index.deletes.setdefault(variant, word)
        return index

    # -- matching --------------------------------------------------------------------
    def _correct(self, word: str) -> str | None:
        """The vocabulary word one edit away from `word`, if any."""
        idf = self._index.idf
        if word in idf:
            return word
        if len(word) < 4:
            return None
        deletes = self._index.deletes
        if word in deletes:  # a letter was left out
            return deletes[word]
        for variant in _deletions(word):
            if variant in idf:  # a letter too many
                return variant
            if variant in deletes:  # a letter replaced, or two swapped
                return deletes[variant]
        return None

    def _query_words(self, prepared: str) -> tuple[str, dict[str, float], float]:
        """The query rewritten with corrected words, its known keywords, and unknown weight."""
        idf = self._index.idf
        rewritten: list[str] = []
        known: dict[str, float] = {}
        unknown = 0.0
        max_idf = max(idf.values(), default=1.0)
        for word in prepared.split():
            if word in STOPWORDS:
                rewritten.append(word)
                continue
            fixed = self._correct(stem(word)) or self._correct(word)
            if fixed is None:
                rewritten.append(word)
                if not word.isdigit():
                    unknown += max_idf * 0.5
                continue
            rewritten.append(word if stem(word) == fixed else fixed)
            known[fixed] = idf[fixed]
        return " ".join(rewritten), known, unknown

    def _shared_weights(self, known: dict[str, float]) -> dict[int, float]:
        """Phrase -> summed IDF of the question words it contains.

        Rare words are counted first; once POSTING_BUDGET postings have been read the
        commonest words are skipped, which bounds the work on very large knowledge bases.
        """
        postings = self._index.postings
        shared: dict[int, float] = defaultdict(float)
        budget = POSTING_BUDGET
        for word in sorted(known, key=lambda w: len(postings.get(w, ()))):
            plist = postings.get(word, ())
            if budget <= 0:
                break
            budget -= len(plist)
            weight = known[word]
            for p_index in plist:
                shared[p_index] += weight
        return shared

    def _platforms_named(self, prepared: str) -> set[str]:
        return {w for w in prepared.split() if w in self.platform_ids}

    def scores(self, question: str) -> Scored:
        """Every candidate topic with its blended score, best first."""
        index = self._index
        prepared = self.prepare(question)
        rewritten, known, unknown = self._query_words(prepared)
        if not known:
            return Scored(rewritten, [], 0.0)
        q_weight = sum(known.values()) + unknown
        t = self.thresholds
        phrases = index.phrases
        dice = {
            p: 2 * s / (q_weight + phrases[p].weight)
            for p, s in self._shared_weights(known).items()
        }
        if len(dice) > CANDIDATE_PHRASES:  # large knowledge bases: keep the likeliest
            dice = {p: dice[p] for p in heapq.nlargest(CANDIDATE_PHRASES, dice, key=dice.get)}
        pool = heapq.nlargest(FUZZY_POOL, dice, key=dice.__getitem__)
        texts = [index.texts[p] for p in pool]
        fuzzy = dict.fromkeys(range(len(pool)), 0.0)
        for scorer in (fuzz.token_set_ratio, fuzz.token_sort_ratio):
            for _, score, k in process.extract(rewritten, texts, scorer=scorer, limit=None):
                fuzzy[k] += 0.5 * score
        dice_weight = 1 - t.fuzzy_weight - t.coverage_weight
        best: dict[int, float] = {}
        for p_index, d in dice.items():  # phrases outside the pool score on words alone
            topic = phrases[p_index].topic
            best[topic] = max(best.get(topic, 0.0), dice_weight * 100 * d)
        for k, p_index in enumerate(pool):
            topic = phrases[p_index].topic
            score = t.fuzzy_weight * fuzzy[k] + dice_weight * 100 * dice[p_index]
            best[topic] = max(best[topic], score)
        q_words = set(known)
        for ti in best:
            covered = sum(known[w] for w in q_words & index.topic_words[ti])
            in_answer = sum(known[w] for w in q_words & index.answer_words[ti])
            if q_weight:
                best[ti] += t.coverage_weight * 100 * covered / q_weight
                best[ti] += t.answer_weight * 100 * in_answer / q_weight
        named = self._platforms_named(rewritten)
        if len(named) == 1:
            (platform,) = named
            ti = index.platform_topic.get(platform)
            if ti is not None and ti in best:
                wants_out = "opt" in rewritten.split()
                best[ti] += t.platform_bonus if wants_out else t.platform_mention_bonus
        ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)
        candidates = [Candidate(index.topic_ids[ti], min(s, 100.0)) for ti, s in ranked]
        return Scored(rewritten, candidates, sum(known.values()))

    def match(self, question: str) -> MatchResult:
        return self.decide(self.scores(question), self.thresholds)

    @staticmethod
    def decide(scored: Scored, t: Thresholds) -> MatchResult:
        """Answer, clarify or fall back, given the ranked candidates."""
        query, ranked = scored.query, scored.ranked
        if not ranked:
            return MatchResult("fallback", None, 0.0, (), query)
        if ranked[0].topic == OUT_OF_SCOPE:
            rest = tuple(c for c in ranked[1 : 1 + t.max_candidates] if c.score >= t.clarify)
            return MatchResult("fallback", None, ranked[0].score, rest, query)
        ranked = [c for c in ranked if c.topic != OUT_OF_SCOPE]
        top = ranked[0]
        runner = ranked[1].score if len(ranked) > 1 else 0.0
        confident = top.score >= t.answer and top.score - runner >= t.margin
        specific = scored.information >= t.min_information or top.score - runner >= t.vague_margin
        if confident and specific:
            return MatchResult(
                "answer", top.topic, top.score, tuple(ranked[: t.max_candidates]), query
            )
        offered = tuple(
            c for c in ranked[: t.max_candidates] if c.score >= top.score - t.clarify_window
        )
        if top.score >= t.clarify:
            return MatchResult("clarify", None, top.score, offered, query)
        return MatchResult("fallback", None, top.score, offered, query)
