"""An iCalendar (.ics) file of the dated events for a region, and the recurring re-check.

Built with the `icalendar` library, not by hand: escaping, line folding and the VTIMEZONE
blocks are its job. Events keep the entry's own time zone (`DTSTART;TZID=Europe/Brussels`
plus its VTIMEZONE), so a calendar shows the moment right wherever it is opened, and the
recurring re-check keeps the chat's local time across daylight-saving changes.

Dated events are deadlines of kind `deadline` and `effective` (entries of other kinds, or
without `at`, have no date to put in a calendar); a model without `kind` counts as
`deadline`. UIDs are stable (`<deadline id>@optout-bot`), so importing a newer file updates
the events instead of adding copies. `DTSTAMP` is the injected `now`. Titles, descriptions,
categories and the calendar's name are in `language` (the entries' own translations and the
gettext catalogues); the UIDs do not depend on it, so a file in another language updates the
same events.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from bot.checkup.regions import region_applies
from bot.checkup.texts import region_label
from bot.i18n.catalog import N_, translator
from bot.knowledge.model import DEFAULT_LANGUAGE, Deadline, KnowledgeBase

__all__ = ["DATED_KINDS", "PRODID", "Recheck", "build_calendar", "dated_deadlines"]

PRODID = "-//optout-bot//AI-training opt-out calendar//EN"
DATED_KINDS = ("deadline", "effective")
UID_DOMAIN = "optout-bot"
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class Recheck:
    """The recurring re-check event: from `start` (aware), every `period_days` days."""

    start: datetime
    period_days: int
    timezone: str
    apps: tuple[str, ...] = ()  # app names, for the description


def _plain(text: str) -> str:
    """Telegram HTML to plain text for a calendar description."""
    return html.unescape(_TAG.sub("", text)).strip()


def dated_deadlines(
    kb: KnowledgeBase, region: str | None, platforms: Iterable[str] | None = None
) -> list[Deadline]:
    """Dated deadlines for a region, soonest first; with `platforms`, only those naming one
    of them or none at all (a date for everyone)."""
    apps = None if platforms is None else set(platforms)
    found = []
    for deadline in kb.deadlines.values():
        at = getattr(deadline, "at", None)
        if at is None or getattr(deadline, "kind", "deadline") not in DATED_KINDS:
            continue
        if not region_applies(deadline.regions, region):
            continue
        if apps is not None and deadline.platforms and not apps & set(deadline.platforms):
            continue
        found.append(deadline)
    return sorted(found, key=lambda d: (d.at, d.id))


_CATEGORIES = {"deadline": N_("Deadline"), "effective": N_("Effective date")}


def _deadline_event(deadline: Deadline, now: datetime, language: str) -> icalendar.Event:
    _ = translator(language).gettext
    deadline = deadline.for_language(language)
    event = icalendar.Event()
    event.add("uid", f"{deadline.id}@{UID_DOMAIN}")
    event.add("dtstamp", now)
    event.add("dtstart", deadline.at.astimezone(ZoneInfo(deadline.timezone)))
    event.add("summary", deadline.title)
    text = deadline.before if deadline.at > now else deadline.after
    description = [_plain(text)]
    if deadline.sources:
        source = deadline.sources[0]
        event.add("url", source.url)
        description.append(_("Source: {title} {url}").format(title=source.title, url=source.url))
    event.add("description", "\n\n".join(description))
    kind = getattr(deadline, "kind", "deadline")
    event.add("categories", [_(_CATEGORIES["deadline" if kind == "deadline" else "effective"])])
    event.add("transp", "TRANSPARENT")  # information, not a busy slot
    return event


def _recheck_event(recheck: Recheck, now: datetime, language: str) -> icalendar.Event:
    _ = translator(language).gettext
    if recheck.start.tzinfo is None:
        raise ValueError("the re-check start must be timezone-aware")
    event = icalendar.Event()
    event.add("uid", f"recheck@{UID_DOMAIN}")
    event.add("dtstamp", now)
    event.add("dtstart", recheck.start.astimezone(ZoneInfo(recheck.timezone)))
    event.add("rrule", {"freq": "daily", "interval": recheck.period_days})
    event.add("summary", _("Re-check your AI-training settings"))
    lines = [_("Platforms change their settings without warning: check that yours are still off.")]
    if recheck.apps:
        lines.append(_("Your apps: {apps}.").format(apps=", ".join(recheck.apps)))
    lines.append(_("The bot's /checkup shows what to do for each."))
    event.add("description", "\n".join(lines))
    event.add("transp", "TRANSPARENT")
    return event


def build_calendar(
    kb: KnowledgeBase,
    *,
    region: str | None,
    now: datetime,
    platforms: Iterable[str] | None = None,
    recheck: Recheck | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> bytes:
    """The .ics file: dated deadlines for the region (and apps), plus the re-check if on."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    _ = translator(language).gettext
    name = _("AI-training opt-out")
    if region is not None:
        name = _("AI-training opt-out ({region})").format(region=region_label(region, language))
    cal.add("x-wr-calname", name)
    for deadline in dated_deadlines(kb, region, platforms):
        cal.add_component(_deadline_event(deadline, now, language))
    if recheck is not None:
        cal.add_component(_recheck_event(recheck, now, language))
    cal.add_missing_timezones()
    return cal.to_ical()
