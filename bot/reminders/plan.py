"""Reminder planning: pure functions, no I/O, no clock of their own.

A *round* is one (deadline x lead time) pair: at `deadline.at - lead` every subscriber with that
lead time, whose region the deadline applies to, gets one message. Rounds are recomputed from
`faq/deadlines.yaml` and the lead times in use whenever either changes; their job ids are
stable so re-scheduling replaces jobs instead of duplicating them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.knowledge.model import Deadline
from bot.store.repository import MAX_LEAD_TIMES

__all__ = [
    "DEFAULT_LEAD_TIMES",
    "MAX_LEAD_SECONDS",
    "MAX_LEAD_TIMES",
    "MIN_LEAD_SECONDS",
    "Round",
    "format_lead",
    "format_lead_compact",
    "job_id",
    "parse_lead_times",
    "reminder_rounds",
    "round_start",
]

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY

DEFAULT_LEAD_TIMES: tuple[int, ...] = (3 * DAY, DAY, 2 * HOUR)
MIN_LEAD_SECONDS = MINUTE
MAX_LEAD_SECONDS = 365 * DAY

_UNITS = {"w": WEEK, "d": DAY, "h": HOUR, "m": MINUTE}
_PART = re.compile(r"([0-9]+)([wdhm])", re.IGNORECASE | re.ASCII)
_TOKEN = re.compile(r"(?:[0-9]+[wdhm])+", re.IGNORECASE | re.ASCII)
_SEPARATORS = re.compile(r"[\s,;]+")
_HOW = (
    "use a number and a unit: m (minutes), h (hours), d (days) or w (weeks), for example 3d 1d 2h"
)


def job_id(deadline_id: str, lead_seconds: int) -> str:
    """The JobQueue id of a round: stable across restarts, so `replace_existing` works."""
    return f"remind:{deadline_id}:{lead_seconds}"


@dataclass(frozen=True, slots=True)
class Round:
    deadline: Deadline
    lead_seconds: int
    due_at: datetime  # deadline.at - lead: when the last message should have gone out

    @property
    def job_id(self) -> str:
        return job_id(self.deadline.id, self.lead_seconds)

    def is_late(self, now: datetime) -> bool:
        """The nominal time has passed (the bot was down): the message should say so."""
        return now > self.due_at


def reminder_rounds(
    deadlines: Iterable[Deadline] | Mapping[str, Deadline],
    lead_times_in_use: Iterable[int],
    now: datetime,
) -> list[Round]:
    """Every round still worth running, soonest first.

    A round is kept while its deadline is ahead, even if its own time has passed: that is a
    round missed while the bot was down, and it runs at start-up (late) rather than never.
    Rounds whose deadline has passed are dropped: nothing is sent after a deadline.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    items = deadlines.values() if isinstance(deadlines, Mapping) else deadlines
    leads = sorted({int(lead) for lead in lead_times_in_use if lead > 0}, reverse=True)
    rounds = [
        Round(deadline, lead, deadline.at - timedelta(seconds=lead))
        for deadline in items
        if deadline.is_task and deadline.at > now
        for lead in leads
    ]
    rounds.sort(key=lambda r: (r.due_at, r.deadline.id, -r.lead_seconds))
    return rounds


def round_start(
    due_at: datetime,
    n_subscribers: int,
    rate: float,
    *,
    margin: float = 0.1,
    min_margin: float = 10.0,
) -> datetime:
    """When to start a round so its last message goes out by `due_at`.

    Sending N messages at R per second takes N/R seconds (a million at 30/s is over nine
    hours), so start that much earlier, plus `margin` of it (retries, 429 pauses) plus
    `min_margin` seconds. `rate` is the rate the round will really get from the limiter.
    """
    if rate <= 0 or not math.isfinite(rate):
        raise ValueError(f"rate must be a positive number of messages per second, got {rate!r}")
    if n_subscribers < 0:
        raise ValueError(f"n_subscribers must not be negative, got {n_subscribers!r}")
    duration = n_subscribers / rate
    return due_at - timedelta(seconds=duration * (1 + margin) + min_margin)


def _shown(token: str) -> str:
    return token if len(token) <= 20 else token[:19] + "…"


def _token_seconds(token: str) -> int:
    """Seconds of one token such as `3d` or `1d12h`, or a ValueError saying what is wrong."""
    shown = _shown(token)
    if token.startswith(("-", "−")) and _TOKEN.fullmatch(token[1:]):
        raise ValueError(
            f"'{shown}' is negative: lead times count back from the deadline, so write {token[1:]}"
        )
    if token.isascii() and token.isdigit():
        raise ValueError(f"'{shown}' has no unit: {_HOW}")
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"'{shown}' is not a lead time: {_HOW}")
    total = 0
    for number, unit in _PART.findall(token):
        if len(number) > 9:
            raise ValueError(f"'{shown}' is more than 365 days before the deadline")
        total += int(number) * _UNITS[unit.lower()]
    if total == 0:
        raise ValueError(
            f"'{shown}' is zero: a reminder must come at least 1 minute before the deadline"
        )
    if total > MAX_LEAD_SECONDS:
        raise ValueError(f"'{shown}' is more than 365 days before the deadline")
    return total


def parse_lead_times(text: str) -> tuple[int, ...]:
    """`"3d 1d 2h"` -> `(259200, 86400, 7200)`: lead times in seconds, largest first.

    Accepts m/h/d/w (any case), combinations such as `1d12h`, and spaces, commas or
    semicolons between. Every error is a ValueError whose message can be shown to the user.
    """
    tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
    if not tokens:
        raise ValueError(f"Give at least one lead time: {_HOW}")
    if len(tokens) > MAX_LEAD_TIMES:
        raise ValueError(f"At most {MAX_LEAD_TIMES} lead times, got {len(tokens)}")
    seen: dict[int, str] = {}
    for token in tokens:
        seconds = _token_seconds(token)
        if seconds in seen:
            first = seen[seconds]
            same = (
                "is repeated"
                if first.lower() == token.lower()
                else f"is the same as '{_shown(first)}'"
            )
            raise ValueError(f"'{_shown(token)}' {same}: give each lead time once")
        seen[seconds] = token
    return tuple(sorted(seen, reverse=True))


def format_lead(seconds: int) -> str:
    """`259200` -> `"3 days"`, `129600` -> `"1 day 12 hours"`, `5400` -> `"1 hour 30 minutes"`."""
    if seconds <= 0:
        raise ValueError(f"a lead time is positive, got {seconds!r}")
    parts: list[str] = []
    rest = int(seconds)
    for size, name in ((DAY, "day"), (HOUR, "hour"), (MINUTE, "minute"), (1, "second")):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts)


def format_lead_compact(seconds: int) -> str:
    """`129600` -> `"1d12h"`: the form `parse_lead_times` reads back (whole minutes only)."""
    if seconds <= 0 or seconds % MINUTE:
        raise ValueError(f"a lead time is a positive whole number of minutes, got {seconds!r} s")
    out: list[str] = []
    rest = seconds
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        count, rest = divmod(rest, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
