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
from collections.abc import Sequence
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
    """Embeddings of every phrasing; cosine similarity of a question to each topic's best.

    `full`: every row is compared (float32, one matrix product). Otherwise rows are kept
    as float16 (half the memory at ten thousand topics) and only the rows of the lexical
    candidates are compared.
    """

    def __init__(
        self, embedder: Embedder, texts: Sequence[str], owners: Sequence[int], *, full: bool
    ) -> None:
        self.embedder = embedder
        self.full = full
        vectors = embedder.embed(texts)
        self.vectors = vectors if full else vectors.astype(np.float16)
        self.owners = np.asarray(owners, dtype=np.int64)
        self.n_topics = int(self.owners.max()) + 1 if len(owners) else 0
        # A topic's phrasings are contiguous rows: reduce each run to its best.
        self._starts = np.flatnonzero(np.r_[True, self.owners[1:] != self.owners[:-1]])
        self._start_topic = self.owners[self._starts] if len(owners) else self.owners

    def query_vector(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def similarities(self, vector: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Best cosine per topic (over all rows, or the given ones); -1 for topics not scored."""
        best = np.full(self.n_topics, -1.0, dtype=np.float32)
        if rows is None:
            if len(self.owners):
                sims = self.vectors @ vector
                best[self._start_topic] = np.maximum.reduceat(sims, self._starts)
            return best
        if len(rows):
            sims = self.vectors[rows].astype(np.float32) @ vector
            np.maximum.at(best, self.owners[rows], sims)
        return best
