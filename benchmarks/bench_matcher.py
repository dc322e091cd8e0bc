"""Matcher accuracy, speed, memory and install size: the chosen design beside alternatives.

    python benchmarks/bench_matcher.py [--runs 3] [--topics 10000] [--calibrate]

Candidates, all over the same phrasings in the same run:
  + MiniLM re-read       the shipped design: lexical + WordLlama, and unsure English
                         questions read again with MiniLM (bot/matching/contextual.py)
  lexical + WordLlama    the first reading alone: static embeddings from the wordllama wheel
  lexical only           rapidfuzz + IDF word overlap (semantic signal off)
  lexical + char n-grams an in-repo alternative: hashed character 3-5-gram TF-IDF vectors
  rapidfuzz extractOne / difflib.get_close_matches: the two earlier baselines
Accuracy on every set in tests/data (each with its language as the hint; the language sets
also with the hint bot/lang/detect.py gives a chat with nothing stored); latency per
question (median, p99) with every language of faq/ loaded, and on a generated knowledge base
with --topics more topics (and with --contextual-topics, a size at which the contextual
reading is still built: it is left off past CONTEXTUAL_MAX_PHRASINGS); start-up time and
memory (RSS growth, tracemalloc peak), each in a fresh process, with every language beside
English only, the chosen design on a first start and a restart (its phrasing vectors
cached); install size of what each candidate needs. --calibrate prints the
decision-threshold grid on the tuning and dev sets (never the held-out ones).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import itertools
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from importlib import metadata
from pathlib import Path

import numpy as np
from rapidfuzz import process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluate import LabelledQuestion, language_of_set, load_eval  # noqa: E402
from bot.knowledge.loader import read_knowledge_base  # noqa: E402
from bot.knowledge.model import KnowledgeBase, Source, Topic, TopicText  # noqa: E402
from bot.lang.normalize import normalize  # noqa: E402
from bot.matching.contextual import MODEL_DIR  # noqa: E402
from bot.matching.decide import OUT_OF_SCOPE, THRESHOLDS, decide  # noqa: E402
from bot.matching.matcher import Matcher  # noqa: E402

DATA = ROOT / "tests" / "data"
Answer = Callable[[str, str | None], tuple[str, str | None, tuple[str, ...], str | None]]
# question, language -> (outcome, topic answered, topics offered, best-ranked topic)


class CharNgramEmbedder:
    """Hashed character 3-5-gram TF-IDF, unit length: language-agnostic, no weights at all."""

    name = "char 3-5-gram TF-IDF (hashed, 4096)"
    dims = 4096

    def __init__(self, corpus: Sequence[str]) -> None:
        df = np.zeros(self.dims)
        for text in corpus:
            df[list(set(self._grams(text)))] += 1
        self.idf = np.log((len(corpus) + 1) / (df + 1)) + 1

    def _grams(self, text: str) -> list[int]:
        t = f" {normalize(text)} "
        return [
            int.from_bytes(hashlib.blake2b(t[i : i + n].encode(), digest_size=4).digest())
            % self.dims
            for n in (3, 4, 5)
            for i in range(len(t) - n + 1)
        ]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            np.add.at(out[row], self._grams(text), 1.0)
        out = np.log1p(out) * self.idf
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms == 0, 1, norms)).astype(np.float32)


def phrasings(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    phrases, owners = [], []
    for topic in kb.topics.values():
        text = topic.text()
        for phrase in (text.question, *text.alternates):
            phrases.append(phrase)
            owners.append(topic.id)
    return phrases, owners


def make_matcher(kb: KnowledgeBase, candidate: str) -> Matcher:
    if candidate == "lexical + WordLlama":
        return Matcher(kb, contextual=None)
    if candidate == "lexical only":
        return Matcher(kb, embedder=None)
    if candidate == "lexical + char n-grams":
        return Matcher(kb, embedder=CharNgramEmbedder(phrasings(kb)[0]))
    return Matcher(kb)


CHOSEN = "+ MiniLM re-read (chosen)"
CANDIDATES = (CHOSEN, "lexical + WordLlama", "lexical only", "lexical + char n-grams")


def ours(matcher: Matcher) -> Answer:
    def answer(q: str, lang: str | None):
        result = matcher.decide(scored := matcher.scores(q, lang), matcher.thresholds)
        best = scored.ranked[0].topic if scored.ranked else None
        return result.outcome, result.topic, tuple(c.topic for c in result.candidates), best

    return answer


def extract_one(kb: KnowledgeBase) -> Answer:
    phrases, owners = phrasings(kb)

    def answer(q: str, lang: str):
        found = process.extractOne(q, phrases)
        topic = owners[found[2]] if found else None
        return ("answer" if topic else "fallback"), topic, (), topic

    return answer


def close_matches(kb: KnowledgeBase) -> Answer:
    phrases, owners = phrasings(kb)
    owner = dict(zip(phrases, owners, strict=False))

    def answer(q: str, lang: str):
        found = difflib.get_close_matches(q, phrases, n=1)
        topic = owner[found[0]] if found else None
        return ("answer" if topic else "fallback"), topic, (), topic

    return answer


def detected_hint() -> Callable[[str], str | None]:
    """The matcher's hint in a chat with nothing stored: the message's language when the
    detector is at least fairly sure, else none (the matcher guesses), as the bot does."""
    from bot.lang.detect import default_detector

    detector = default_detector()

    def hint(q: str) -> str | None:
        guess = detector.guess(q)
        return guess.language if guess is not None and guess.kind != "weak" else None

    return hint


def _with_hint(answer: Answer, hint: Callable[[str], str | None]) -> Answer:
    return lambda q, lang: answer(q, hint(q))  # type: ignore[arg-type]


def accuracy(answer: Answer, items: list[LabelledQuestion], lang: str) -> dict[str, float]:
    right = wrong = hit = held = rank1 = 0
    in_scope = [i for i in items if i.t]
    off = len(items) - len(in_scope)
    for item in items:
        outcome, topic, offered, best = answer(item.q, lang)
        if item.t is None:
            held += outcome != "answer"
            continue
        rank1 += best == item.t
        if outcome == "answer":
            right += topic == item.t
            wrong += topic != item.t
        elif outcome == "clarify":
            hit += item.t in offered
    n = max(len(in_scope), 1)
    return {
        "top1": right / n,
        "wrong": wrong / n,
        "clarify_hit": hit / n,
        "held": held / off if off else 1.0,
        "rank1": rank1 / n,
    }


def latency(answer: Answer, questions: list[tuple[str, str]], runs: int) -> tuple[float, float]:
    medians, p99s = [], []
    for _ in range(runs):
        times = []
        for q, lang in questions:
            start = time.perf_counter()
            answer(q, lang)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        medians.append(statistics.median(times))
        p99s.append(times[min(len(times) - 1, int(len(times) * 0.99))])
    return statistics.median(medians), statistics.median(p99s)


def eval_sets() -> list[tuple[str, str, list[LabelledQuestion]]]:
    files = [DATA / "eval.yaml", *sorted((DATA / "dev").glob("*.yaml"))]
    files += sorted((DATA / "heldout").glob("*.yaml"))
    return [(str(p.relative_to(DATA)), language_of_set(p), load_eval(p)) for p in files]


def synthetic_kb(kb: KnowledgeBase, extra: int, seed: int = 7) -> KnowledgeBase:
    """The shipped topics plus `extra` generated ones made of the same vocabulary."""
    rng = random.Random(seed)
    vocab = sorted({w for p in phrasings(kb)[0] for w in p.lower().split() if w.isalpha()})
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


def english_only(kb: KnowledgeBase) -> KnowledgeBase:
    """The knowledge base with its translations left out: the matcher's English-only cost."""
    topics = {tid: replace(t, texts={"en": t.text("en")}) for tid, t in kb.topics.items()}
    return replace(kb, topics=topics)


def languages_of(kb: KnowledgeBase) -> list[str]:
    return sorted({lang for t in kb.topics.values() for lang in t.texts})


def _requirements(name: str) -> list[str]:
    try:
        requires = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return []
    out = []
    for req in requires:
        if "extra ==" in req:
            continue
        out.append(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0])
    return out


def closure(*names: str) -> list[str]:
    """The named distributions and everything they require, as installed here."""
    seen: dict[str, str] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            seen[key] = metadata.distribution(name).metadata["Name"]
        except metadata.PackageNotFoundError:
            continue
        todo += _requirements(name)
    return sorted(seen.values(), key=str.lower)


def install_size(dists: Sequence[str]) -> float:
    """Megabytes on disk of the named distributions' files."""
    total = 0
    for name in dists:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for f in dist.files or ():
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


# What each candidate installs beyond the standard library (with everything it requires).
INSTALL = {
    CHOSEN: ("rapidfuzz", "PyStemmer", "numpy", "wordllama", "onnxruntime", "tokenizers"),
    "lexical + WordLlama": ("rapidfuzz", "PyStemmer", "numpy", "wordllama"),
    "lexical only": ("rapidfuzz", "PyStemmer", "numpy"),
    "lexical + char n-grams": ("rapidfuzz", "PyStemmer", "numpy"),
}


def memory_child(candidate: str, languages: str, traced: bool) -> None:
    """Run in a fresh process: start-up time and RSS growth, or (`traced`) the tracemalloc
    peak, of reading faq/ (with its translations unless `languages` is "en"), building the
    matcher (loading the embedding model, embedding every phrasing) and answering once.
    tracemalloc slows Python down, so time and RSS come from a run without it."""
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    kb = read_knowledge_base(ROOT / "faq")[0]
    if languages == "en":
        kb = english_only(kb)
    loaded = time.perf_counter() - start
    matcher = make_matcher(kb, candidate)
    matcher.match("are my dms used for ai training", "en")
    built = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    result = {
        "rss_mb": rss / 1024,
        "peak_mb": peak / 1e6,
        "load_s": loaded,
        "build_s": built,
        "languages": len(matcher.languages_indexed),
    }
    print(json.dumps(result))


def memory(candidate: str, languages: str = "en", cache: Path | None = None) -> dict[str, float]:
    """`cache`: the folder of phrasing vectors the child uses (XDG_CACHE_HOME): an empty one
    for a first start, a filled one for a restart."""
    env = dict(os.environ, XDG_CACHE_HOME=str(cache)) if cache is not None else None

    def child(*extra: str) -> dict[str, float]:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--memory-child",
                candidate,
                "--languages",
                languages,
                *extra,
            ],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    timed = child()
    timed["peak_mb"] = child("--traced")["peak_mb"]
    return timed


def calibrate(kb: KnowledgeBase) -> None:
    """The grid the thresholds were chosen from: tuning + dev sets only.

    Per blend (semantic weight, centroid share): the decision thresholds with the most
    right answers (less half the wrong ones) among those with at most 2.5% wrong answers
    and at least 90% of off-topic questions held on every set.
    """
    sets = [(n, lang, items) for n, lang, items in eval_sets() if not n.startswith("heldout")]
    configs = [(w, s, 0.75) for w, s in itertools.product((0.3, 0.4, 0.5), (0.0, 0.5, 1.0))]
    configs += [(0.4, 0.5, 0.5), (0.4, 0.5, 1.0)]
    for weight, share, coverage in configs:
        base = replace(
            THRESHOLDS,
            semantic_weight=weight,
            centroid_share=share,
            off_topic_coverage=coverage,
        )
        matcher = Matcher(kb, thresholds=base)
        scored = [(items, [matcher.scores(i.q, lang) for i in items]) for _, lang, items in sets]
        rank1 = [
            sum(bool(s.ranked) and _first_topic(s) == i.t for i, s in zip(items, sc, strict=True))
            / max(sum(1 for i in items if i.t), 1)
            for items, sc in scored
        ]
        rows = []
        grid = itertools.product(
            range(44, 60, 2), (2, 4, 6, 8), range(38, 52, 2), (0, 1, 2), (0, 2, 4, 8)
        )
        for answer, margin, agree_answer, agree_margin, off_margin in grid:
            t = replace(
                base,
                answer=answer,
                margin=margin,
                agree_answer=agree_answer,
                agree_margin=agree_margin,
                off_topic_margin=off_margin,
            )
            res = []
            for items, scores in scored:
                ok = bad = held = 0
                n_in = sum(1 for i in items if i.t)
                for item, s in zip(items, scores, strict=True):
                    r = decide(s, t)
                    if item.t is None:
                        held += r.outcome != "answer"
                    elif r.outcome == "answer":
                        ok += r.topic == item.t
                        bad += r.topic != item.t
                n_off = len(items) - n_in
                res.append((ok / n_in, bad / n_in, held / max(n_off, 1)))
            feasible = all(b <= 0.025 and h >= 0.9 for _, b, h in res)
            rows.append((feasible, sum(a - 0.5 * b for a, b, _ in res), t, res))
        rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
        feasible, _, t, res = rows[0]
        print(
            f"semantic_weight {weight} centroid_share {share} off_topic_coverage {coverage}: "
            f"answer {t.answer} margin "
            f"{t.margin} agree_answer {t.agree_answer} agree_margin {t.agree_margin} "
            f"off_topic_margin {t.off_topic_margin} (feasible: {feasible}) -> "
            + " | ".join(
                f"{n}: rank@1 {r:.1%} top-1 {a:.1%} wrong {b:.1%} held {h:.1%}"
                for (n, _, _), r, (a, b, h) in zip(sets, rank1, res, strict=True)
            )
        )


def _first_topic(scored) -> str | None:
    """The best-ranked real topic (the off-topic class skipped)."""
    return next((c.topic for c in scored.ranked if c.topic != OUT_OF_SCOPE), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--contextual-topics", type=int, default=1_000)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--baseline-sample", type=int, default=60)
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    parser.add_argument("--languages", default="en", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.languages, args.traced)
        return 0

    kb = read_knowledge_base(ROOT / "faq")[0]
    if args.calibrate:
        calibrate(kb)
        return 0
    sets = eval_sets()
    questions = [(i.q, lang) for _, lang, items in sets for i in items]
    answers: dict[str, Answer] = {c: ours(make_matcher(kb, c)) for c in CANDIDATES}
    answers["rapidfuzz extractOne (defaults)"] = extract_one(kb)
    answers["difflib.get_close_matches"] = close_matches(kb)
    detect = detected_hint()

    print(
        f"Shipped FAQ: {len(kb.topics)} topics, {len(phrasings(kb)[0])} English phrasings, "
        f"languages with phrasings: {', '.join(languages_of(kb))}"
    )
    print("\nAccuracy (hint: the set's language, as a chat with that language stored; ")
    print("'detected': the hint bot/lang/detect.py gives a chat with nothing stored)")
    print(
        f"{'set':<30}{'matcher':<32}{'top-1':>7}{'wrong':>7}{'clar.hit':>9}"
        f"{'off held':>9}{'rank@1':>8}"
    )
    for name, lang, items in sets:
        rows = [(cand, answer, lang) for cand, answer in answers.items()]
        if lang != "en":
            chosen = answers[CANDIDATES[0]]
            rows.append((f"{CANDIDATES[0][:22]}, detected", _with_hint(chosen, detect), lang))
        for cand, answer, hint in rows:
            a = accuracy(answer, items, hint)
            print(
                f"{name + f' ({len(items)})':<30}{cand:<32}{a['top1']:>7.1%}{a['wrong']:>7.1%}"
                f"{a['clarify_hit']:>9.1%}{a['held']:>9.1%}{a['rank1']:>8.1%}"
            )

    print(
        f"\nLatency per question, all {len(questions)} questions, median of {args.runs} runs, "
        f"every language of faq/ loaded"
    )
    print(f"{'matcher':<32}{'median ms':>10}{'p99 ms':>10}")
    for cand, answer in answers.items():
        runs = 1 if cand.startswith("difflib") else args.runs
        qs = questions[:300] if cand.startswith("difflib") else questions
        med, p99 = latency(answer, qs, runs)
        print(f"{cand:<32}{med:>10.3f}{p99:>10.3f}")

    print("\nStart-up and memory, a fresh process each: reading faq/, building the matcher and")
    print("answering one question; RSS growth and tracemalloc peak over that. Install size:")
    print("the packages the candidate needs, with everything they require, as installed here.")
    print(
        f"{'matcher':<32}{'langs':>6}{'load s':>8}{'start s':>8}{'RSS MB':>8}{'traced MB':>10}"
        f"{'install MB':>11}"
    )
    with tempfile.TemporaryDirectory() as cache:
        for cand in CANDIDATES:
            size = install_size(closure(*INSTALL[cand]))
            if cand == CHOSEN:
                size += sum(f.stat().st_size for f in MODEL_DIR.iterdir()) / 1e6
                runs = [("en", "first start", Path(cache) / "en"), ("en", "restart", None)]
                runs += [("all", "first start", Path(cache) / "all"), ("all", "restart", None)]
            else:
                runs = [("en", "", None)]
            folder = None
            for langs, label, fresh in runs:
                folder = fresh or folder
                m = memory(cand, langs, folder if cand == CHOSEN else Path(cache) / "other")
                name = f"{cand[:18]}, {label}" if label else cand
                print(
                    f"{name:<32}{m['languages']:>6}{m['load_s']:>8.2f}{m['build_s']:>8.2f}"
                    f"{m['rss_mb']:>8.1f}{m['peak_mb']:>10.1f}{size:>11.1f}"
                )
    print(f"  (the chosen design's install size includes its model files, {MODEL_DIR})")
    for cand in CANDIDATES[:3]:
        print(f"  {cand}: {', '.join(closure(*INSTALL[cand]))}")

    english = [(i.q, "en") for _, lang, items in sets if lang == "en" for i in items]
    for extra in (args.contextual_topics, args.topics):
        big = synthetic_kb(english_only(kb), extra)  # one index: the per-language cost
        print(
            f"\nGenerated KB: {len(big.topics)} topics, {len(phrasings(big)[0])} phrasings, "
            f"{len(english)} English questions, median of {args.runs} runs"
        )
        print(f"{'matcher':<32}{'build s':>9}{'median ms':>10}{'p99 ms':>10}  contextual")
        for cand in CANDIDATES[:3]:
            start = time.perf_counter()
            matcher = make_matcher(big, cand)
            built = time.perf_counter() - start
            med, p99 = latency(ours(matcher), english, args.runs)
            on = "on" if matcher.has_contextual_reading else "off"
            print(f"{cand:<32}{built:>9.1f}{med:>10.3f}{p99:>10.3f}  {on}")
        sample = random.Random(1).sample(english, min(args.baseline_sample, len(english)))
        med, p99 = latency(extract_one(big), sample, 1)
        print(f"{'rapidfuzz extractOne (sample)':<32}{'':>9}{med:>10.3f}{p99:>10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
