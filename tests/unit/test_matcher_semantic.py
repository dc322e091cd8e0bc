"""The semantic index's two readings, and the decision's guard against off-topic near-misses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from bot.matching.decide import OUT_OF_SCOPE, THRESHOLDS, Candidate, Scored, decide
from bot.matching.semantic import SemanticIndex


class _Table:
    """A stand-in embedder over a fixed table of unit vectors (the real one is tested too)."""

    name = "table"

    def __init__(self, table: dict[str, Sequence[float]]) -> None:
        self.table = {
            k: np.asarray(v, dtype=np.float32) / np.linalg.norm(v) for k, v in table.items()
        }

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts]).astype(np.float32)


TABLE = {"a1": (1, 0, 0), "a2": (0, 1, 0), "b1": (0, 0, 1), "q": (1, 1, 0)}


@pytest.mark.parametrize("full", [True, False])
def test_centroid_and_nearest_phrasing(full: bool):
    index = SemanticIndex(_Table(TABLE), ["a1", "a2", "b1"], [0, 0, 1], full=full)
    q = index.query_vector("q")
    centroid = index.centroid(q)
    # topic 0's centroid is the normalised mean of a1 and a2: the same direction as q
    assert centroid[0] == pytest.approx(1.0, abs=1e-6)
    assert centroid[1] == pytest.approx(0.0, abs=1e-6)
    nearest = index.nearest(q)
    assert nearest[0] == pytest.approx(np.sqrt(0.5), abs=1e-3)
    if not full:  # only the given topics are compared; the rest stay at -1
        only = index.nearest(q, [1])
        assert only[0] == -1.0
        assert only[1] == pytest.approx(0.0, abs=1e-3)


def test_the_semantic_signal_is_a_blend_of_centroid_and_nearest(kb):
    from bot.matching.matcher import Matcher

    centroid_only = Matcher(kb, thresholds=replace(THRESHOLDS, centroid_share=1.0))
    nearest_only = Matcher(kb, thresholds=replace(THRESHOLDS, centroid_share=0.0))
    q = "are my whatsapp chats read by meta ai"
    a = centroid_only.scores(q, "en").ranked
    b = nearest_only.scores(q, "en").ranked
    assert [c.score for c in a] != [c.score for c in b]


def _scored(*pairs: tuple[str, float], agreed: str | None = None) -> Scored:
    return Scored("q", [Candidate(t, s) for t, s in pairs], 5.0, "en", agreed)


def test_an_answer_needs_a_lead_over_the_off_topic_class():
    t = THRESHOLDS
    top = t.answer + 10
    clear = decide(_scored(("deadline", top), (OUT_OF_SCOPE, top - 30), ("minors", top - 20)), t)
    assert (clear.outcome, clear.topic) == ("answer", "deadline")
    close = _scored(
        ("deadline", top), (OUT_OF_SCOPE, top - t.off_topic_margin / 2), ("minors", top - 20)
    )
    result = decide(close, t)
    assert result.outcome != "answer"
    assert all(c.topic != OUT_OF_SCOPE for c in result.candidates)


def test_the_off_topic_class_first_means_no_answer():
    result = decide(_scored((OUT_OF_SCOPE, 90.0), ("deadline", 60.0)), THRESHOLDS)
    assert result.outcome == "fallback"
    assert result.topic is None


def test_a_topic_far_ahead_is_answered_below_the_answer_score():
    t = THRESHOLDS
    low = (t.clear_answer + t.answer) / 2  # below `answer`, above `clear_answer`
    far = decide(_scored(("data-security", low), ("minors", low - t.clear_lead - 1)), t)
    assert (far.outcome, far.topic) == ("answer", "data-security")
    near = decide(_scored(("data-security", low), ("minors", low - t.clear_lead + 1)), t)
    assert near.outcome == "clarify"
    below = t.clear_answer - 1
    weak = decide(_scored(("data-security", below), ("minors", below - 30)), t)
    assert weak.outcome != "answer"
