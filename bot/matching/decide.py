"""Answer, ask "Did you mean ...?" or fall back, given the ranked topics.

A careful person answers only when one topic is clearly ahead: a confident wrong answer
costs the user more than one tap on a button. The thresholds were calibrated on
tests/data/eval.yaml and tests/data/dev/far-en.yaml (benchmarks/bench_matcher.py
--calibrate); the held-out sets were only measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["answer", "clarify", "fallback"]

# Pseudo-topic made of `faq/out-of-scope.yaml`: when it wins, the bot does not answer.
OUT_OF_SCOPE = "__out_of_scope__"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The only place the matcher's weights and decision thresholds live."""

    answer: float = 48.0  # best score needed to answer outright
    margin: float = 2.0  # lead over the runner-up needed to answer outright
    # ... or this smaller lead when the lexical and the semantic signal, each on its own,
    # rank the same topic first: two independent readings agreeing.
    agree_margin: float = 1.0
    agree_answer: float = 40.0  # ... and this lower best score
    # ... or, far ahead of every other topic (a lead no near-tie has), this lower best
    # score: the question is worded far from every phrasing but points one way only.
    clear_lead: float = 12.0
    clear_answer: float = 38.0
    # The best topic must also lead the off-topic class (faq/out-of-scope.yaml) by this
    # much: "my glasses won't pair over bluetooth" names a topic's app but asks app help.
    off_topic_margin: float = 4.0
    # Share of the coverage part that the off-topic class gets: its phrasings cover every
    # kind of app help, so most words of any question are in its vocabulary.
    off_topic_coverage: float = 0.75
    clarify: float = 38.0  # best score needed to offer "Did you mean ...?"
    clarify_window: float = 12.0  # candidates within this of the best are offered
    max_candidates: int = 3
    # The lexical score: shares of its parts.
    fuzzy_weight: float = 0.5  # fuzzy score against the best phrasing
    coverage_weight: float = 0.3  # how much of the question the topic knows
    answer_weight: float = 0.1  # question words found only in the answer text
    # the rest: weighted word overlap (Dice) with the best phrasing
    platform_bonus: float = 12.0  # one app named + the wish to opt out
    platform_mention_bonus: float = 3.0  # one app named, no wish to opt out
    excluded_penalty: float = 15.0  # the topic of an app the question says it is not about
    # The blend: share of the semantic similarity (cosine x 100) in the final score.
    semantic_weight: float = 0.4
    # Within the semantic signal: share of the cosine to the topic's centroid; the rest is
    # the cosine to its nearest phrasing.
    centroid_share: float = 0.5
    # The second, contextual reading of unsure English questions (bot/matching/contextual.py):
    # its share of the final score. It reads closer than the first, so it counts for more.
    contextual_weight: float = 0.5
    # ... and the lead over the off-topic class it needs: the adapted model reads app help
    # that names an app ("turn off message previews on whatsapp") close to that app's topic.
    contextual_off_topic_margin: float = 5.0
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
    language: str = "en"  # the language the question was read in

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
    language: str = "en"
    agreed: str | None = None  # the topic both signals rank first on their own, if any
    reread: bool = False  # scored by the second, contextual reading


def decide(scored: Scored, t: Thresholds) -> MatchResult:
    """Answer, clarify or fall back, given the ranked candidates."""
    query, ranked, lang = scored.query, scored.ranked, scored.language
    if not ranked:
        return MatchResult("fallback", None, 0.0, (), query, lang)
    if ranked[0].topic == OUT_OF_SCOPE:
        rest = tuple(c for c in ranked[1 : 1 + t.max_candidates] if c.score >= t.clarify)
        return MatchResult("fallback", None, ranked[0].score, rest, query, lang)
    off_topic = next((c.score for c in ranked if c.topic == OUT_OF_SCOPE), 0.0)
    ranked = [c for c in ranked if c.topic != OUT_OF_SCOPE]
    top = ranked[0]
    runner = ranked[1].score if len(ranked) > 1 else 0.0
    lead = top.score - runner
    confident = (
        (top.score >= t.answer and lead >= t.margin)
        or (top.topic == scored.agreed and top.score >= t.agree_answer and lead >= t.agree_margin)
        or (top.score >= t.clear_answer and lead >= t.clear_lead)
    )
    specific = scored.information >= t.min_information or lead >= t.vague_margin
    needed = t.contextual_off_topic_margin if scored.reread else t.off_topic_margin
    on_topic = top.score - off_topic >= needed
    if confident and specific and on_topic:
        return MatchResult(
            "answer", top.topic, top.score, tuple(ranked[: t.max_candidates]), query, lang
        )
    offered = tuple(
        c for c in ranked[: t.max_candidates] if c.score >= top.score - t.clarify_window
    )
    if top.score >= t.clarify:
        return MatchResult("clarify", None, top.score, offered, query, lang)
    return MatchResult("fallback", None, top.score, offered, query, lang)
