"""Match a question to a topic: answer, clarify or fall back.

Two signals are blended per topic. The lexical one: a fuzzy string score (rapidfuzz)
against every phrasing of the topic, and an IDF-weighted word overlap that rewards rare,
telling words ("dms", "kids", "deadline") over common ones ("meta", "ai"); unknown words
are corrected against the vocabulary with a one-edit deletion index, so typos still count.
The semantic one: cosine similarity of static sentence embeddings (semantic.py), which
catches questions phrased far from every phrasing. For large knowledge bases an inverted
index picks the candidate topics first and only they are embedded-compared, which keeps a
question within a few milliseconds at ten thousand topics.

Every language of the knowledge base gets its own index (its phrasings beside the English
ones); a language without phrasings is matched against English through the lexicon.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from bot.knowledge.model import DEFAULT_LANGUAGE, LANGUAGES, KnowledgeBase
from bot.lang.lexicon import LEXICONS
from bot.lang.normalize import normalize
from bot.lang.profiles import guess_language, profile, stem_word
from bot.matching.analysis import Analysis, Analyzer
from bot.matching.contextual import default_contextual
from bot.matching.decide import (
    OUT_OF_SCOPE,
    THRESHOLDS,
    Candidate,
    MatchResult,
    Outcome,
    Scored,
    Thresholds,
    decide,
)
from bot.matching.semantic import Embedder, SemanticIndex, default_embedder
from bot.matching.synonyms import SynonymMap, build_synonyms, english_reserved

__all__ = [
    "OUT_OF_SCOPE",
    "STOPWORDS",
    "THRESHOLDS",
    "Candidate",
    "MatchResult",
    "Matcher",
    "Outcome",
    "Scored",
    "Thresholds",
]

_STOPWORDS_TEXT = (
    "a an the i me my mine myself we our you your he she it its they them their this that "
    "these those is am are was were be been being do does did doing have has had having "
    "to of in on at by for with about from into over as and or but if so than then too "
    "very just also can could would should will shall may might must get got "
    "how what when where why which who whom whose there here any some all "
    "please hi hello hey thanks thank ok okay yes really still even "
    "one thing things something anything like want need know tell say said "
    "going go use using used up out "
    "lol lmao haha hahaha ngl tbh idk omg btw imo fyi ugh hmm um uh"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# "out" is dropped from keywords on its own, but "opt out" survives as the token "opt".


_TAGS = re.compile(r"<[^>]+>")
_PLACEHOLDERS = re.compile(r"\{\{[^}]*\}\}")
FUZZY_POOL = 60  # phrases with the most word overlap that get the (costlier) fuzzy score
CANDIDATE_PHRASES = 400  # phrases (by word overlap) whose topics are scored at all
POSTING_BUDGET = 6000  # postings read per question before the commonest words are skipped
SEMANTIC_FULL_SCAN = 20_000  # up to this many phrasings every one is compared by meaning
SEMANTIC_EXTRA = 8  # topics found by meaning alone that join the lexical candidates
NEAREST_POOL = 40  # large knowledge bases: topics whose single phrasings are compared
RANKED_KEPT = 20  # candidates kept, best first: the decision reads only the first few
USE_DEFAULT = object()  # `embedder=` default: the shared WordLlama model
# The contextual reading is built for knowledge bases up to this many English phrasings:
# past it, a first start would spend minutes embedding them (2-7 ms each, one at a time).
CONTEXTUAL_MAX_PHRASINGS = 20_000


def stem(word: str) -> str:
    """A light English suffix stripper: 'trained', 'training' and 'trains' become 'train'."""
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


@dataclass(slots=True)
class _Phrase:
    topic: int
    text: str
    words: frozenset[str]
    weight: float  # sum of IDF of its keywords


@dataclass(slots=True)
class _Index:
    language: str
    topic_ids: list[str] = field(default_factory=list)
    phrases: list[_Phrase] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    topic_phrases: list[list[int]] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    postings: dict[str, np.ndarray] = field(default_factory=dict)  # word -> phrase indices
    phrase_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    phrase_topics: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    deletes: dict[str, str] = field(default_factory=dict)  # one-deletion variant -> word
    platform_topic: dict[str, int] = field(default_factory=dict)
    topic_platform: dict[int, str] = field(default_factory=dict)
    topic_words: list[frozenset[str]] = field(default_factory=list)
    answer_words: list[frozenset[str]] = field(default_factory=list)  # only in the answer
    semantic: SemanticIndex | None = None
    contextual: SemanticIndex | None = None  # English only: the second reading
    heterogeneous: frozenset[int] = frozenset()  # classes of unrelated meanings (off-topic)
    max_idf: float = 1.0


def _keyword(word: str, english: bool, language: str) -> str:
    return stem(word) if english else stem_word(word, language)


class Matcher:
    """Built once per knowledge base; `match` is cheap and thread-safe."""

    def __init__(
        self,
        kb: KnowledgeBase,
        language: str = DEFAULT_LANGUAGE,
        thresholds: Thresholds = THRESHOLDS,
        embedder: Embedder | object | None = USE_DEFAULT,
        contextual: Embedder | object | None = USE_DEFAULT,
        lexicons: Mapping[str, Mapping[str, Iterable[str]]] = LEXICONS,
    ) -> None:
        """`language` is the default when `match` gets no hint; `embedder=None`: words only.

        `contextual`: the second reading of unsure English questions; by default the shared
        one when `embedder` is the default too, else none.
        """
        self.thresholds = thresholds
        self.default_language = language
        names = {p.id: (p.name, *p.aliases) for p in kb.platforms.values()}
        self.synonyms: SynonymMap = build_synonyms(kb.synonyms, names)
        # Aliases of every language work everywhere, except where English reads them as
        # its own words ("whats" -> "what is", "face").
        english = build_synonyms(kb.synonyms, names, english_reserved(STOPWORDS))
        self.platform_ids = frozenset(kb.platforms)
        self._analyzers = {
            lang: Analyzer(
                lang,
                english if lang == DEFAULT_LANGUAGE else self.synonyms,
                names,
                lexicons.get(lang),
            )
            for lang in LANGUAGES
        }
        self.embedder: Embedder | None = (
            default_embedder() if embedder is USE_DEFAULT else embedder  # type: ignore[assignment]
        )
        if contextual is USE_DEFAULT:
            contextual = default_contextual() if embedder is USE_DEFAULT else None
        self.contextual: Embedder | None = contextual  # type: ignore[assignment]
        own = {lang for t in kb.topics.values() for lang in t.texts}
        english = self._build(kb, (DEFAULT_LANGUAGE,))
        self._indexes: dict[str, _Index] = {
            lang: english if lang not in own or lang == DEFAULT_LANGUAGE else None  # type: ignore[misc]
            for lang in LANGUAGES
        }
        for lang in sorted(own - {DEFAULT_LANGUAGE}):
            self._indexes[lang] = self._build(kb, (DEFAULT_LANGUAGE, lang))

    @property
    def topic_ids(self) -> frozenset[str]:
        index = self._indexes[DEFAULT_LANGUAGE]
        return frozenset(t for t in index.topic_ids if t != OUT_OF_SCOPE)

    @property
    def has_contextual_reading(self) -> bool:
        """Whether unsure English questions get the second, contextual reading."""
        return self._indexes[DEFAULT_LANGUAGE].contextual is not None

    @property
    def languages_indexed(self) -> tuple[str, ...]:
        """Languages with phrasings of their own in the knowledge base, English first."""
        english = self._indexes[DEFAULT_LANGUAGE]
        own = [lang for lang, idx in self._indexes.items() if idx is not english]
        return (DEFAULT_LANGUAGE, *own)

    # -- building ------------------------------------------------------------------
    def analyze(self, text: str, language: str | None = None) -> Analysis:
        return self._analyzers[self.language_of(text, language)].analyze(text)

    def language_of(self, text: str, hint: str | None = None) -> str:
        """The hint when it is one of the eight languages, else a cheap guess."""
        if hint in self._analyzers:
            return hint  # type: ignore[return-value]
        if hint is None and self.default_language != DEFAULT_LANGUAGE:
            return self.default_language
        return guess_language(normalize(text).split(), STOPWORDS)

    def prepare(self, text: str, language: str = DEFAULT_LANGUAGE) -> str:
        return self._analyzers[language].analyze(text).text

    def _keywords(self, analysis: Analysis) -> list[str]:
        stop = profile(analysis.language).stopwords
        return [
            _keyword(w, e, analysis.language)
            for w, e in zip(analysis.words, analysis.english, strict=True)
            if w not in STOPWORDS and (e or w not in stop)
        ]

    def keywords(self, prepared: str) -> list[str]:
        return [stem(w) for w in prepared.split() if w not in STOPWORDS]

    def _build(self, kb: KnowledgeBase, languages: tuple[str, ...]) -> _Index:
        index = _Index(languages[-1])
        raw: list[tuple[int, str, list[str]]] = []
        embed_texts: list[str] = []
        topic_words: list[set[str]] = []
        answer_words: list[set[str]] = []
        entries: list[tuple[str, list[tuple[str, str]], str | None, list[tuple[str, str]]]] = []
        for t in kb.topics.values():
            phrases, answers = [], []
            for lang in languages:
                text = t.texts.get(lang)
                if text is None:
                    continue
                phrases += [(lang, p) for p in (text.question, *text.alternates, text.title)]
                answers.append((lang, " ".join((text.answer, *text.regions.values()))))
            entries.append((t.id, phrases, t.platform, answers))
        off_topic = [(DEFAULT_LANGUAGE, p) for p in kb.out_of_scope] + [
            (lang, p) for lang in languages[1:] for p in kb.out_of_scope_translations.get(lang, ())
        ]
        if off_topic:
            entries.append((OUT_OF_SCOPE, off_topic, None, []))
        for t_index, (topic_id, phrases, platform, answers) in enumerate(entries):
            index.topic_ids.append(topic_id)
            index.topic_phrases.append([])
            words: set[str] = set()
            for lang, phrase in phrases:
                analysis = self._analyzers[lang].analyze(phrase)
                if not analysis.words:
                    continue
                kws = self._keywords(analysis)
                raw.append((t_index, analysis.text, kws))
                embed_texts.append(phrase if lang == DEFAULT_LANGUAGE else analysis.text)
                words.update(kws)
            topic_words.append(words)
            extra: set[str] = set()
            for lang, answer in answers:
                plain = _TAGS.sub(" ", _PLACEHOLDERS.sub(" ", answer))
                extra.update(self._keywords(self._analyzers[lang].analyze(plain)))
            answer_words.append(extra - words)
            if platform:
                index.platform_topic.setdefault(platform, t_index)
                index.topic_platform[t_index] = platform
        n_topics = max(len(topic_words), 1)
        df: dict[str, int] = defaultdict(int)
        for words, extra in zip(topic_words, answer_words, strict=True):
            for word in words | extra:
                df[word] += 1
        index.idf = {w: math.log((n_topics + 1) / (c + 0.5)) + 0.1 for w, c in df.items()}
        index.max_idf = max(index.idf.values(), default=1.0)
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
        index.postings = {w: np.asarray(p, dtype=np.int64) for w, p in postings.items()}
        index.phrase_weights = np.array([p.weight for p in index.phrases], dtype=np.float64)
        index.phrase_topics = np.array([p.topic for p in index.phrases], dtype=np.int64)
        for word in index.idf:
            if len(word) >= 4:
                for variant in _deletions(word):
                    index.deletes.setdefault(variant, word)
        index.heterogeneous = frozenset(
            i for i, t in enumerate(index.topic_ids) if t == OUT_OF_SCOPE
        )
        if self.embedder is not None:
            owners = [p.topic for p in index.phrases]
            index.semantic = SemanticIndex(
                self.embedder, embed_texts, owners, full=len(owners) <= SEMANTIC_FULL_SCAN
            )
        if (
            self.contextual is not None
            and languages == (DEFAULT_LANGUAGE,)
            and len(embed_texts) <= CONTEXTUAL_MAX_PHRASINGS
        ):
            owners = [p.topic for p in index.phrases]
            index.contextual = SemanticIndex(self.contextual, embed_texts, owners, full=True)
        return index

    # -- matching --------------------------------------------------------------------
    @staticmethod
    def _correct(index: _Index, word: str) -> str | None:
        """The vocabulary word one edit away from `word`, if any."""
        idf = index.idf
        if word in idf:
            return word
        if len(word) < 4:
            return None
        deletes = index.deletes
        if word in deletes:  # a letter was left out
            return deletes[word]
        for variant in _deletions(word):
            if variant in idf:  # a letter too many
                return variant
            if variant in deletes:  # a letter replaced, or two swapped
                return deletes[variant]
        return None

    def _query_words(
        self, index: _Index, analysis: Analysis
    ) -> tuple[str, dict[str, float], float]:
        """The query rewritten with corrected words, its known keywords, and unknown weight."""
        idf = index.idf
        lang = analysis.language
        stop = profile(lang).stopwords
        rewritten: list[str] = []
        known: dict[str, float] = {}
        unknown = 0.0
        for word, english in zip(analysis.words, analysis.english, strict=True):
            if word in STOPWORDS or (not english and word in stop):
                rewritten.append(word)
                continue
            if english:
                fixed = self._correct(index, stem(word)) or self._correct(index, word)
            else:
                own = stem_word(word, lang)
                fixed = next((c for c in (own, stem(word), word) if c in idf), None)
                fixed = fixed or self._correct(index, own)
            if fixed is None:
                rewritten.append(word)
                if not word.isdigit():
                    unknown += index.max_idf * 0.5
                continue
            kept = word if _keyword(word, english, lang) == fixed else fixed
            rewritten.append(kept)
            known[fixed] = idf[fixed]
        return " ".join(rewritten), known, unknown

    @staticmethod
    def _shared_weights(index: _Index, known: dict[str, float]) -> np.ndarray:
        """Per phrase: summed IDF of the question words it contains.

        Rare words are counted first; once POSTING_BUDGET postings have been read the
        commonest words are skipped, which bounds the work on very large knowledge bases.
        """
        postings = index.postings
        shared = np.zeros(len(index.phrases), dtype=np.float64)
        budget = POSTING_BUDGET
        for word in sorted(known, key=lambda w: len(postings.get(w, ()))):
            plist = postings.get(word)
            if plist is None:
                continue
            if budget <= 0:
                break
            budget -= len(plist)
            shared[plist] += known[word]
        return shared

    def _lexical(
        self, index: _Index, rewritten: str, known: dict[str, float], unknown: float
    ) -> dict[int, float]:
        """Topic -> lexical score (0-100) for the topics sharing a word with the question."""
        t = self.thresholds
        q_weight = sum(known.values()) + unknown
        shared = self._shared_weights(index, known)
        hit = np.flatnonzero(shared)
        if not len(hit):
            return {}
        dice = 2 * shared[hit] / (q_weight + index.phrase_weights[hit])
        if len(hit) > CANDIDATE_PHRASES:  # large knowledge bases: keep the likeliest
            keep = np.argpartition(-dice, CANDIDATE_PHRASES)[:CANDIDATE_PHRASES]
            hit, dice = hit[keep], dice[keep]
        dice_weight = 1 - t.fuzzy_weight - t.coverage_weight
        scores = dice_weight * 100 * dice
        order = np.argsort(-dice, kind="stable")[:FUZZY_POOL]
        texts = [index.texts[p] for p in hit[order].tolist()]
        fuzzy = np.zeros(len(order))
        for scorer in (fuzz.token_set_ratio, fuzz.token_sort_ratio):
            for _, score, k in process.extract(rewritten, texts, scorer=scorer, limit=None):
                fuzzy[k] += 0.5 * score
        scores[order] += t.fuzzy_weight * fuzzy  # phrases outside the pool score on words
        topics = index.phrase_topics[hit]
        best_arr = np.full(len(index.topic_ids), -1.0)
        np.maximum.at(best_arr, topics, scores)
        best = {int(ti): float(best_arr[ti]) for ti in np.unique(topics)}
        q_words = set(known)
        for ti in best:
            covered = sum(known[w] for w in q_words & index.topic_words[ti])
            in_answer = sum(known[w] for w in q_words & index.answer_words[ti])
            if ti in index.heterogeneous:  # a vocabulary of everything tells less
                covered *= t.off_topic_coverage
            if q_weight:
                best[ti] += t.coverage_weight * 100 * covered / q_weight
                best[ti] += t.answer_weight * 100 * in_answer / q_weight
        return best

    def _semantic(
        self,
        index: _Index,
        sem: SemanticIndex | None,
        text: str,
        lexical: dict[int, float],
    ) -> dict[int, float]:
        """Topic -> similarity by meaning, for the lexical candidates and the best by meaning.

        A blend of the cosine to the topic's centroid and to its nearest phrasing (share
        `centroid_share`); the off-topic class by its nearest phrasing alone.
        """
        if sem is None or not text:
            return {}
        vector = sem.query_vector(text)
        centroid = sem.centroid(vector)
        chosen = set(lexical)
        if len(centroid) > SEMANTIC_EXTRA:
            chosen.update(np.argpartition(-centroid, SEMANTIC_EXTRA)[:SEMANTIC_EXTRA].tolist())
        else:
            chosen.update(range(len(centroid)))
        chosen |= index.heterogeneous
        pool: set[int] | None = None
        if not sem.full:  # large knowledge bases: nearest phrasings of the likeliest only
            w = self.thresholds.semantic_weight
            ranked = sorted(
                chosen - index.heterogeneous,
                key=lambda ti: -((1 - w) * lexical.get(ti, 0.0) + w * 100 * centroid[ti]),
            )
            pool = set(ranked[:NEAREST_POOL]) | index.heterogeneous
        nearest = sem.nearest(vector, pool)
        share = self.thresholds.centroid_share
        out = {}
        for ti in chosen:
            near = float(nearest[ti]) if pool is None or ti in pool else float(centroid[ti])
            sim = (
                near
                if ti in index.heterogeneous
                else share * float(centroid[ti]) + (1 - share) * near
            )
            out[ti] = max(sim, 0.0)
        return out

    def scores(self, question: str, language: str | None = None) -> Scored:
        """Every candidate topic with its blended score, best first.

        English questions the first reading would not answer outright with both signals
        agreeing are read a second time, with the contextual model (bot/matching/contextual.py)
        on the question as typed: its sentence, not the rewritten keywords, is what it reads.
        """
        lang = self.language_of(question, language)
        index = self._indexes[lang]
        analysis = self._analyzers[lang].analyze(question)
        rewritten, known, unknown = self._query_words(index, analysis)
        if not known:
            return Scored(rewritten, [], 0.0, lang)
        t = self.thresholds
        lexical = self._lexical(index, rewritten, known, unknown)
        information = sum(known.values())
        semantic = self._semantic(index, index.semantic, analysis.text, lexical)
        first = self._blend(index, analysis, rewritten, lexical, semantic, t.semantic_weight)
        scored = Scored(rewritten, first[0], information, lang, first[1])
        if index.contextual is None:
            return scored
        result = decide(scored, t)
        if result.outcome == "answer" and scored.agreed == result.topic:
            return scored
        semantic = self._semantic(index, index.contextual, question.strip(), lexical)
        second = self._blend(index, analysis, rewritten, lexical, semantic, t.contextual_weight)
        return Scored(rewritten, second[0], information, lang, second[1], reread=True)

    def _blend(
        self,
        index: _Index,
        analysis: Analysis,
        rewritten: str,
        lexical: dict[int, float],
        semantic: dict[int, float],
        weight: float,
    ) -> tuple[list[Candidate], str | None]:
        """The ranked candidates and the topic both signals rank first on their own, if any."""
        t = self.thresholds
        agreed = None
        if semantic and lexical:
            lexical_top = max(lexical, key=lexical.__getitem__)
            if lexical_top == max(semantic, key=semantic.__getitem__):
                agreed = index.topic_ids[lexical_top]
        if semantic:
            best = {
                ti: (1 - weight) * lexical.get(ti, 0.0) + weight * 100 * semantic.get(ti, 0.0)
                for ti in lexical.keys() | semantic.keys()
            }
        else:
            best = dict(lexical)
        named = analysis.platforms
        if len(named) == 1:
            (platform,) = named
            ti = index.platform_topic.get(platform)
            if ti is not None and ti in best:
                # Both signals reading another topic first ("stop fb scanning the pics on my
                # phone" is the camera roll) outweigh the wish to opt out of the app named.
                wants_out = (
                    "opt" in rewritten.split()
                    and analysis.names_stake
                    and agreed in (None, index.topic_ids[ti])
                )
                best[ti] += t.platform_bonus if wants_out else t.platform_mention_bonus
        for platform in analysis.excluded:
            ti = index.platform_topic.get(platform)
            if ti is not None and ti in best:
                best[ti] -= t.excluded_penalty
        ranked = heapq.nsmallest(RANKED_KEPT, best.items(), key=lambda kv: (-kv[1], kv[0]))
        candidates = [Candidate(index.topic_ids[ti], min(max(s, 0.0), 100.0)) for ti, s in ranked]
        return candidates, agreed

    def match(self, question: str, language: str | None = None) -> MatchResult:
        """`language`: the chat's language when known (one of the eight), else guessed."""
        return decide(self.scores(question, language), self.thresholds)

    @staticmethod
    def decide(scored: Scored, t: Thresholds) -> MatchResult:
        return decide(scored, t)
