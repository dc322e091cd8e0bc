"""Accuracy of the matcher on a labelled question list (`python -m bot eval FILE`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.matching.matcher import Matcher


class EvalFileError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    q: str
    t: str | None  # None: off-topic, should not be answered confidently


@dataclass
class EvalReport:
    in_scope: int = 0
    correct: int = 0
    off_topic: int = 0
    off_topic_held: int = 0  # off-topic questions not answered confidently
    outcomes: Counter[str] = field(default_factory=Counter)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[str, str | None, str, str | None]] = field(default_factory=list)

    @property
    def top1(self) -> float:
        return self.correct / self.in_scope if self.in_scope else 0.0

    @property
    def off_topic_rate(self) -> float:
        return self.off_topic_held / self.off_topic if self.off_topic else 1.0

    def format(self) -> str:
        lines = [
            f"in-scope questions: {self.in_scope}, top-1 correct: {self.correct} ({self.top1:.1%})",
            f"off-topic questions: {self.off_topic}, not answered confidently: "
            f"{self.off_topic_held} ({self.off_topic_rate:.1%})",
            "outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())),
        ]
        if self.confusions:
            lines.append("confusion pairs (expected -> got):")
            lines += [f"  {a} -> {b}: {n}" for (a, b), n in self.confusions.most_common(15)]
        if self.misses:
            lines.append("misses (expected | outcome | got | question):")
            lines += [
                f"  {exp or 'none'} | {out} | {got or '-'} | {q}"
                for q, exp, out, got in self.misses
            ]
        return "\n".join(lines)


def load_eval(path: Path, known_topics: set[str] | None = None) -> list[LabelledQuestion]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise EvalFileError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise EvalFileError(f"{path} must be a YAML list of {{q: question, t: topic-id or none}}")
    items = []
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or "t" not in item:
            raise EvalFileError(f"{path}: item {n} needs q (text) and t (topic id or none)")
        label = item["t"]
        topic = None if label in (None, "none") else str(label)
        if topic and known_topics is not None and topic not in known_topics:
            raise EvalFileError(f"{path}: item {n} names unknown topic '{topic}'")
        items.append(LabelledQuestion(item["q"], topic))
    return items


def evaluate(matcher: Matcher, items: list[LabelledQuestion]) -> EvalReport:
    report = EvalReport()
    for item in items:
        result = matcher.match(item.q)
        report.outcomes[result.outcome] += 1
        got = result.topic if result.outcome == "answer" else None
        if item.t is None:
            report.off_topic += 1
            if result.outcome != "answer":
                report.off_topic_held += 1
            else:
                report.misses.append((item.q, None, result.outcome, got))
            continue
        report.in_scope += 1
        if got == item.t:
            report.correct += 1
            continue
        shown = got or (result.candidates[0].topic if result.candidates else None)
        report.confusions[(item.t, f"{result.outcome}:{shown}")] += 1
        report.misses.append((item.q, item.t, result.outcome, shown))
    return report
