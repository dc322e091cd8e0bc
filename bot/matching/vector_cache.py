"""Phrasing vectors kept on disk between starts, so the contextual model reads each once.

Embedding the FAQ's 2,500 English phrasings with MiniLM takes about 8 s, on every start
of every process. The vectors depend only on the model file and the text, so they are
kept in one file per model (`<cache>/vectors-<model hash>.npz`), rewritten atomically when
a start brings new phrasings: that start's phrasings first, then the earlier ones, up to
MAX_ROWS (about 30 MB). An edited FAQ costs only its new phrasings, and two knowledge bases
used in turn (an operator's staging copy, the tests' small ones) do not evict each other.
Only phrasings go in, never a user's question.

The folder is `$XDG_CACHE_HOME/optout-bot` (else `~/.cache/optout-bot`). When it cannot be
read or written (a read-only host), the vectors are computed as before and one warning is
logged: the cache only ever saves time, and a hit gives the same float32 rows as a miss.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.matching.semantic import Embedder

log = logging.getLogger(__name__)

MAX_ROWS = 20_000


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "optout-bot"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


class CachedEmbedder:
    """`embed` as the inner model; `embed_phrasings` through the file."""

    def __init__(self, inner: Embedder, model_key: str, folder: Path | None) -> None:
        self.inner = inner
        self.name = inner.name
        self.path = folder / f"vectors-{model_key}.npz" if folder is not None else None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed(texts)

    def embed_phrasings(self, texts: Sequence[str]) -> np.ndarray:
        if self.path is None or not texts:
            return self.inner.embed(texts)
        known = self._load()
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = dict(zip(missing, self.inner.embed(missing), strict=True))
            rows = {t: fresh.get(t, known.get(t)) for t in dict.fromkeys(texts)}
            for text, vector in known.items():
                if len(rows) >= MAX_ROWS:
                    break
                rows.setdefault(text, vector)
            self._save(rows)  # type: ignore[arg-type]
            known.update(fresh)
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)

    def _load(self) -> dict[str, np.ndarray]:
        assert self.path is not None
        if not self.path.exists():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                texts, vectors = data["texts"], data["vectors"]
                if vectors.ndim != 2 or len(texts) != len(vectors):
                    raise ValueError("texts and vectors differ in length")
                return dict(zip(texts.tolist(), vectors, strict=True))
        except Exception as exc:  # a damaged file is rebuilt, never trusted
            log.warning("phrasing vector cache %s unreadable, rebuilding it: %s", self.path, exc)
            return {}

    def _save(self, rows: dict[str, np.ndarray]) -> None:
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    np.savez(
                        f,
                        texts=np.array(list(rows), dtype=str),
                        vectors=np.stack(list(rows.values())).astype(np.float32),
                    )
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("phrasing vectors not cached (%s): %s", self.path.parent, exc)
            self.path = None
