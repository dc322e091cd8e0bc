"""Accuracy of the matcher on labelled question lists (`python -m bot eval FILE...`).

Per file: top-1 (answered with the right topic), wrong answers (answered with another
topic: the costly mistake), clarify hits (not answered, but the right topic is among the
offered buttons), off-topic held (off-topic questions not answered) and the set's language,
which is also given to the matcher as the chat's language would be; and how many questions
would be answered in the set's language by a chat with nothing stored and no Telegram
language (bot/lang/detect.py), which is what `reply_language` measures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.knowledge.model import DEFAULT_LANGUAGE, LANGUAGES
from bot.lang.detect import default_detector
from bot.matching.matcher import Matcher


class EvalFileError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    q: str
    t: str | None  # None: off-topic, should not be answered confidently


@dataclass
class EvalReport:
    name: str = ""
    language: str = DEFAULT_LANGUAGE
    in_scope: int = 0
    correct: int = 0
    wrong: int = 0  # answered, but with another topic
    clarify_hit: int = 0  # "Did you mean" with the right topic among the buttons
    off_topic: int = 0
    off_topic_held: int = 0  # off-topic questions not answered confidently
    language_right: int = 0  # replied in the set's language (chat with nothing stored)
    outcomes: Counter[str] = field(default_factory=Counter)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[str, str | None, str, str | None]] = field(default_factory=list)

    @property
    def top1(self) -> float:
        return self.correct / self.in_scope if self.in_scope else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.in_scope if self.in_scope else 0.0

    @property
    def clarify_hit_rate(self) -> float:
        return self.clarify_hit / self.in_scope if self.in_scope else 0.0

    @property
    def off_topic_rate(self) -> float:
        return self.off_topic_held / self.off_topic if self.off_topic else 1.0

    @property
    def language_rate(self) -> float:
        total = self.in_scope + self.off_topic
        return self.language_right / total if total else 1.0

    def summary(self) -> str:
        return (
            f"{self.name or 'questions'} [{self.language}]: top-1 correct {self.top1:.1%} "
            f"({self.correct}/{self.in_scope}), wrong {self.wrong_rate:.1%} ({self.wrong}), "
            f"clarify hit {self.clarify_hit_rate:.1%} ({self.clarify_hit}), off-topic held "
            f"{self.off_topic_rate:.1%} ({self.off_topic_held}/{self.off_topic}), replied in "
            f"{self.language} {self.language_rate:.1%} "
            f"({self.language_right}/{self.in_scope + self.off_topic})"
        )

    def format(self) -> str:
        lines = [
            self.summary(),
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


def language_of_set(path: Path) -> str:
    """`de.yaml` -> de, `far-en.yaml` -> en; anything else is English."""
    stem = path.stem.lower()
    for code in (stem, stem.rsplit("-", 1)[-1]):
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def set_label(path: Path) -> str:
    """The set's name in reports: its path below `tests/data` (`tune/de.yaml` and
    `heldout/de.yaml` share a file name), else the path as given."""
    parts = path.resolve().parts
    for i in range(len(parts) - 2, 0, -1):
        if parts[i - 1 : i + 1] == ("tests", "data"):
            return "/".join(parts[i + 1 :])
    return str(path)


def load_eval(path: Path, known_topics: set[str] | None = None) -> list[LabelledQuestion]:
    """The file's questions; with `known_topics`, a label that is no topic id is an error."""
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


def evaluate(
    matcher: Matcher,
    items: list[LabelledQuestion],
    language: str | None = None,
    name: str = "",
) -> EvalReport:
    """`language`: the hint the bot would pass (the chat's language); None lets it guess."""
    report = EvalReport(name=name, language=language or DEFAULT_LANGUAGE)
    detector = default_detector()
    for item in items:
        result = matcher.match(item.q, language)
        report.outcomes[result.outcome] += 1
        if detector.choose(item.q).language == report.language:
            report.language_right += 1
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
        if got is not None:
            report.wrong += 1
        elif result.outcome == "clarify" and any(c.topic == item.t for c in result.candidates):
            report.clarify_hit += 1
        shown = got or (result.candidates[0].topic if result.candidates else None)
        report.confusions[(item.t, f"{result.outcome}:{shown}")] += 1
        report.misses.append((item.q, item.t, result.outcome, shown))
    return report


def evaluate_files(matcher: Matcher, paths: list[Path], quiet: bool = False) -> str:
    """The report for each file, then one summary line per file."""
    reports = []
    for path in paths:
        items = load_eval(path, set(matcher.topic_ids))
        report = evaluate(matcher, items, language_of_set(path), set_label(path))
        if quiet:
            report.misses.clear()
            report.confusions.clear()
        reports.append(report)
    blocks = [r.format() for r in reports]
    if len(reports) > 1:
        blocks.append("summary:\n" + "\n".join("  " + r.summary() for r in reports))
    return "\n\n".join(blocks)
