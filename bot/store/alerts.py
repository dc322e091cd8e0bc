"""Alerts when an entry changes: the `changed:` snapshot, alert rounds, and who gets each.

Alerts are delivered with the reminders' claims (deliveries.py) under round keys
(rounds.py): one alert per chat per change. The snapshot of `changed:` dates and the rounds
it calls for are written in one transaction, so a crash can neither lose an alert nor plan it
twice; a round stays open until the delivery loop finishes it, also across restarts. The
rules for who gets an alert are in `bot.checkup.alerts.Audience`; `_audience` is the same
rule in SQL (a test checks they agree).

`AlertQueries` is one part of `Store` (see repository.py); every method is one short
transaction on the store's `Database`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Select, delete, exists, false, func, or_, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from bot.store.chats import check_short
from bot.store.db import Database
from bot.store.deliveries import blocking_delivery
from bot.store.rounds import (
    NO_UPPER,
    ROUND_LEAD,
    DueChat,
    id_range,
    require_aware,
    windowed_page,
)
from bot.store.schema import (
    NOT_FOR_ME,
    alert_rounds,
    chat_platforms,
    chats,
    checklist,
    deliveries,
    kb_entries,
    nudges,
    subscriptions,
)

__all__ = ["ALERT_KINDS", "AlertQueries", "AlertRound", "NewAlertRound"]

ALERT_KINDS = ("platform", "deadline")


class NewAlertRound(Protocol):
    """A planned change (bot.checkup.alerts.Change has these attributes)."""

    @property
    def round_key(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def entry_id(self) -> str: ...
    @property
    def changed(self) -> date | None: ...
    @property
    def is_new(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class AlertRound:
    round_key: str
    kind: str
    entry_id: str
    changed: date | None
    is_new: bool
    created_at: datetime
    finished_at: datetime | None = None
    outcome: str | None = None  # "done", "superseded" (a newer change came) or "dropped"


def _audience(
    platforms: Sequence[str] | None,
    regions: Sequence[str] | None,
    lower: int | None = None,
    upper: int = NO_UPPER,
) -> list[ColumnElement[bool]]:
    """`bot.checkup.alerts.Audience` in SQL: `None` means "any" (an unset region applies).

    Subscribed: an active countdown subscription or an active nudge. Uses: one of the apps,
    not marked "not for me". The chat id window is repeated inside every subquery: PostgreSQL
    runs an `EXISTS` under `OR` as a hashed subplan over the whole table unless it is told
    the range (measured: six times slower per page with 100,000 chats).
    """
    chat_id = chats.c.chat_id
    conditions = [
        or_(
            exists().where(
                subscriptions.c.chat_id == chat_id,
                *id_range(subscriptions.c.chat_id, lower, upper),
                subscriptions.c.active,
            ),
            exists().where(
                nudges.c.chat_id == chat_id,
                *id_range(nudges.c.chat_id, lower, upper),
                nudges.c.active,
            ),
        )
    ]
    if regions is not None:
        conditions.append(or_(chats.c.region.is_(None), chats.c.region.in_(list(regions))))
    if platforms is not None and not platforms:
        conditions.append(false())
    elif platforms is not None:
        conditions.append(
            exists().where(
                chat_platforms.c.chat_id == chat_id,
                *id_range(chat_platforms.c.chat_id, lower, upper),
                chat_platforms.c.platform.in_(list(platforms)),
                ~exists().where(
                    checklist.c.chat_id == chat_platforms.c.chat_id,
                    checklist.c.platform == chat_platforms.c.platform,
                    checklist.c.state == NOT_FOR_ME,
                ),
            )
        )
    return conditions


class AlertQueries:
    """The `changed:` snapshot, alert rounds and their audiences."""

    _db: Database

    async def kb_snapshot(self) -> dict[tuple[str, str], date | None]:
        """The `changed:` date last seen for each (kind, entry id)."""
        async with self._db.read() as conn:
            rows = await conn.execute(select(kb_entries))
            return {(row.kind, row.entry_id): row.changed for row in rows}

    async def save_kb_changes(
        self,
        snapshot: Mapping[tuple[str, str], date | None],
        changes: Sequence[NewAlertRound],
        now: datetime,
    ) -> list[str]:
        """Store the new snapshot and the alert rounds it calls for, in one transaction.

        Either both are written or neither, so a crash can neither lose an alert (snapshot
        moved on, round not stored) nor plan it twice. An open round for an entry that
        changed again is closed as `superseded`: its chats get the newer alert instead.
        Returns the round keys stored (a key already stored is not stored again).
        """
        require_aware("now", now)
        for kind, entry_id in [*snapshot, *((c.kind, c.entry_id) for c in changes)]:
            if kind not in ALERT_KINDS:
                raise ValueError(f"entry kind must be one of {ALERT_KINDS}, got {kind!r}")
            check_short("entry id", entry_id, 64)
        stored: list[str] = []
        async with self._db.write() as conn:
            await conn.execute(delete(kb_entries))
            if snapshot:
                await conn.execute(
                    kb_entries.insert(),
                    [
                        {"kind": kind, "entry_id": entry_id, "changed": changed}
                        for (kind, entry_id), changed in sorted(snapshot.items())
                    ],
                )
            for change in changes:
                await conn.execute(
                    update(alert_rounds)
                    .where(
                        alert_rounds.c.kind == change.kind,
                        alert_rounds.c.entry_id == change.entry_id,
                        alert_rounds.c.finished_at.is_(None),
                        alert_rounds.c.round_key != change.round_key,
                    )
                    .values(finished_at=now, outcome="superseded")
                )
                result = await conn.execute(
                    self._db.insert(alert_rounds)
                    .values(
                        round_key=change.round_key,
                        kind=change.kind,
                        entry_id=change.entry_id,
                        changed=change.changed,
                        is_new=change.is_new,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=[alert_rounds.c.round_key])
                )
                if result.rowcount:
                    stored.append(change.round_key)
        return stored

    async def alert_rounds(self, *, open_only: bool = True) -> list[AlertRound]:
        """Alert rounds, oldest first; by default only those still to send."""
        stmt = select(alert_rounds).order_by(alert_rounds.c.created_at, alert_rounds.c.round_key)
        if open_only:
            stmt = stmt.where(alert_rounds.c.finished_at.is_(None))
        async with self._db.read() as conn:
            return [
                AlertRound(
                    r.round_key,
                    r.kind,
                    r.entry_id,
                    r.changed,
                    bool(r.is_new),
                    r.created_at,
                    r.finished_at,
                    r.outcome,
                )
                for r in await conn.execute(stmt)
            ]

    async def finish_alert_round(
        self, round_key: str, now: datetime, outcome: str = "done"
    ) -> bool:
        """Close a round once every chat in its audience was handled (or the entry is gone)."""
        if outcome not in ("done", "superseded", "dropped"):
            raise ValueError(f"unknown alert round outcome {outcome!r}")
        async with self._db.write() as conn:
            result = await conn.execute(
                update(alert_rounds)
                .where(alert_rounds.c.round_key == round_key, alert_rounds.c.finished_at.is_(None))
                .values(finished_at=require_aware("now", now), outcome=outcome)
            )
        return result.rowcount == 1

    async def due_alert_chats(
        self,
        round_key: str,
        *,
        platforms: Sequence[str] | None,
        regions: Sequence[str] | None,
        after_chat_id: int | None = None,
        limit: int = 500,
        stale_before: datetime | None = None,
        max_claims: int = 2,
    ) -> list[DueChat]:
        """The next page of chats that should get this alert and have not had it.

        The audience is `bot.checkup.alerts.Audience`: subscribed chats (reminders or nudges
        on) in `regions` (None: any; an unset region applies) that use one of `platforms`
        and have not marked it "not for me" (None: every such chat). Keyset pages in windows
        of chat ids (`windowed_page`), as `due_chats`.
        """

        def page(lower: int | None, upper: int, wanted: int) -> Select[Any]:
            return (
                select(chats.c.chat_id, chats.c.timezone)
                .where(
                    *id_range(chats.c.chat_id, lower, upper),
                    *_audience(platforms, regions, lower, upper),
                    ~blocking_delivery(
                        round_key,
                        ROUND_LEAD,
                        lower,
                        upper,
                        stale_before,
                        max_claims,
                        chat_id=chats.c.chat_id,
                    ),
                )
                .order_by(chats.c.chat_id)
                .limit(wanted)
            )

        async with self._db.read() as conn:
            rows = await windowed_page(
                conn, select(chats.c.chat_id), chats.c.chat_id, page, after_chat_id, limit
            )
        return [DueChat(row.chat_id, row.timezone) for row in rows]

    async def count_alert_audience(
        self,
        *,
        platforms: Sequence[str] | None,
        regions: Sequence[str] | None,
        round_key: str | None = None,
    ) -> int:
        """How many chats the audience holds; with `round_key`, only those not yet alerted.

        For `alerts --dry-run` and for starting a long round early enough.
        """
        conditions = _audience(platforms, regions)
        if round_key is not None:
            conditions.append(
                ~exists().where(
                    deliveries.c.chat_id == chats.c.chat_id,
                    deliveries.c.deadline_id == round_key,
                    deliveries.c.lead_seconds == ROUND_LEAD,
                )
            )
        stmt = select(func.count()).select_from(chats).where(true(), *conditions)
        async with self._db.read() as conn:
            return int((await conn.execute(stmt)).scalar_one())
