"""Reminder deliveries: who is due, claims and their takeover, leases, and results.

A delivery row is the right to send one reminder (deadline x lead time) to one chat. It is
taken by `INSERT ... ON CONFLICT DO NOTHING` on its primary key, so of any number of
processes exactly one wins; a claim its holder abandoned (crash) can be taken over once its
lease has run out, again by a conditional statement only one caller can win.

Nudges and alerts use the same rows, claims and leases: their "deadline id" is a round key
and their lead time is 0 (rounds.py).

`DeliveryQueries` is one part of `Store` (see repository.py); every method is one short
transaction on the store's `Database`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    not_,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot.store.chats import check_short
from bot.store.db import Database
from bot.store.rounds import id_range, windowed_page
from bot.store.schema import CLAIMED, Outcome, chats, deliveries, subscription_leads, subscriptions

__all__ = ["DeliveryQueries", "DeliveryResult", "OpenClaim", "blocking_delivery"]

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

DeliveryKey = tuple[int, str, int]  # chat_id, deadline_id, lead_seconds


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How one claimed delivery ended, as the delivery loop reports it."""

    chat_id: int
    deadline_id: str
    lead_seconds: int
    outcome: Outcome
    attempts: int = 1
    error: str | None = None  # an error class name, never message text


@dataclass(frozen=True, slots=True)
class OpenClaim:
    chat_id: int
    claimed_at: datetime
    claimed_by: str | None
    claims: int


def _utcnow() -> datetime:
    return datetime.now(UTC)


# `status = 'claimed'` for statements that find their rows by primary key. Written through
# COALESCE (status is never NULL) so that neither database can use the partial open-claims
# index for them: that index holds every claim of the round taken so far, and PostgreSQL
# picks it whenever its statistics say few claims are open, then reads all of those claims
# (and their dead versions) for each statement. Queries over a whole round's open claims
# (`open_claims`, `close_abandoned_claims`) keep the plain test, so that they can use the index.
_STILL_CLAIMED = func.coalesce(deliveries.c.status, "") == CLAIMED

# Statements the delivery loop runs for every chunk, built once. Their parameters are bound
# at execution ("ids" expands to an IN list), so SQLAlchemy neither rebuilds nor recompiles
# them per call: at 1,000 messages a second, building a statement costs more CPU than the
# database work it does.
_IDS = bindparam("ids", expanding=True)


def _record_statement(*, check_owner: bool) -> Any:
    conditions = [
        deliveries.c.chat_id.in_(_IDS),
        deliveries.c.deadline_id == bindparam("r_deadline"),
        deliveries.c.lead_seconds == bindparam("r_lead"),
        _STILL_CLAIMED,
    ]
    if check_owner:
        conditions.append(deliveries.c.claimed_by == bindparam("r_holder"))
    return (
        update(deliveries)
        .where(*conditions)
        .values(
            status=bindparam("r_status"),
            attempts=bindparam("r_attempts"),
            error=bindparam("r_error"),
            finished_at=bindparam("r_finished", type_=deliveries.c.finished_at.type),
        )
        .returning(deliveries.c.chat_id)
    )


_RECORD_OWNED = _record_statement(check_owner=True)
_RECORD_ANY = _record_statement(check_owner=False)


def _delivery_key(chat_id: int, deadline_id: str, lead_seconds: int) -> list[ColumnElement[bool]]:
    return [
        deliveries.c.chat_id == chat_id,
        deliveries.c.deadline_id == deadline_id,
        deliveries.c.lead_seconds == lead_seconds,
    ]


def _takeover_ok(stale_before: datetime | None, max_claims: int) -> ColumnElement[bool] | None:
    """A claim nobody finished within the lease, and not yet claimed `max_claims` times."""
    if stale_before is None:
        return None
    return and_(
        _STILL_CLAIMED,
        deliveries.c.claimed_at < stale_before,
        deliveries.c.claims < max_claims,
    )


def _is_active_audience(
    regions: Sequence[str], lower: int | None, upper: int
) -> ColumnElement[bool]:
    return exists().where(
        subscriptions.c.chat_id == subscription_leads.c.chat_id,
        chats.c.chat_id == subscriptions.c.chat_id,
        *id_range(subscriptions.c.chat_id, lower, upper),
        *id_range(chats.c.chat_id, lower, upper),
        subscriptions.c.active,
        or_(chats.c.region.is_(None), chats.c.region.in_(list(regions))),
    )


def blocking_delivery(
    deadline_id: str | ColumnElement[str],
    lead_seconds: int,
    lower: int | None,
    upper: int,
    stale_before: datetime | None,
    max_claims: int,
    *,
    chat_id: Any = subscription_leads.c.chat_id,
) -> ColumnElement[bool]:
    """A delivery row that rules the chat out: any, except an abandoned claim.

    `chat_id` is the column of the outer query the row belongs to; `deadline_id` may be a
    column too (a nudge's current round key).
    """
    conditions = [
        deliveries.c.chat_id == chat_id,
        deliveries.c.deadline_id == deadline_id,
        deliveries.c.lead_seconds == lead_seconds,
        *id_range(deliveries.c.chat_id, lower, upper),
    ]
    takeover = _takeover_ok(stale_before, max_claims)
    if takeover is not None:
        conditions.append(not_(takeover))
    return exists().where(*conditions)


async def _explain_missed(conn: AsyncConnection, keys: Sequence[DeliveryKey], what: str) -> None:
    """Log why an update of our claims found no row to change.

    The row can be gone (`/forget` deleted the chat's data during the round, or the group
    moved to a new chat id), still claimed by someone else (taken over after our lease ran
    out), or already closed. Only runs when an update missed, so a normal round pays nothing.
    """
    rows = await conn.execute(
        select(
            deliveries.c.chat_id,
            deliveries.c.deadline_id,
            deliveries.c.lead_seconds,
            deliveries.c.status,
        ).where(
            deliveries.c.chat_id.in_(sorted({key[0] for key in keys})),
            deliveries.c.deadline_id.in_(sorted({key[1] for key in keys})),
            deliveries.c.lead_seconds.in_(sorted({key[2] for key in keys})),
        )
    )
    status = {(row.chat_id, row.deadline_id, row.lead_seconds): row.status for row in rows}
    for key in keys:
        found = status.get(key)
        if found is None:
            why = (
                "the chat's data was deleted during the round "
                "(/forget, or the group moved to a new chat id)"
            )
        elif found == CLAIMED:
            why = "the claim was taken over"
        else:
            why = f"the delivery was already closed as {found}"
        log.warning("delivery %s (lead %d s): %s, %s", key[1], key[2], what, why)


class DeliveryQueries:
    """Claims, leases and results of reminder deliveries."""

    _db: Database

    async def due_chats(
        self,
        deadline_id: str,
        lead_seconds: int,
        regions: Sequence[str],
        after_chat_id: int | None = None,
        limit: int = 500,
        *,
        stale_before: datetime | None = None,
        max_claims: int = 2,
    ) -> list[int]:
        """The next batch of chats that should get this reminder, by ascending chat id.

        Active subscribers with this lead time, whose region applies (unset counts as applying),
        with no delivery row for (deadline, lead) yet - or, if `stale_before` is given, whose
        claim was abandoned (see `claim_deliveries`). Keyset pagination: pass the last id of
        the previous batch as `after_chat_id`, so a million subscribers stream in batches
        without OFFSET scans or a long-lived cursor. Fewer than `limit` ids means the end.

        Windows of candidate ids come from the (lead_seconds, chat_id) index
        (`windowed_page`), with the id range repeated on every table.
        """
        leads = subscription_leads

        def page(lower: int | None, upper: int, wanted: int) -> Select[Any]:
            return (
                select(leads.c.chat_id)
                .where(
                    leads.c.lead_seconds == lead_seconds,
                    *id_range(leads.c.chat_id, lower, upper),
                    _is_active_audience(regions, lower, upper),
                    ~blocking_delivery(
                        deadline_id, lead_seconds, lower, upper, stale_before, max_claims
                    ),
                )
                .order_by(leads.c.chat_id)
                .limit(wanted)
            )

        candidates = select(leads.c.chat_id).where(leads.c.lead_seconds == lead_seconds)
        async with self._db.read() as conn:
            rows = await windowed_page(
                conn, candidates, leads.c.chat_id, page, after_chat_id, limit
            )
        return [row.chat_id for row in rows]

    async def analyze(self) -> None:
        """Refresh the planner's statistics (PostgreSQL; nothing to do on SQLite).

        Called at the start of a delivery round: after a bulk import or a day of sign-ups the
        statistics can be stale until autovacuum catches up, and the keyset scans want them.
        ANALYZE only samples the tables and does not block reads or writes.
        """
        if self._db.engine.dialect.name != "postgresql":
            return
        async with self._db.write() as conn:
            await conn.execute(
                text(
                    "ANALYZE chats, subscriptions, subscription_leads, deliveries,"
                    " nudges, chat_platforms"
                )
            )

    @cached_property
    def _claim_insert(self) -> Any:
        """One prepared INSERT for any number of rows, built once per store.

        SQLAlchemy's "insertmanyvalues" batches the rows into multi-row VALUES with
        RETURNING: nothing to build or compile per call, which at 1,000 claims a second is
        CPU that counts.
        """
        return (
            self._db.insert(deliveries)
            .on_conflict_do_nothing(
                index_elements=[
                    deliveries.c.chat_id,
                    deliveries.c.deadline_id,
                    deliveries.c.lead_seconds,
                ]
            )
            .returning(deliveries.c.chat_id)
        )

    async def claim_deliveries(
        self,
        chat_ids: Sequence[int],
        deadline_id: str,
        lead_seconds: int,
        *,
        owner: str = "",
        now: datetime | None = None,
        stale_before: datetime | None = None,
        max_claims: int = 2,
    ) -> list[int]:
        """Atomically take the right to send this reminder to these chats; the ids we won.

        `INSERT ... ON CONFLICT DO NOTHING` on the (chat, deadline, lead) primary key: of any
        number of concurrent callers, in any number of processes, exactly one wins each chat.
        If `stale_before` is given, an abandoned claim (status still `claimed`, claimed before
        `stale_before`, fewer than `max_claims` claims) is taken over by a conditional UPDATE,
        which again only one caller can win. A chat deleted meanwhile (`/forget`) is not won.
        Claiming a few chats per round trip is what lets a round keep up with 1,000 messages
        per second.
        """
        ids = sorted(set(chat_ids))
        if not ids:
            return []
        now = now or _utcnow()
        check_short("deadline_id", deadline_id, 128)
        holder = owner[:32] or None
        rows = [
            {
                "chat_id": chat_id,
                "deadline_id": deadline_id,
                "lead_seconds": lead_seconds,
                "status": CLAIMED,
                "claimed_at": now,
                "claims": 1,
                "attempts": 0,
                "claimed_by": holder,
            }
            for chat_id in ids
        ]
        try:
            async with self._db.write() as conn:
                won = set((await conn.execute(self._claim_insert, rows)).scalars())
                takeover = _takeover_ok(stale_before, max_claims)
                rest = [chat_id for chat_id in ids if chat_id not in won]
                if takeover is not None and rest:
                    won.update(
                        (
                            await conn.execute(
                                update(deliveries)
                                .where(
                                    deliveries.c.chat_id.in_(rest),
                                    deliveries.c.deadline_id == deadline_id,
                                    deliveries.c.lead_seconds == lead_seconds,
                                    takeover,
                                )
                                .values(
                                    claimed_at=now,
                                    claimed_by=holder,
                                    claims=deliveries.c.claims + 1,
                                )
                                .returning(deliveries.c.chat_id)
                            )
                        ).scalars()
                    )
        except IntegrityError:
            # Some chat row is gone (`/forget` meanwhile): claim one by one, skipping it.
            if len(ids) == 1:
                return []
            won = set()
            for chat_id in ids:
                won.update(
                    await self.claim_deliveries(
                        [chat_id],
                        deadline_id,
                        lead_seconds,
                        owner=owner,
                        now=now,
                        stale_before=stale_before,
                        max_claims=max_claims,
                    )
                )
        return sorted(won)

    async def release_claims(
        self, chat_ids: Sequence[int], deadline_id: str, lead_seconds: int, *, owner: str
    ) -> int:
        """Give back claims we hold but never started to send (stopping, or the deadline).

        A fresh claim is deleted; a claim we had taken over goes back to how we found it
        (abandoned, one claim fewer), so the next run can take it over at once.
        """
        if not chat_ids:
            return 0
        holder = owner[:32] or None
        ours = [
            deliveries.c.chat_id.in_(list(chat_ids)),
            deliveries.c.deadline_id == deadline_id,
            deliveries.c.lead_seconds == lead_seconds,
            _STILL_CLAIMED,
            deliveries.c.claimed_by == holder,
        ]
        async with self._db.write() as conn:
            deleted = await conn.execute(delete(deliveries).where(*ours, deliveries.c.claims <= 1))
            reset = await conn.execute(
                update(deliveries)
                .where(*ours, deliveries.c.claims > 1)
                .values(claimed_at=_EPOCH, claims=deliveries.c.claims - 1)
            )
        return int(deleted.rowcount) + int(reset.rowcount)

    async def renew_claim(
        self,
        chat_id: int,
        deadline_id: str,
        lead_seconds: int,
        *,
        owner: str,
        now: datetime | None = None,
    ) -> bool:
        """Extend our lease before a long wait or a retry. False (and logged why): not ours."""
        async with self._db.write() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(
                    *_delivery_key(chat_id, deadline_id, lead_seconds),
                    _STILL_CLAIMED,
                    deliveries.c.claimed_by == (owner[:32] or None),
                )
                .values(claimed_at=now or _utcnow())
            )
            if result.rowcount != 1:
                await _explain_missed(
                    conn, [(chat_id, deadline_id, lead_seconds)], "lease not renewed"
                )
        return result.rowcount == 1

    async def record_delivery_results(
        self,
        results: Sequence[DeliveryResult],
        *,
        owner: str | None = None,
        now: datetime | None = None,
    ) -> list[bool]:
        """Close claims with their outcomes, in one transaction (group commit).

        One flag per result: False if the claim is not (or no longer) ours; the reason is
        logged. With `owner` given, only a claim still held by that owner is closed, so a
        process that lost its lease cannot overwrite the result of the one that took over.
        The delivery loop funnels the results of all its workers through here, so one commit
        covers whatever finished meanwhile; each worker still waits for its own result to be
        committed before it sends again.
        """
        if not results:
            return []
        finished = now or _utcnow()
        holder = None if owner is None else (owner[:32] or None)
        keys = [(item.chat_id, item.deadline_id, item.lead_seconds) for item in results]
        if len(set(keys)) == len(keys):
            return await self._record_grouped(results, keys, holder, owner is not None, finished)
        # The same claim twice in one batch: one UPDATE each, in order, so the first wins.
        recorded: list[bool] = []
        async with self._db.write() as conn:
            for item in results:
                conditions = [
                    *_delivery_key(item.chat_id, item.deadline_id, item.lead_seconds),
                    _STILL_CLAIMED,
                ]
                if owner is not None:
                    conditions.append(deliveries.c.claimed_by == holder)
                result = await conn.execute(
                    update(deliveries)
                    .where(*conditions)
                    .values(
                        status=Outcome(item.outcome).value,
                        attempts=item.attempts,
                        error=item.error[:64] if item.error else None,
                        finished_at=finished,
                    )
                )
                recorded.append(result.rowcount == 1)
            missed = [key for key, ok in zip(keys, recorded, strict=True) if not ok]
            if missed:
                await _explain_missed(conn, missed, "result not recorded")
        return recorded

    async def _record_grouped(
        self,
        results: Sequence[DeliveryResult],
        keys: list[DeliveryKey],
        holder: str | None,
        check_owner: bool,
        finished: datetime,
    ) -> list[bool]:
        """One `UPDATE ... WHERE chat_id IN (...) RETURNING chat_id` per distinct outcome.

        A round's results are nearly all alike ("sent", one attempt, no error), so a batch of
        a few hundred costs one or two statements instead of one each: a statement through
        SQLAlchemy and the async driver costs far more CPU than the row it changes, and at
        1,000 messages per second that CPU is what the delivery loop runs short of.
        """
        groups: dict[tuple[str, int, str, int, str | None], list[int]] = {}
        for item in results:
            error = item.error[:64] if item.error else None
            status = Outcome(item.outcome).value
            group = (item.deadline_id, item.lead_seconds, status, item.attempts, error)
            groups.setdefault(group, []).append(item.chat_id)
        done: set[DeliveryKey] = set()
        stmt = _RECORD_OWNED if check_owner else _RECORD_ANY
        async with self._db.write(urgent=True) as conn:
            for (deadline_id, lead_seconds, status, attempts, error), chat_ids in groups.items():
                changed = await conn.execute(
                    stmt,
                    {
                        "ids": chat_ids,
                        "r_deadline": deadline_id,
                        "r_lead": lead_seconds,
                        "r_holder": holder,
                        "r_status": status,
                        "r_attempts": attempts,
                        "r_error": error,
                        "r_finished": finished,
                    },
                )
                done.update((chat_id, deadline_id, lead_seconds) for chat_id in changed.scalars())
            missed = [key for key in keys if key not in done]
            if missed:
                await _explain_missed(conn, missed, "result not recorded")
        return [key in done for key in keys]

    async def open_claims(self, deadline_id: str, lead_seconds: int) -> list[OpenClaim]:
        """Claims of this round nobody has finished yet (in flight, or left by a crash).

        At most a few per running process, so a plain list is fine.
        """
        stmt = (
            select(
                deliveries.c.chat_id,
                deliveries.c.claimed_at,
                deliveries.c.claimed_by,
                deliveries.c.claims,
            )
            .where(
                deliveries.c.deadline_id == deadline_id,
                deliveries.c.lead_seconds == lead_seconds,
                deliveries.c.status == CLAIMED,
            )
            .order_by(deliveries.c.claimed_at)
        )
        async with self._db.read() as conn:
            return [
                OpenClaim(r.chat_id, r.claimed_at, r.claimed_by, r.claims)
                for r in await conn.execute(stmt)
            ]

    async def close_abandoned_claims(
        self,
        deadline_id: str,
        lead_seconds: int,
        *,
        stale_before: datetime,
        error: str = "lease_expired",
        now: datetime | None = None,
    ) -> int:
        """Mark as failed the claims of this round still open and claimed before `stale_before`.

        The delivery loop calls this with `stale_before` = start of its last full pass minus the
        lease: any such claim was offered for takeover during that pass and nobody took it
        (claimed too often, or the chat is no longer subscribed), so it will never finish.
        """
        async with self._db.write() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.deadline_id == deadline_id,
                    deliveries.c.lead_seconds == lead_seconds,
                    deliveries.c.status == CLAIMED,
                    deliveries.c.claimed_at < stale_before,
                )
                .values(status=Outcome.FAILED.value, error=error, finished_at=now or _utcnow())
            )
        return int(result.rowcount)
