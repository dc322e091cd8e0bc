"""Deadlines as words: countdowns before, 'how long ago' after, never a hard-coded date."""

from __future__ import annotations

import re
from datetime import datetime

from bot.knowledge.model import PLACEHOLDER_RE, REGION_NAMES, Deadline, KnowledgeBase
from bot.render.timefmt import format_date, format_datetime, relative


def status_sentence(deadline: Deadline, now: datetime) -> str:
    when = format_date(deadline.at, deadline.timezone)
    if deadline.at > now:
        return f"{when} ({relative(deadline.at, now)}). {deadline.before}"
    return f"{when} ({relative(deadline.at, now)}). {deadline.after}"


def fill_placeholders(text: str, kb: KnowledgeBase, now: datetime) -> str:
    """Replace {{deadline:ID[:format]}} with words computed from the data and `now`."""

    def replace(match: re.Match[str]) -> str:
        deadline = kb.deadlines.get(match.group(1))
        if deadline is None:  # `check` reports this; never show raw braces to a user
            return "(date not available)"
        fmt = match.group(2)
        if fmt == "date":
            return format_date(deadline.at, deadline.timezone)
        if fmt == "relative":
            return relative(deadline.at, now)
        if fmt == "status":
            return status_sentence(deadline, now)
        return f"{format_date(deadline.at, deadline.timezone)} ({relative(deadline.at, now)})"

    return PLACEHOLDER_RE.sub(replace, text)


def applicable(kb: KnowledgeBase, region: str | None) -> list[Deadline]:
    dated = (d for d in kb.deadlines.values() if d.at is not None and d.applies_to(region))
    return sorted(dated, key=lambda d: d.at)


def upcoming(kb: KnowledgeBase, region: str | None, now: datetime) -> list[Deadline]:
    return [d for d in applicable(kb, region) if d.is_task and d.at > now]


def render_deadlines(kb: KnowledgeBase, region: str | None, now: datetime) -> str:
    deadlines = applicable(kb, region)
    if not deadlines:
        where = REGION_NAMES.get(region or "", "your region")
        return (
            f"<b>Deadlines</b>\n\nNo deadline is listed for {where}. Where an objection is "
            "possible, it counts from the day you send it."
        )
    future = [d for d in deadlines if d.at > now]
    lines = ["<b>Deadlines</b>"]
    if not future:
        lines.append(
            "No deadline is coming up right now. The dates below have passed; an objection "
            "sent today still counts for the future."
        )
    for deadline in deadlines:
        regions = ", ".join(REGION_NAMES[r] for r in deadline.regions)
        state = "⏳" if deadline.at > now else "✔️"
        text = deadline.before if deadline.at > now else deadline.after
        lines.append(
            f"{state} <b>{deadline.title}</b>\n"
            f"{format_datetime(deadline.at, deadline.timezone)}: {relative(deadline.at, now)}.\n"
            f"Applies to: {regions}.\n{text}"
        )
    return "\n\n".join(lines)
