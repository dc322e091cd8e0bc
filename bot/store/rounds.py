"""Round keys and keyset pages: how delivery rounds name what they send and find who is due.

A delivery row is keyed by (chat, "deadline id", lead time). A reminder round uses the
deadline's id and a lead time; a nudge or an alert uses a round key below and lead time 0.
Deadline ids are slugs without a colon, so the keys never meet a reminder round's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, Select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

__all__ = [
    "NO_UPPER",
    "ROUND_LEAD",
    "DueChat",
    "alert_round_key",
    "id_range",
    "nudge_round_key",
    "require_aware",
    "windowed_page",
]

NO_UPPER = 2**63 - 1  # chat ids are 64-bit: "no upper bound" for `id_range`


class DueChat(NamedTuple):
    """A chat a nudge or alert round may claim, with its time zone for the quiet window."""

    chat_id: int
    timezone: str | None


def require_aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


ROUND_LEAD = 0  # the lead time of nudge and alert deliveries: they count down to nothing


def nudge_round_key(due_at: datetime) -> str:
    """`nudge:2027-02-27`: the key of the nudge due at `due_at` (its UTC day).

    Periods are at least 30 days, so one chat's nudges never share a key; chats due the same
    day share one, so they are claimed together.
    """
    return f"nudge:{require_aware('due_at', due_at).astimezone(UTC).date().isoformat()}"


def alert_round_key(kind: str, entry_id: str, changed: date | None) -> str:
    """`alert:platform:instagram:2026-12-01`: one alert per chat per change of an entry.

    An entry that is new without a `changed:` date gets `...:new`.
    """
    if kind not in ("platform", "deadline") or not entry_id or ":" in entry_id:
        raise ValueError(f"not an alert round: {kind!r} {entry_id!r}")
    return f"alert:{kind}:{entry_id}:{changed.isoformat() if changed else 'new'}"


def id_range(column: Any, lower: int | None, upper: int) -> list[ColumnElement[bool]]:
    """`lower < column <= upper` (no lower bound when `lower` is None): one keyset window."""
    conditions: list[ColumnElement[bool]] = [column <= upper]
    if lower is not None:
        conditions.append(column > lower)
    return conditions


async def windowed_page(
    conn: AsyncConnection,
    candidates: Select[Any],
    id_column: Any,
    page: Callable[[int | None, int, int], Select[Any]],
    after: int | None,
    limit: int,
) -> list[Row[Any]]:
    """The next `limit` rows after chat id `after`, found a window of candidate ids at a time.

    `candidates` selects chat ids (`id_column`) of everyone who might qualify; `page(lower,
    upper, wanted)` selects the rows that do among ids in (lower, upper], by ascending id.
    Taking the window from an index first and filtering only that window keeps each page
    O(window) whatever plan the database picks: without fresh statistics, PostgreSQL can
    otherwise pick plans that rescan all remaining rows per page. Fewer than `limit` rows
    means the end.
    """
    if limit < 1:
        return []
    window = max(2 * limit, 64)
    found: list[Row[Any]] = []
    lower = after
    while len(found) < limit:
        stmt = candidates.order_by(id_column).limit(window)
        if lower is not None:
            stmt = stmt.where(id_column > lower)
        ids = (await conn.execute(stmt)).scalars().all()
        if not ids:
            break
        upper = ids[-1]
        wanted = limit - len(found)
        batch = (await conn.execute(page(lower, upper, wanted))).all()
        found.extend(batch)
        if len(ids) < window or len(batch) == wanted:
            break
        lower = upper
    return found
