"""Dates as words: what is ahead, what is standing, what is watched, what has passed.

Every date and every "how long" is computed here from `faq/deadlines.yaml` and the clock;
answer texts only hold placeholders. `effective` entries are information (something applies
from a date), so they are never worded as something the reader must do.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.i18n.catalog import N_
from bot.knowledge.model import DEFAULT_LANGUAGE, PLACEHOLDER_RE, Deadline, KnowledgeBase
from bot.knowledge.regions import REGION_NAMES
from bot.render.dates import date_words, datetime_words, day_words, relative_words
from bot.render.language import fallback_note, words
from bot.render.timefmt import as_moment

AHEAD, STANDING, WATCHED, PASSED = "ahead", "standing", "watched", "passed"
SECTION_TITLES = {
    AHEAD: N_("Ahead"),
    STANDING: N_("Settings you can change at any time"),
    WATCHED: N_("Announced, no date yet"),
    PASSED: N_("Passed"),
}


def when(deadline: Deadline, now: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """'27 May 2025, a year and a half ago', 'since 16 December 2025, 11 months ago', ''."""
    if deadline.at is not None:
        day = date_words(deadline.at, language, deadline.timezone)
        return f"{day}, {relative_words(deadline.at, now, language)}"
    if deadline.since is not None:
        _ = words(language)
        since = relative_words(as_moment(deadline.since), now, language)
        return _("since {date}, {relative}").format(
            date=day_words(deadline.since, language), relative=since
        )
    return ""


def state(deadline: Deadline, now: datetime) -> str:
    """Which section of /deadline an entry belongs in at `now`."""
    if deadline.kind == "standing":
        return STANDING
    if deadline.kind == "watch" or deadline.at is None:
        return WATCHED
    return AHEAD if deadline.at > now else PASSED


def status_sentence(deadline: Deadline, now: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """The date, how far it is, and the entry's own words for that moment."""
    deadline = deadline.for_language(language)
    if deadline.at is None:
        lead = when(deadline, now, language)
        return f"{lead[0].upper()}{lead[1:]}. {deadline.summary}" if lead else deadline.summary
    text = deadline.before if deadline.at > now else deadline.after
    return f"{when(deadline, now, language)}. {text}"


def fill_placeholders(
    text: str, kb: KnowledgeBase, now: datetime, language: str = DEFAULT_LANGUAGE
) -> str:
    """Replace {{deadline:ID[:format]}} with words computed from the data and `now`."""

    def replace(match: re.Match[str]) -> str:
        deadline = kb.deadlines.get(match.group(1))
        moment = None
        if deadline is not None:
            moment = deadline.at or (as_moment(deadline.since) if deadline.since else None)
        if deadline is None or moment is None:  # `check` reports this; never show raw braces
            _ = words(language)
            return _("(date not available)")
        fmt = match.group(2)
        day = (
            date_words(deadline.at, language, deadline.timezone)
            if deadline.at
            else day_words(moment.date(), language)
        )
        if fmt == "date":
            return day
        if fmt == "relative":
            return relative_words(moment, now, language)
        if fmt == "status":
            return status_sentence(deadline, now, language)
        return f"{day}, {relative_words(moment, now, language)}"

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


def _entry(
    deadline: Deadline, section: str, now: datetime, show_regions: bool, language: str
) -> str:
    _ = words(language)
    deadline = deadline.for_language(language)
    lines = [f"<b>{deadline.title}</b>"]
    if section == AHEAD and deadline.at is not None:
        moment = datetime_words(deadline.at, language, deadline.timezone or "UTC")
        distance = relative_words(deadline.at, now, language)
        if deadline.kind == "deadline":
            line = _("⏳ Last day: {moment}, {distance}.")
        else:
            line = _("📅 Applies from {moment}, {distance}.")
        lines.append(line.format(moment=moment, distance=distance))
        lines.append(deadline.before)
    elif section == PASSED:
        if deadline.kind == "effective":
            line = _("✔️ In force since {when}.")
        else:
            line = _("✔️ Passed on {when}.")
        lines.append(line.format(when=when(deadline, now, language)))
        lines.append(deadline.after)
    elif section == STANDING:
        lines.append(_("🔁 In place {when}.").format(when=when(deadline, now, language)))
        lines.append(deadline.summary)
    else:
        lines.append(_("👀 No date announced yet. {summary}").format(summary=deadline.summary))
    if show_regions:
        regions = ", ".join(_(REGION_NAMES[r]) for r in deadline.regions)
        lines.append(_("Applies to: {regions}.").format(regions=regions))
    return "\n".join(lines)


def render_deadlines(
    kb: KnowledgeBase, region: str | None, now: datetime, language: str = DEFAULT_LANGUAGE
) -> str:
    """/deadline: for the chat's region (or every region), by section."""
    _ = words(language)
    where = _(REGION_NAMES[region]) if region in REGION_NAMES else ""
    if where:
        header = _("<b>Dates and settings: {region}</b>").format(region=where)
    else:
        header = _("<b>Dates and settings</b>")
    found = sections(kb, region, now)
    if not any(found.values()):
        if where:
            empty = _(
                "Nothing is listed for this region: no deadline, no date from which something "
                "applies, no setting to watch."
            )
        else:
            empty = _(
                "Nothing is listed for any region: no deadline, no date from which something "
                "applies, no setting to watch."
            )
        return f"{header}\n\n{empty}"
    blocks = [header]
    shown = [d for entries in found.values() for d in entries]
    if not all(d.has_text(language) for d in shown) and (note := fallback_note(language)):
        blocks.append(note)
    if not found[AHEAD]:
        blocks.append(_("No deadline is coming up right now."))
    for section, entries in found.items():
        if entries:
            body = "\n\n".join(_entry(d, section, now, region is None, language) for d in entries)
            blocks.append(f"<u>{_(SECTION_TITLES[section])}</u>\n{body}")
    return "\n\n".join(blocks)
