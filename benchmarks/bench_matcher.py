"""Matcher speed and accuracy beside two baselines, measured in the same run.

    python benchmarks/bench_matcher.py [--runs 5] [--topics 10000]

For the shipped FAQ and for a generated knowledge base with --topics extra topics it
prints median and p99 latency per question and accuracy on tests/data/eval.yaml for:
our matcher, rapidfuzz.process.extractOne with its defaults, and
difflib.get_close_matches, each over the same phrasings (questions and alternates).
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from rapidfuzz import process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluate import LabelledQuestion, load_eval  # noqa: E402
from bot.knowledge.loader import load_knowledge_base  # noqa: E402
from bot.knowledge.model import KnowledgeBase, Source, Topic, TopicText  # noqa: E402
from bot.matching.matcher import Matcher  # noqa: E402

Answer = Callable[[str], str | None]  # question -> topic id answered confidently, or None


def synthetic_kb(kb: KnowledgeBase, extra: int, seed: int = 7) -> KnowledgeBase:
    """The shipped topics plus `extra` generated ones made of the same vocabulary."""
    rng = random.Random(seed)
    vocab = sorted(
        {
            w
            for t in kb.topics.values()
            for p in (t.text().question, *t.text().alternates)
            for w in p.lower().split()
            if w.isalpha()
        }
    )
    made = [
        f"{rng.choice('bcdfghklmnprstvz')}{rng.choice('aeiou')}{rng.choice('lmnrst')}"
        f"{rng.choice('aeiou')}{rng.choice('bcdfgklmnprstvz')}"
        for _ in range(4000)
    ]
    topics = dict(kb.topics)
    for n in range(extra):
        own = rng.sample(made, 3)

        def phrase(own: list[str] = own) -> str:
            words = rng.sample(vocab, rng.randint(2, 5)) + rng.sample(own, rng.randint(1, 2))
            rng.shuffle(words)
            return " ".join(words)

        text = TopicText(f"Generated {n}", phrase(), tuple(phrase() for _ in range(10)), "...")
        topic_id = f"gen-{n}"
        topics[topic_id] = Topic(
            topic_id, {"en": text}, (Source("x", "https://x.org"),), date(2026, 1, 1)
        )
    return replace(kb, topics=topics)


def phrase_table(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    phrases, owners = [], []
    for topic in kb.topics.values():
        text = topic.text()
        for phrase in (text.question, *text.alternates):
            phrases.append(phrase)
            owners.append(topic.id)
    return phrases, owners


def ours(matcher: Matcher) -> Answer:
    def answer(q: str) -> str | None:
        result = matcher.match(q)
        return result.topic if result.outcome == "answer" else None

    return answer


def extract_one(kb: KnowledgeBase) -> Answer:
    phrases, owners = phrase_table(kb)

    def answer(q: str) -> str | None:
        found = process.extractOne(q, phrases)
        return owners[found[2]] if found else None

    return answer


def close_matches(kb: KnowledgeBase) -> Answer:
    phrases, owners = phrase_table(kb)
    owner = dict(zip(phrases, owners, strict=True))

    def answer(q: str) -> str | None:
        found = difflib.get_close_matches(q, phrases, n=1)
        return owner[found[0]] if found else None

    return answer


def measure(answer: Answer, items: list[LabelledQuestion], runs: int) -> dict[str, float]:
    medians, p99s = [], []
    answers: list[str | None] = []
    for _ in range(runs):
        times = []
        answers = []
        for item in items:
            start = time.perf_counter()
            answers.append(answer(item.q))
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        medians.append(statistics.median(times))
        p99s.append(times[min(len(times) - 1, int(len(times) * 0.99))])
    in_scope = [(i, a) for i, a in zip(items, answers, strict=True) if i.t]
    off = [(i, a) for i, a in zip(items, answers, strict=True) if not i.t]
    return {
        "median_ms": statistics.median(medians),
        "p99_ms": statistics.median(p99s),
        "top1": sum(a == i.t for i, a in in_scope) / max(len(in_scope), 1),
        "off_held": sum(a is None for _, a in off) / max(len(off), 1),
    }


def report(title: str, rows: dict[str, dict[str, float]], n: int, runs: int) -> None:
    print(f"\n{title} ({n} questions, median of {runs} runs)")
    print(f"{'matcher':<34}{'median ms':>10}{'p99 ms':>10}{'top-1':>9}{'off-topic held':>16}")
    for name, r in rows.items():
        print(
            f"{name:<34}{r['median_ms']:>10.3f}{r['p99_ms']:>10.3f}"
            f"{r['top1']:>9.1%}{r['off_held']:>16.1%}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--eval", type=Path, default=ROOT / "tests/data/eval.yaml")
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=60,
        help="questions for the slow difflib baseline on the large KB",
    )
    args = parser.parse_args()

    kb = load_knowledge_base(ROOT / "faq")
    items = load_eval(args.eval, set(kb.topics))
    n_phrases = len(phrase_table(kb)[0])
    rows = {
        "optout-bot Matcher": measure(ours(Matcher(kb)), items, args.runs),
        "rapidfuzz extractOne (defaults)": measure(extract_one(kb), items, args.runs),
        "difflib.get_close_matches": measure(close_matches(kb), items, args.runs),
    }
    report(
        f"Shipped FAQ: {len(kb.topics)} topics, {n_phrases} phrasings", rows, len(items), args.runs
    )

    big = synthetic_kb(kb, args.topics)
    start = time.perf_counter()
    big_matcher = Matcher(big)
    build_s = time.perf_counter() - start
    n_big = len(phrase_table(big)[0])
    sample = random.Random(1).sample(items, min(args.baseline_sample, len(items)))
    big_rows = {
        "optout-bot Matcher": measure(ours(big_matcher), items, args.runs),
        "rapidfuzz extractOne (defaults)": measure(extract_one(big), items, args.runs),
        f"difflib ({len(sample)}-question sample, 1 run)": measure(close_matches(big), sample, 1),
    }
    report(
        f"Generated KB: {len(big.topics)} topics, {n_big} phrasings "
        f"(index built in {build_s:.1f} s)",
        big_rows,
        len(items),
        args.runs,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
