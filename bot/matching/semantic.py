"""The meaning-based signal: static sentence embeddings shipped inside a PyPI package.

WordLlama (l2_supercat, 256 dimensions) averages token vectors distilled from a large
language model: about 0.4 ms per question on one core, deterministic, no GPU, and its
16 MB of weights and its tokenizer ship in the wheel. `load()` is pointed at the installed
package folder so it never tries a model hub. It is an English model: other languages are
embedded after the lexicon has bridged their words onto English (analysis.py).

When the package is missing or cannot load, `default_embedder()` returns None and the
matcher runs on the lexical signal alone (logged once).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text."""
        ...


class WordLlamaEmbedder:
    name = "wordllama l2_supercat 256d"

    def __init__(self) -> None:
        import wordllama

        self._model = wordllama.WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        vectors = self._model.embed(list(texts), norm=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)


@lru_cache(maxsize=1)
def default_embedder() -> Embedder | None:
    """The shared WordLlama model, loaded once per process; None when it cannot load."""
    try:
        return WordLlamaEmbedder()
    except Exception as exc:  # a missing package or a broken install must not stop the bot
        log.warning("semantic signal off, matching on words alone: %s", exc)
        return None


class SemanticIndex:
    """Two readings of how close a question is to each topic by meaning.

    `centroids`: each topic as the mean direction of its phrasings' embeddings, a steady
    reading of the meaning the phrasings share. `nearest`: the best cosine over the topic's
    single phrasings, which catches one wording that fits a question closely. The matcher
    blends both; the out-of-scope class, made of unrelated meanings, is read by its nearest
    phrasing alone.

    `full`: every phrasing is compared (float32, one matrix product). Otherwise phrasings
    are kept as float16 (half the memory at ten thousand topics) and only the rows of the
    given candidate topics are compared.
    """

    def __init__(
        self, embedder: Embedder, texts: Sequence[str], owners: Sequence[int], *, full: bool
    ) -> None:
        self.embedder = embedder
        self.full = full
        vectors = embed_phrasings(embedder, texts)
        self.owners = np.asarray(owners, dtype=np.int64)
        self.n_topics = int(self.owners.max()) + 1 if len(owners) else 0
        sums = np.zeros((self.n_topics, vectors.shape[1]), dtype=np.float32)
        np.add.at(sums, self.owners, vectors)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        self.centroids = sums / np.where(norms == 0, 1, norms)
        self.vectors = vectors if full else vectors.astype(np.float16)
        # A topic's phrasings are contiguous rows: reduce each run to its best.
        self._starts = np.flatnonzero(np.r_[True, self.owners[1:] != self.owners[:-1]])
        self._start_topic = self.owners[self._starts] if len(owners) else self.owners
        self._rows = [np.zeros(0, dtype=np.int64)] * self.n_topics
        ends = np.r_[self._starts[1:], len(self.owners)]
        for start, end, topic in zip(self._starts, ends, self._start_topic, strict=True):
            self._rows[int(topic)] = np.arange(start, end)

    def query_vector(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def centroid(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of the question to every topic's centroid."""
        return _dot(self.centroids, vector)

    def nearest(self, vector: np.ndarray, topics: Iterable[int] | None = None) -> np.ndarray:
        """Best cosine per topic over its phrasings (all, or the given topics; -1 elsewhere)."""
        best = np.full(self.n_topics, -1.0, dtype=np.float32)
        if topics is None or self.full:
            if len(self.owners):
                sims = _dot(self.vectors, vector)
                best[self._start_topic] = np.maximum.reduceat(sims, self._starts)
            return best
        rows = [self._rows[t] for t in topics]
        if rows:
            picked = np.concatenate(rows)
            sims = _dot(self.vectors[picked].astype(np.float32), vector)
            np.maximum.at(best, self.owners[picked], sims)
        return best


def embed_phrasings(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """A knowledge base's phrasings, through the embedder's cache when it keeps one
    (bot/matching/vector_cache.py); questions always go through `embed`."""
    method = getattr(embedder, "embed_phrasings", None)
    return method(texts) if method is not None else embedder.embed(texts)


def _dot(rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """rows @ vector on this thread: a question's few hundred thousand multiply-adds take
    longer to hand to a multi-threaded BLAS than to do, and far longer when the cores are
    busy (ten times the median, measured)."""
    return np.einsum("ij,j->i", rows, vector)
