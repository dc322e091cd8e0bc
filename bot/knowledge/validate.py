"""Checks across entries: the contract, links between ids, placeholders, written dates.

Field-level checks happen while reading (bot/knowledge/entries.py); these need the whole
knowledge base.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from bot.knowledge.contract import Contract
from bot.knowledge.model import (
    DATED_KINDS,
    PLACEHOLDER_FORMATS,
    PLACEHOLDER_RE,
    KnowledgeBase,
    Topic,
    TopicText,
)
from bot.knowledge.problems import Problem
from bot.lang.normalize import normalize


def cross_check(kb: KnowledgeBase, contract: Contract) -> list[Problem]:
    problems = list(_contract(kb, contract))
    problems.extend(_topics(kb))
    for deadline in kb.deadlines.values():
        for pid in deadline.platforms:
            if pid not in kb.platforms:
                problems.append(
                    Problem(
                        deadline.file,
                        deadline.line,
                        f"deadline '{deadline.id}': platform '{pid}' is not in platforms.yaml",
                    )
                )
    return problems


def _contract(kb: KnowledgeBase, contract: Contract) -> Iterator[Problem]:
    for topic_id, line in contract.required_topics.items():
        if topic_id not in kb.topics:
            yield Problem(contract.file, line, f"required topic '{topic_id}' is missing")
    for pid, line in contract.required_platforms.items():
        if pid not in kb.platforms:
            yield Problem(contract.file, line, f"required platform '{pid}' is missing")


def _topics(kb: KnowledgeBase) -> Iterator[Problem]:

    phrase_owner: dict[tuple[str, str], str] = {}
    for topic in kb.topics.values():

        def problem(message: str, topic: Topic = topic) -> Problem:
            return Problem(topic.file, topic.line, message)

        for rel in topic.related:
            if rel not in kb.topics:
                yield problem(f"topic '{topic.id}': related '{rel}' points nowhere")
            if rel == topic.id:
                yield problem(f"topic '{topic.id}' is related to itself")
        if topic.platform and topic.platform not in kb.platforms:
            yield problem(
                f"topic '{topic.id}': platform '{topic.platform}' is not in platforms.yaml"
            )
        for lang, text in topic.texts.items():
            for phrase in (text.question, *text.alternates):
                key = (lang, normalize(phrase))
                owner = phrase_owner.get(key)
                if owner and owner != topic.id:
                    yield Problem(
                        text.file or topic.file,
                        text.line or topic.line,
                        f"alternate {phrase!r} of '{topic.id}' collides with topic '{owner}'",
                    )
                phrase_owner.setdefault(key, topic.id)
            bodies = (
                text.answer,
                text.details,
                *text.regions.values(),
                *text.region_details.values(),
            )
            for body in bodies:
                if body:
                    yield from _placeholders(topic, body, kb, text)


def date_spellings(d: date) -> list[str]:
    month = d.strftime("%B")
    return [
        f"{d.day} {month} {d.year}",
        f"{month} {d.day}, {d.year}",
        f"{month} {d.day} {d.year}",
        d.isoformat(),
        f"{d.day}/{d.month}/{d.year}",
        f"{d.day}.{d.month}.{d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
    ]


def _placeholders(
    topic: Topic, body: str, kb: KnowledgeBase, text: TopicText | None = None
) -> Iterator[Problem]:
    file, line = (text.file, text.line) if text and text.file else (topic.file, topic.line)

    def problem(message: str) -> Problem:
        return Problem(file, line, f"topic '{topic.id}': {message}")

    for match in PLACEHOLDER_RE.finditer(body):
        did, fmt = match.group(1), match.group(2)
        deadline = kb.deadlines.get(did)
        if deadline is None:
            yield problem(f"unknown deadline '{did}' in a placeholder")
        elif deadline.kind not in DATED_KINDS and not (
            deadline.kind == "standing" and fmt in (None, "date", "relative")
        ):
            yield problem(f"deadline '{did}' is a '{deadline.kind}' entry with no date to show")
        if fmt not in PLACEHOLDER_FORMATS:
            yield problem(f"unknown placeholder format '{fmt}'")
    if "{{" in PLACEHOLDER_RE.sub("", body):
        yield problem("malformed placeholder")
    lowered = body.lower()
    for deadline in kb.deadlines.values():
        day = deadline.at.date() if deadline.at else deadline.since
        if day is None:
            continue
        for spelling in date_spellings(day):
            if spelling.lower() in lowered:
                yield Problem(
                    file,
                    line,
                    f"topic '{topic.id}' writes the date of deadline '{deadline.id}' "
                    f"({spelling}); use {{{{deadline:{deadline.id}}}}} instead",
                )
                break
