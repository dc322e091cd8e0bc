"""Dates as words: what is ahead, what is standing, what is watched, what has passed.

Every date and every "how long" is computed here from `faq/deadlines.yaml` and the clock;
answer texts only hold placeholders. `effective` entries are information (something applies
from a date), so they are never worded as something the reader must do.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.knowledge.model import PLACEHOLDER_RE, Deadline, KnowledgeBase
from bot.knowledge.regions import REGION_NAMES, region_name
from bot.render.timefmt import approx_relative, as_moment, format_date, format_datetime, format_day

AHEAD, STANDING, WATCHED, PASSED = "ahead", "standing", "watched", "passed"
SECTION_TITLES = {
    AHEAD: "Ahead",
    STANDING: "Settings you can change at any time",
    WATCHED: "Announced, no date yet",
    PASSED: "Passed",
}


def when(deadline: Deadline, now: datetime) -> str:
    """'27 May 2025, a year and a half ago', 'since 16 December 2025, 11 months ago', ''."""
    if deadline.at is not None:
        return f"{format_date(deadline.at, deadline.timezone)}, {approx_relative(deadline.at, now)}"
    if deadline.since is not None:
        since = as_moment(deadline.since)
        return f"since {format_day(deadline.since)}, {approx_relative(since, now)}"
    return ""


def state(deadline: Deadline, now: datetime) -> str:
    """Which section of /deadline an entry belongs in at `now`."""
    if deadline.kind == "standing":
        return STANDING
    if deadline.kind == "watch" or deadline.at is None:
        return WATCHED
    return AHEAD if deadline.at > now else PASSED


def status_sentence(deadline: Deadline, now: datetime) -> str:
    """The date, how far it is, and the entry's own words for that moment."""
    if deadline.at is None:
        lead = when(deadline, now)
        return f"{lead[0].upper()}{lead[1:]}. {deadline.summary}" if lead else deadline.summary
    text = deadline.before if deadline.at > now else deadline.after
    return f"{when(deadline, now)}. {text}"


def fill_placeholders(text: str, kb: KnowledgeBase, now: datetime) -> str:
    """Replace {{deadline:ID[:format]}} with words computed from the data and `now`."""

    def replace(match: re.Match[str]) -> str:
        deadline = kb.deadlines.get(match.group(1))
        moment = None
        if deadline is not None:
            moment = deadline.at or (as_moment(deadline.since) if deadline.since else None)
        if deadline is None or moment is None:  # `check` reports this; never show raw braces
            return "(date not available)"
        fmt = match.group(2)
        date_words = (
            format_date(deadline.at, deadline.timezone)
            if deadline.at
            else format_day(moment.date())
        )
        if fmt == "date":
            return date_words
        if fmt == "relative":
            return approx_relative(moment, now)
        if fmt == "status":
            return status_sentence(deadline, now)
        return f"{date_words}, {approx_relative(moment, now)}"

    return PLACEHOLDER_RE.sub(replace, text)


def applicable(kb: KnowledgeBase, region: str | None) -> list[Deadline]:
    """Dated entries for a region (None: every region), soonest first."""
    dated = (d for d in kb.deadlines.values() if d.at is not None and d.applies_to(region))
    return sorted(dated, key=lambda d: d.at)  # type: ignore[arg-type, return-value]


def upcoming(kb: KnowledgeBase, region: str | None, now: datetime) -> list[Deadline]:
    """Last days to act that are still ahead: what reminders are for."""
    return [d for d in applicable(kb, region) if d.is_task and d.at is not None and d.at > now]


def sections(kb: KnowledgeBase, region: str | None, now: datetime) -> dict[str, list[Deadline]]:
    """Entries for a region by section; ahead soonest first, passed most recent first."""
    found: dict[str, list[Deadline]] = {AHEAD: [], STANDING: [], WATCHED: [], PASSED: []}
    for deadline in kb.deadlines.values():
        if deadline.applies_to(region):
            found[state(deadline, now)].append(deadline)
    found[AHEAD].sort(key=lambda d: d.at)  # type: ignore[arg-type, return-value]
    found[PASSED].sort(key=lambda d: d.at, reverse=True)  # type: ignore[arg-type, return-value]
    found[STANDING].sort(key=lambda d: d.since, reverse=True)  # type: ignore[arg-type, return-value]
    return found


def _entry(deadline: Deadline, section: str, now: datetime, show_regions: bool) -> str:
    lines = [f"<b>{deadline.title}</b>"]
    if section == AHEAD and deadline.at is not None:
        moment = format_datetime(deadline.at, deadline.timezone or "UTC")
        distance = approx_relative(deadline.at, now)
        if deadline.kind == "deadline":
            lines.append(f"⏳ Last day: {moment}, {distance}.")
        else:
            lines.append(f"📅 Applies from {moment}, {distance}.")
        lines.append(deadline.before)
    elif section == PASSED:
        verb = "In force since" if deadline.kind == "effective" else "Passed on"
        lines.append(f"✔️ {verb} {when(deadline, now)}.")
        lines.append(deadline.after)
    elif section == STANDING:
        lines.append(f"🔁 In place {when(deadline, now)}.")
        lines.append(deadline.summary)
    else:
        lines.append(f"👀 No date announced yet. {deadline.summary}")
    if show_regions:
        lines.append("Applies to: " + ", ".join(REGION_NAMES[r] for r in deadline.regions) + ".")
    return "\n".join(lines)


def render_deadlines(kb: KnowledgeBase, region: str | None, now: datetime) -> str:
    """/deadline: for the chat's region (or every region), by section."""
    where = region_name(region)
    header = f"<b>Dates and settings: {where}</b>" if where else "<b>Dates and settings</b>"
    found = sections(kb, region, now)
    if not any(found.values()):
        return (
            f"{header}\n\nNothing is listed for {'this region' if where else 'any region'}: no "
            "deadline, no date from which something applies, no setting to watch."
        )
    blocks = [header]
    if not found[AHEAD]:
        blocks.append("No deadline is coming up right now.")
    for section, entries in found.items():
        if entries:
            body = "\n\n".join(_entry(d, section, now, region is None) for d in entries)
            blocks.append(f"<u>{SECTION_TITLES[section]}</u>\n{body}")
    return "\n\n".join(blocks)
