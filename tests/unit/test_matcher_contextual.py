"""The second, contextual reading (MiniLM) and its cache of phrasing vectors.

Runs the real model from bot/matching/models/minilm/: nothing here is a stand-in except
the counting wrapper, which only counts what the real model is asked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.matching.contextual import (
    MODEL_DIR,
    STATIC_SHARE,
    BlendedEmbedder,
    MiniLMEmbedder,
    cache_key,
    default_contextual,
)
from bot.matching.decide import THRESHOLDS, decide
from bot.matching.matcher import Matcher
from bot.matching.semantic import default_embedder
from bot.matching.vector_cache import CachedEmbedder, file_digest


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


class Counting:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.asked = inner, inner.name, []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.asked.append(list(texts))
        return self.inner.embed(texts)


QUESTIONS = [
    "how do I stop insta using my photos for ai",
    "Is noyb suing Meta?",
    "my account is private, do they still use my stuff",
]


def test_vectors_are_unit_length_and_the_same_alone_or_in_a_batch(minilm):
    batch = minilm.embed(QUESTIONS)
    assert batch.shape == (3, 384) and batch.dtype == np.float32
    assert np.linalg.norm(batch, axis=1) == pytest.approx(1.0, abs=1e-4)
    for i, q in enumerate(QUESTIONS):  # a text's vector depends on the text alone
        assert np.array_equal(minilm.embed([q])[0], batch[i])
    assert np.array_equal(minilm.embed(QUESTIONS), batch)  # deterministic
    assert minilm.embed([]).shape == (0, 384)


def test_it_reads_meaning_not_shared_words(minilm):
    a, b, c = minilm.embed(
        [
            "can meta train its ai on my instagram pictures",
            "does facebook's parent company use my insta photos for artificial intelligence",
            "how do I change my instagram password",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.1


def test_a_very_long_question_is_read_by_its_beginning(minilm):
    long = "why " + "really " * 400 + "train on my photos"
    assert minilm.embed([long]).shape == (1, 384)


def test_the_blend_is_the_weighted_sum_of_the_two_cosines(minilm):
    static = default_embedder()
    assert static is not None
    blend = BlendedEmbedder(static, minilm, STATIC_SHARE)
    x, y = blend.embed(QUESTIONS[:2])
    s1, s2 = static.embed(QUESTIONS[:2])
    m1, m2 = minilm.embed(QUESTIONS[:2])
    expected = STATIC_SHARE * float(s1 @ s2) + (1 - STATIC_SHARE) * float(m1 @ m2)
    assert float(x @ y) == pytest.approx(expected, abs=1e-5)
    assert np.linalg.norm(x) == pytest.approx(1.0, abs=1e-4)


def test_the_cache_embeds_each_phrasing_once_and_keeps_the_latest_first(tmp_path, minilm):
    counting = Counting(minilm)
    cached = CachedEmbedder(counting, "k", tmp_path)
    first = cached.embed_phrasings(["a b", "c d", "a b"])
    assert counting.asked == [["a b", "c d"]]
    again = CachedEmbedder(counting, "k", tmp_path).embed_phrasings(["a b", "c d", "a b"])
    assert np.array_equal(first, again) and len(counting.asked) == 1  # a hit: the same rows
    edited = CachedEmbedder(counting, "k", tmp_path).embed_phrasings(["c d", "e f"])
    assert counting.asked[-1] == ["e f"]  # only the new phrasing
    assert np.array_equal(edited[0], first[1])
    with np.load(tmp_path / "vectors-k.npz") as data:  # the latest FAQ first, then the rest
        assert data["texts"].tolist() == ["c d", "e f", "a b"]
    # A knowledge base used in turn with another one still finds its rows.
    CachedEmbedder(counting, "k", tmp_path).embed_phrasings(["a b", "c d"])
    assert counting.asked[-1] == ["e f"]


def test_the_cache_file_is_bounded(tmp_path, minilm, monkeypatch):
    monkeypatch.setattr("bot.matching.vector_cache.MAX_ROWS", 3)
    CachedEmbedder(minilm, "k", tmp_path).embed_phrasings(["a", "b"])
    CachedEmbedder(minilm, "k", tmp_path).embed_phrasings(["c", "d"])
    with np.load(tmp_path / "vectors-k.npz") as data:
        assert data["texts"].tolist() == ["c", "d", "a"]


def test_questions_never_go_into_the_cache(tmp_path, minilm):
    cached = CachedEmbedder(minilm, "k", tmp_path)
    cached.embed(["my secret question about my ex"])
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_cache_is_rebuilt(tmp_path, minilm, caplog):
    (tmp_path / "vectors-k.npz").write_bytes(b"not a numpy file")
    with caplog.at_level(logging.WARNING):
        rows = CachedEmbedder(minilm, "k", tmp_path).embed_phrasings(["a b"])
    assert np.array_equal(rows, minilm.embed(["a b"]))
    assert "unreadable, rebuilding" in caplog.text
    with np.load(tmp_path / "vectors-k.npz") as data:
        assert data["texts"].tolist() == ["a b"]


def test_an_unwritable_cache_folder_only_costs_time(tmp_path, minilm, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where the folder should be: mkdir fails, even as root
    cached = CachedEmbedder(minilm, "k", blocker / "cache")
    with caplog.at_level(logging.WARNING):
        rows = cached.embed_phrasings(["a b", "c d"])
        rows_again = cached.embed_phrasings(["a b", "c d"])
    assert np.array_equal(rows, minilm.embed(["a b", "c d"]))
    assert np.array_equal(rows, rows_again)
    assert caplog.text.count("not cached") == 1  # once, then the cache is left off


def test_the_cache_key_follows_the_model_the_tokenizer_and_the_pipeline(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    assert file_digest(a) != file_digest(b)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"m")
    (folder / "tokenizer.json").write_bytes(b"t")
    first = cache_key(folder)
    (folder / "tokenizer.json").write_bytes(b"t2")
    second = cache_key(folder)
    monkeypatch.setattr("bot.matching.contextual.PIPELINE", "another way")
    assert len({first, second, cache_key(folder)}) == 3
    assert len(cache_key(MODEL_DIR)) == 16


def test_texts_are_not_padded(minilm):
    """The tokenizer file pads to 128 tokens; a short question must cost a short run."""
    assert len(minilm._tokenizer.encode("is noyb suing meta").ids) < 16


def test_without_the_model_files_the_bot_keeps_its_first_reading(monkeypatch, caplog, kb):
    monkeypatch.setattr("bot.matching.contextual.MODEL_DIR", Path("/nonexistent/minilm"))
    with caplog.at_level(logging.WARNING):
        assert default_contextual.__wrapped__() is None
    assert "contextual reading off" in caplog.text
    matcher = Matcher(kb, contextual=None)
    assert matcher.match("how do I opt out of meta ai on instagram", "en").outcome == "answer"


@pytest.fixture(scope="module")
def counted(kb) -> tuple[Matcher, Counting]:
    contextual = default_contextual()
    assert contextual is not None
    counting = Counting(contextual)
    return Matcher(kb, contextual=counting), counting


def _second_readings(counting: Counting, question: str) -> int:
    return sum(1 for texts in counting.asked if texts == [question.strip()])


def test_a_clear_english_question_is_read_once(counted):
    matcher, counting = counted
    q = "How do I object to Meta using my Instagram posts for AI?"
    result = matcher.match(q, "en")
    assert result.outcome == "answer"
    assert _second_readings(counting, q) == 0


def test_an_unsure_english_question_is_read_again_as_typed(counted, kb):
    matcher, counting = counted
    q = "I have a private Instagram account, do they use my stuff?"
    once = Matcher(kb, contextual=None)
    scored = once.scores(q, "en")
    first = decide(scored, THRESHOLDS)
    assert not (first.outcome == "answer" and scored.agreed == first.topic)
    result = matcher.match(q, "en")
    assert _second_readings(counting, q) >= 1
    assert (result.outcome, result.topic) == ("answer", "public-vs-private-account")


def test_other_languages_are_never_read_by_the_english_model(counted):
    matcher, counting = counted
    q = "Habe ein privates Instagram-Konto, nutzen die meine Sachen?"
    matcher.match(q, "de")
    assert _second_readings(counting, q) == 0
