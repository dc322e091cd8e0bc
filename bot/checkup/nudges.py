"""Re-check nudges: when the next one is due, and what it says. Pure: the caller gives `now`.

Most AI-training choices are standing settings that platforms change without warning, so a
chat can ask to be nudged every N days (30-365, default 90) to re-check its apps. A nudge is
never due inside the quiet window (default 21:00-09:00) in the chat's time zone: a time that
falls inside is moved to the window's end, the next morning. It lists the apps the chat uses
that are still open (not done, not "not for me"), the ones with something to switch off or
object to first; when nothing is open there is no nudge at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.checkup.checklist import Action, ChecklistItem, checklist_items
from bot.knowledge.model import KnowledgeBase
from bot.store.schema import MAX_NUDGE_DAYS, MIN_NUDGE_DAYS

__all__ = [
    "DEFAULT_PERIOD_DAYS",
    "DEFAULT_QUIET",
    "NudgePlan",
    "PeriodError",
    "QuietWindow",
    "next_nudge_at",
    "parse_period",
    "plan_nudge",
]

DEFAULT_PERIOD_DAYS = 90
_PERIOD = re.compile(r"^\s*(?:every\s+)?([0-9]{1,4})\s*(d|days?|w|weeks?)?\s*$", re.IGNORECASE)
_CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


class PeriodError(ValueError):
    """A period `/remind every` cannot use. The message is English (logs, the CLI);
    `bot.checkup.texts.period_error` words it for the reader from the fields."""

    def __init__(self, text: str, days: int | None) -> None:
        self.text = text  # what was typed, shortened
        self.days = days  # the period read, when it is only out of range
        self.low, self.high = MIN_NUDGE_DAYS, MAX_NUDGE_DAYS
        how = (
            f"give a number of days or weeks between {self.low} and {self.high} days, "
            "for example 90d or 12w"
        )
        if days is None:
            super().__init__(f"'{text}' is not a period: {how}")
        else:
            super().__init__(f"{days} days is out of range: {how}")


def parse_period(text: str) -> int:
    """`"90d"`, `"every 12w"`, `"45"` -> days. Errors are PeriodErrors to show to the user."""
    match = _PERIOD.match(text or "")
    if match is None:
        raise PeriodError((text or "").strip()[:20], None)
    number, unit = int(match.group(1)), (match.group(2) or "d").lower()
    days = number * 7 if unit.startswith("w") else number
    if not MIN_NUDGE_DAYS <= days <= MAX_NUDGE_DAYS:
        raise PeriodError((text or "").strip()[:20], days)
    return days


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """Local hours in which nothing is sent, from `start` to `end` (may wrap past midnight).

    `start == end` means no quiet hours at all.
    """

    start: time = time(21, 0)
    end: time = time(9, 0)

    @classmethod
    def parse(cls, text: str) -> QuietWindow:
        """`"21:00-09:00"` (as in `NUDGE_QUIET_HOURS`); `"off"` or `""` for none."""
        value = (text or "").strip().lower()
        if value in ("", "off", "none"):
            return cls(time(0, 0), time(0, 0))
        start, sep, end = value.partition("-")
        bounds = [_CLOCK.match(part.strip()) for part in (start, end)]
        if not sep or not all(bounds):
            raise ValueError(
                f"quiet hours must look like 21:00-09:00 (24-hour clock), or off; got {text!r}"
            )
        first, last = (time(int(m.group(1)), int(m.group(2))) for m in bounds if m)
        return cls(first, last)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        local = local.replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def allows(self, moment: datetime, timezone: str) -> bool:
        """Whether a message may go out at `moment` to a chat in `timezone`."""
        return not self.contains(moment.astimezone(_zone(timezone)).time())

    def next_allowed(self, moment: datetime, timezone: str) -> datetime:
        """`moment` if it is outside the window, else the window's end, local time."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        zone = _zone(timezone)
        local = moment.astimezone(zone)
        if not self.contains(local.time()):
            return moment
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)  # late evening: the window ends tomorrow morning
        # An end inside a DST gap (no such local time) resolves to a real instant here.
        return datetime.combine(day, self.end, tzinfo=zone).astimezone(moment.tzinfo)


DEFAULT_QUIET = QuietWindow()


def next_nudge_at(
    period_days: int,
    *,
    since: datetime,
    timezone: str,
    quiet: QuietWindow = DEFAULT_QUIET,
) -> datetime:
    """When the next nudge is due: `period_days` after `since`, moved out of the quiet window.

    `since` is when the last nudge went out (or its round closed), or when nudges were
    switched on if none has gone out yet.
    """
    if since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    if not MIN_NUDGE_DAYS <= period_days <= MAX_NUDGE_DAYS:
        raise ValueError(f"period must be {MIN_NUDGE_DAYS}-{MAX_NUDGE_DAYS} days")
    return quiet.next_allowed(since + timedelta(days=period_days), timezone)


@dataclass(frozen=True, slots=True)
class NudgePlan:
    """What one nudge lists: the open items, those with something to switch first."""

    items: tuple[ChecklistItem, ...]
    total: int  # apps in the checklist (for "2 of 3 still open")


def plan_nudge(
    kb: KnowledgeBase,
    platforms_used: Iterable[str],
    checklist: Mapping[str, str],
    region: str | None,
) -> NudgePlan | None:
    """The nudge for a chat, or None when every app it uses is done or "not for me"."""
    items = checklist_items(kb, platforms_used, checklist, region)
    open_items = [item for item in items if item.is_open]
    if not open_items:
        return None
    # Stable sort: apps with a switch or a form first, "nothing to switch" after; each group
    # keeps the checklist order (Meta's apps first).
    open_items.sort(key=lambda item: item.action == Action.NOTHING_TO_SWITCH)
    return NudgePlan(tuple(open_items), len(items))
