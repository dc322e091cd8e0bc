"""`python -m bot check`: the loader's problems plus the checks that only `check` runs.

The first-message budget (a phone screen) and the age of `verified` dates do not stop the
bot from loading `faq/`; they are reported here, as errors or warnings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bot.knowledge.model import (
    PLACEHOLDER_RE,
    Deadline,
    KnowledgeBase,
    Platform,
    Route,
    Source,
    Topic,
)
from bot.knowledge.problems import ERROR, WARNING, Problem
from bot.knowledge.telegram_html import visible_length

# At most this many visible characters (tags not counted) in the first message of an answer
# and in a platform's steps for one region: what a phone shows without scrolling.
FIRST_MESSAGE_BUDGET = 600
# True: `check` fails on any first message over the budget (False would only warn).
FIRST_MESSAGE_BUDGET_ENFORCED = True
# Placeholders are counted at their longest rendering: "27 September 2026" and
# "in 47 hours and 59 minutes" (the longest of the exact short spans and the rounded long ones).
_DATE_WIDTH = len("27 September 2026")
_RELATIVE_WIDTH = len("in 47 hours and 59 minutes")
_FORM_LINK_WIDTH = len("🔗 Direct link to the form (log in first)")
_EXPECT_LABEL_WIDTH = len("What to expect: ")


def _placeholder_width(kb: KnowledgeBase, deadline_id: str, fmt: str | None) -> int:
    if fmt == "date":
        return _DATE_WIDTH
    if fmt == "relative":
        return _RELATIVE_WIDTH
    width = _DATE_WIDTH + 2 + _RELATIVE_WIDTH
    deadline = kb.deadlines.get(deadline_id)
    if fmt == "status" and deadline is not None:
        texts = (deadline.before, deadline.after, deadline.summary)
        width += 2 + max(visible_length(t) for t in texts)
    return width


def answer_length(kb: KnowledgeBase, text: str) -> int:
    """Visible length of an answer with each placeholder at its longest."""
    extra = 0
    for match in PLACEHOLDER_RE.finditer(text):
        extra += _placeholder_width(kb, match.group(1), match.group(2))
    return visible_length(PLACEHOLDER_RE.sub("", text)) + extra


def steps_length(platform: Platform, route: Route) -> int:
    """Visible length of a platform's steps for one route, with what to expect."""
    lines = [f"{i}. {step}" for i, step in enumerate(route.steps, 1)]
    if route.note:
        lines.append(route.note)
    length = sum(visible_length(line) for line in lines) + len(lines)
    if route.form_url:
        length += _FORM_LINK_WIDTH + 1
    return length + _EXPECT_LABEL_WIDTH + visible_length(platform.expect)


def _topic_budget(kb: KnowledgeBase, topic: Topic, severity: str) -> Iterator[Problem]:
    for lang, text in topic.texts.items():
        variants = {"every region": text.answer} | {
            f"region {k}": v for k, v in text.regions.items()
        }
        for label, body in variants.items():
            length = answer_length(kb, body)
            if length > FIRST_MESSAGE_BUDGET:
                where = label if lang == "en" else f"{label}, {lang}"
                yield Problem(
                    text.file or topic.file,
                    text.line or topic.line,
                    f"topic '{topic.id}': the first message ({where}) is {length:,} visible "
                    f"characters; the budget is {FIRST_MESSAGE_BUDGET} (move the rest to "
                    "'details')",
                    severity,
                )


def _platform_budget(platform: Platform, severity: str, language: str = "en"):
    text = platform.texts.get(language)
    file, line = (text.file, text.line) if text else (platform.file, platform.line)
    platform = platform.for_language(language)
    groups: dict[Route, list[str]] = {}
    for key, route in platform.routes.items():  # regions sharing a route are reported once
        groups.setdefault(route, []).append(key)
    for route, keys in groups.items():
        length = steps_length(platform, route)
        if length > FIRST_MESSAGE_BUDGET:
            regions = ", ".join(f"'{k}'" for k in keys)
            regions += "" if language == "en" else f" ({language})"
            yield Problem(
                file,
                line,
                f"platform '{platform.id}': the steps for {regions} are {length:,} visible "
                f"characters; the budget is {FIRST_MESSAGE_BUDGET}",
                severity,
            )


def over_budget(kb: KnowledgeBase, *, enforced: bool = FIRST_MESSAGE_BUDGET_ENFORCED):
    """Every first message longer than FIRST_MESSAGE_BUDGET, in any region or language."""
    severity = ERROR if enforced else WARNING
    found: list[Problem] = []
    for topic in kb.topics.values():
        found.extend(_topic_budget(kb, topic, severity))
    for platform in kb.platforms.values():
        for language in ("en", *platform.texts):
            found.extend(_platform_budget(platform, severity, language))
    return found


def undated_secondary(kb: KnowledgeBase) -> list[Problem]:
    """Secondary sources with no date and not marked `undated` (checked: none to be found)."""
    found = []
    entries: list[tuple[str, Topic | Platform | Deadline, tuple[Source, ...]]] = []
    for topic in kb.topics.values():
        positions = topic.disputed.positions if topic.disputed else ()
        cited = topic.sources + tuple(s for p in positions for s in p.sources)
        entries.append(("topic", topic, cited))
    entries += [("platform", p, p.sources) for p in kb.platforms.values()]
    entries += [("deadline", d, d.sources) for d in kb.deadlines.values()]
    for what, entry, sources in entries:
        for source in dict.fromkeys(sources):
            if source.secondary and source.date is None and not source.undated:
                found.append(
                    Problem(
                        entry.file,
                        entry.line,
                        f"{what} '{entry.id}': secondary source {source.title!r} has no 'date' "
                        "(add it, or 'undated: true' if none can be found)",
                        WARNING,
                    )
                )
    return found


def stale(kb: KnowledgeBase, today: date, max_age: int) -> list[Problem]:
    """Entries whose `verified` date is more than `max_age` days before `today`."""
    found = []
    entries: list[Topic | Platform] = [*kb.topics.values(), *kb.platforms.values()]
    for entry in entries:
        age = (today - entry.verified).days
        if age > max_age:
            what = "topic" if isinstance(entry, Topic) else "platform"
            found.append(
                Problem(
                    entry.file,
                    entry.line,
                    f"{what} '{entry.id}' was verified on {entry.verified.isoformat()}, "
                    f"{age} days ago (more than {max_age}): check it against its sources",
                    WARNING,
                )
            )
    return found


@dataclass
class CheckReport:
    kb: KnowledgeBase
    problems: list[Problem] = field(default_factory=list)
    strict: bool = False
    notes: list[str] = field(default_factory=list)  # how far each language is translated

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors or (self.strict and self.warnings) else 0

    def lines(self, faq_dir: Path) -> list[str]:
        out = [str(p) for p in self.problems] + self.notes
        kb = self.kb
        counts = (
            f"{len(kb.topics)} topics, {len(kb.platforms)} platforms, {len(kb.deadlines)} deadlines"
        )
        if not self.problems:
            out.append(f"{faq_dir}: OK ({counts})")
            return out
        summary = f"{len(self.errors)} problem(s), {len(self.warnings)} warning(s) found."
        if self.warnings and not self.errors:
            summary += " Warnings fail the check with --strict." if not self.strict else ""
        out.append(summary)
        return out


def run_check(
    faq_dir: Path,
    now: datetime,
    *,
    max_age: int | None = None,
    strict: bool = False,
    languages: Sequence[str] | None = None,
) -> CheckReport:
    """Everything `check` reports: loader problems, the budget, (with max_age) stale dates,
    and how far the translations are (`languages`: only these; see coverage.py)."""
    from bot.knowledge.coverage import translation_problems
    from bot.knowledge.loader import read_with_coverage

    kb, problems, coverage = read_with_coverage(faq_dir)
    problems = problems + undated_secondary(kb) + over_budget(kb)
    if max_age is not None:
        problems += stale(kb, now.date(), max_age)
    found, notes = translation_problems(kb, coverage, faq_dir, languages)
    return CheckReport(kb, problems + found, strict, notes)
