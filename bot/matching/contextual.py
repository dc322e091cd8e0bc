"""The second, contextual reading of an English question, for the ones the first is unsure of.

all-MiniLM-L6-v2, adapted to this FAQ (models/minilm/README.md), reads words in their
sentence ("my account is private, do they use my stuff" is about public content, not
private messages), which the averaged word vectors of the first reading cannot. It costs
about 3 ms a question on one core (int8, onnxruntime), four times the whole first pass,
so the matcher asks it only when the first pass would not answer outright with both
signals agreeing (about a third of English questions).

The model (23 MB) and its tokenizer live in `models/minilm/` (provenance in its README):
nothing is fetched at run time. The FAQ's phrasings are embedded once and kept on disk
(bot/matching/vector_cache.py), so a restart does not wait for them. onnxruntime runs one
intra-op thread: faster for one short sentence than handing it to a pool, and results
are identical run to run.
When onnxruntime or the files are missing, `default_contextual()` returns None and the
matcher keeps its first reading (logged once).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.matching.semantic import Embedder, default_embedder, embed_phrasings
from bot.matching.vector_cache import CachedEmbedder, default_cache_dir, file_digest

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).parent / "models" / "minilm"
MAX_TOKENS = 128  # questions longer than this are read by their first 128 word pieces
# In the blended reading, the share of the word-vector cosine; the rest is MiniLM's.
# Chosen on the tuning sets (docs/matching.md): the two disagree on different questions.
STATIC_SHARE = 0.3
# Part of the cache key: change it whenever the way a text becomes a vector changes.
PIPELINE = "alone, unpadded, truncated at 128"


class MiniLMEmbedder:
    name = "all-MiniLM-L6-v2 int8 384d"
    dimensions = 384

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # its start-up notes are not the operator's concern
        self._session = onnxruntime.InferenceSession(
            str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        # The file pads every text to 128 tokens: five times the work of a short question.
        self._tokenizer.no_padding()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One text at a time: the int8 graph quantises its activations per run, so a text
        batched with others (and padded to their length) would come out slightly different
        from the same text alone. Alone, a phrasing's vector depends on its words only:
        the same at every start, from the cache or not, and comparable with questions."""
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for row, encoded in enumerate(self._tokenizer.encode_batch(list(texts))):
            ids = np.array([encoded.ids], dtype=np.int64)
            mask = np.array([encoded.attention_mask], dtype=np.int64)
            (vectors,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[row] = vectors[0]
        return out


class BlendedEmbedder:
    """Two unit vectors side by side, scaled so that the cosine of the pair is
    `share` x the first model's cosine + (1 - share) x the second's."""

    def __init__(self, first: Embedder, second: Embedder, share: float) -> None:
        self.first, self.second = first, second
        self._scales = (float(np.sqrt(share)), float(np.sqrt(1 - share)))
        self.name = f"{first.name} x{share:g} + {second.name} x{1 - share:g}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._join(self.first.embed(texts), self.second.embed(texts))

    def embed_phrasings(self, texts: Sequence[str]) -> np.ndarray:
        return self._join(embed_phrasings(self.first, texts), embed_phrasings(self.second, texts))

    def _join(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.hstack([a * self._scales[0], b * self._scales[1]]).astype(np.float32)


def cache_key(model_dir: Path) -> str:
    """What the cached vectors depend on: the model, its tokenizer and how they are run."""
    parts = [file_digest(model_dir / name) for name in ("model.onnx", "tokenizer.json")]
    return hashlib.sha256(f"{PIPELINE}:{':'.join(parts)}".encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def default_contextual() -> Embedder | None:
    """The blended reading (word vectors + MiniLM), loaded once; None when it cannot load."""
    first = default_embedder()
    if first is None:
        return None
    try:
        key = cache_key(MODEL_DIR)
        second = CachedEmbedder(MiniLMEmbedder(), key, default_cache_dir())
        return BlendedEmbedder(first, second, STATIC_SHARE)
    except Exception as exc:  # a missing package or file must not stop the bot
        log.warning("contextual reading off, English questions get one reading: %s", exc)
        return None
