"""Language identification: accuracy per language and time per message on the held-out sets.

    .venv/bin/python benchmarks/bench_language.py [--runs 5]

Each held-out file's questions are labelled with the file's language (the English label
covers plain-en, far-en and new-subjects-en). Columns:

- raw: py3langid alone on the unchanged text, restricted to the eight languages;
- guess: bot.lang.detect's guess (app names, links and courtesy words removed) is right;
- clear: the guess is clear (it would switch a chat's reply language) and right;
- wrong clear: the guess is clear and wrong (a chat would be switched by mistake);
- no guess: too little evidence to guess (left to the chat's language, Telegram's, English);
- reply: the reply language chosen with no stored language and no Telegram language_code;
- reply+tg: the same for a user whose Telegram app is set to the file's language.

Time per message is the whole `Detector.choose` call (clean-up, model, rules), the median
over --runs passes over all messages; the model's load time is printed once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.i18n.languages import LANGUAGES  # noqa: E402
from bot.lang.detect import Detector  # noqa: E402

HELDOUT = ROOT / "tests" / "data" / "heldout"
SETS: dict[str, tuple[str, ...]] = {
    "en": ("plain-en.yaml", "far-en.yaml", "new-subjects-en.yaml"),
    **{lang: (f"{lang}.yaml",) for lang in LANGUAGES if lang != "en"},
}


def load_questions() -> dict[str, list[str]]:
    questions: dict[str, list[str]] = {}
    for lang, files in SETS.items():
        questions[lang] = [
            str(item["q"])
            for name in files
            for item in yaml.safe_load((HELDOUT / name).read_text("utf-8"))
        ]
    return questions


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed passes (default 5)")
    args = parser.parse_args()

    started = time.perf_counter()
    detector = Detector()
    load_ms = (time.perf_counter() - started) * 1000
    questions = load_questions()
    everything = [q for qs in questions.values() for q in qs]

    header = (
        f"{'lang':<5}{'n':>5}{'raw':>9}{'guess':>9}{'clear':>9}{'wrong clear':>13}"
        f"{'no guess':>10}{'reply':>9}{'reply+tg':>10}"
    )
    print(header)
    totals = [0] * 8
    for lang, qs in questions.items():
        raw = sum(detector.classify_raw(q)[0] == lang for q in qs)
        guesses = [detector.guess(q) for q in qs]
        right = sum(g is not None and g.language == lang for g in guesses)
        clear = sum(g is not None and g.clear and g.language == lang for g in guesses)
        wrong = sum(g is not None and g.clear and g.language != lang for g in guesses)
        none = sum(g is None for g in guesses)
        reply = sum(detector.choose(q).language == lang for q in qs)
        with_tg = sum(detector.choose(q, None, lang).language == lang for q in qs)
        row = (len(qs), raw, right, clear, wrong, none, reply, with_tg)
        totals = [t + r for t, r in zip(totals, row, strict=True)]
        n = len(qs)
        print(
            f"{lang:<5}{n:>5}{pct(raw, n):>9}{pct(right, n):>9}{pct(clear, n):>9}"
            f"{wrong:>13}{none:>10}{pct(reply, n):>9}{pct(with_tg, n):>10}"
        )
    n, raw, right, clear, wrong, none, reply, with_tg = totals
    print(
        f"{'all':<5}{n:>5}{pct(raw, n):>9}{pct(right, n):>9}{pct(clear, n):>9}"
        f"{wrong:>13}{none:>10}{pct(reply, n):>9}{pct(with_tg, n):>10}"
    )

    per_message = []
    for _ in range(args.runs):
        started = time.perf_counter()
        for q in everything:
            detector.choose(q, "en", "de")
        per_message.append((time.perf_counter() - started) / len(everything))
    print(
        f"\ntime per message: median {statistics.median(per_message) * 1000:.3f} ms over "
        f"{args.runs} passes of {len(everything)} messages "
        f"(fastest pass {min(per_message) * 1000:.3f} ms); model load {load_ms:.0f} ms"
    )


if __name__ == "__main__":
    main()
