"""The privacy checkup's storage: apps a chat uses, re-check nudges, and who gets an alert.

Nudges and alerts are delivered with the reminders' claims (deliveries.py) under round keys,
so "exactly once per chat per period / per change" is the same primary key that keeps
reminders exactly-once. What is here is who is due (keyset pages, like `due_chats`), the
nudge schedule and its advance once a round closed a chat's delivery, and the snapshot of
`changed:` dates from which alerts are planned.

`CheckupQueries` is one part of `Store` (see repository.py); every method is one short
transaction on the store's `Database`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from sqlalchemy import and_, delete, exists, false, func, or_, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from bot.store.chats import ChatSettings, check_short
from bot.store.db import Database
from bot.store.deliveries import ROUND_LEAD, blocking_delivery, id_range, nudge_round_key
from bot.store.schema import (
    CLAIMED,
    MAX_NUDGE_DAYS,
    MIN_NUDGE_DAYS,
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

__all__ = [
    "ALERT_KINDS",
    "AlertRound",
    "CheckupContext",
    "CheckupQueries",
    "DueChat",
    "FinishedNudge",
    "Nudge",
    "check_period",
]

ALERT_KINDS = ("platform", "deadline")
_NO_UPPER = 2**63 - 1  # chat ids are 64-bit: "no upper bound" for `id_range`
_MAX_PLATFORMS = 100


class DueChat(NamedTuple):
    """A chat a nudge or alert round may claim, with its time zone for the quiet window."""

    chat_id: int
    timezone: str | None


@dataclass(frozen=True, slots=True)
class Nudge:
    chat_id: int
    period_days: int
    active: bool
    next_due_at: datetime
    round_key: str  # the delivery key of the nudge due at `next_due_at`
    last_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FinishedNudge:
    """A due nudge whose delivery for its current round is closed: time to plan the next."""

    chat_id: int
    round_key: str
    period_days: int
    timezone: str | None
    status: str  # the delivery's outcome: sent, skipped, failed, deactivated, ...
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class CheckupContext:
    """What composing a checklist, a nudge or an alert needs about one chat."""

    settings: ChatSettings
    platforms: tuple[str, ...]  # the apps the chat uses, sorted
    checklist: dict[str, str]


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


def check_period(period_days: int) -> int:
    if isinstance(period_days, bool) or not isinstance(period_days, int):
        raise ValueError(f"the nudge period is a whole number of days, got {period_days!r}")
    if not MIN_NUDGE_DAYS <= period_days <= MAX_NUDGE_DAYS:
        raise ValueError(
            f"the nudge period must be {MIN_NUDGE_DAYS}-{MAX_NUDGE_DAYS} days, got {period_days}"
        )
    return period_days


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def _audience(
    platforms: Sequence[str] | None,
    regions: Sequence[str] | None,
    lower: int | None = None,
    upper: int = _NO_UPPER,
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


def _nudge(row: Any) -> Nudge:
    return Nudge(
        row.chat_id,
        row.period_days,
        bool(row.active),
        row.next_due_at,
        row.round_key,
        row.last_sent_at,
    )


class CheckupQueries:
    """Apps used, nudges, alert audiences and the `changed:` snapshot."""

    _db: Database

    if TYPE_CHECKING:  # provided by ChatQueries, the other half of `Store`
        from sqlalchemy.ext.asyncio import AsyncConnection

        from bot.store.chats import DeliveryContext

        async def _ensure_chat(self, conn: AsyncConnection, chat_id: int) -> None: ...

        async def delivery_contexts(
            self, chat_ids: Sequence[int]
        ) -> dict[int, DeliveryContext]: ...

    # -- the apps a chat uses -----------------------------------------------------------

    async def set_platforms(self, chat_id: int, platforms: Iterable[str]) -> tuple[str, ...]:
        """Replace the set of apps the chat uses (checklist ticks are kept)."""
        chosen = sorted({check_short("platform", p, 64) for p in platforms})
        if len(chosen) > _MAX_PLATFORMS:
            raise ValueError(f"at most {_MAX_PLATFORMS} apps, got {len(chosen)}")
        async with self._db.write() as conn:
            await self._ensure_chat(conn, chat_id)
            await conn.execute(delete(chat_platforms).where(chat_platforms.c.chat_id == chat_id))
            if chosen:
                await conn.execute(
                    chat_platforms.insert(),
                    [{"chat_id": chat_id, "platform": p} for p in chosen],
                )
        return tuple(chosen)

    async def toggle_platform(self, chat_id: int, platform: str) -> bool:
        """Add the app if it was not chosen, remove it if it was; whether it is chosen now."""
        check_short("platform", platform, 64)
        key = and_(chat_platforms.c.chat_id == chat_id, chat_platforms.c.platform == platform)
        async with self._db.write() as conn:
            removed = await conn.execute(delete(chat_platforms).where(key))
            if removed.rowcount:
                return False
            await self._ensure_chat(conn, chat_id)
            await conn.execute(chat_platforms.insert().values(chat_id=chat_id, platform=platform))
        return True

    async def get_platforms(self, chat_id: int) -> tuple[str, ...]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(chat_platforms.c.platform)
                .where(chat_platforms.c.chat_id == chat_id)
                .order_by(chat_platforms.c.platform)
            )
            return tuple(rows.scalars())

    async def checkup_contexts(self, chat_ids: Sequence[int]) -> dict[int, CheckupContext]:
        """Settings, apps used and checklist of several chats (one query per table)."""
        contexts = await self.delivery_contexts(chat_ids)
        if not contexts:
            return {}
        used: dict[int, list[str]] = {chat_id: [] for chat_id in contexts}
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(chat_platforms.c.chat_id, chat_platforms.c.platform)
                .where(chat_platforms.c.chat_id.in_(list(contexts)))
                .order_by(chat_platforms.c.chat_id, chat_platforms.c.platform)
            )
            for row in rows:
                used[row.chat_id].append(row.platform)
        return {
            chat_id: CheckupContext(ctx.settings, tuple(used[chat_id]), ctx.checklist)
            for chat_id, ctx in contexts.items()
        }

    async def checkup_context(self, chat_id: int) -> CheckupContext:
        return (await self.checkup_contexts([chat_id]))[chat_id]

    # -- nudges -------------------------------------------------------------------------

    async def set_nudge(self, chat_id: int, period_days: int, next_due_at: datetime) -> Nudge:
        """Switch re-check nudges on (or change them): every `period_days`, next one then.

        `next_due_at` comes from `bot.checkup.nudges.next_nudge_at` (quiet window applied).
        """
        check_period(period_days)
        _aware("next_due_at", next_due_at)
        key = nudge_round_key(next_due_at)
        values = {
            "period_days": period_days,
            "active": True,
            "next_due_at": next_due_at,
            "round_key": key,
        }
        async with self._db.write() as conn:
            await self._ensure_chat(conn, chat_id)
            await conn.execute(
                self._db.insert(nudges)
                .values(chat_id=chat_id, last_sent_at=None, **values)
                .on_conflict_do_update(index_elements=[nudges.c.chat_id], set_=values)
            )
            row = (await conn.execute(select(nudges).where(nudges.c.chat_id == chat_id))).one()
        return _nudge(row)

    async def get_nudge(self, chat_id: int) -> Nudge | None:
        async with self._db.read() as conn:
            row = (await conn.execute(select(nudges).where(nudges.c.chat_id == chat_id))).first()
        return None if row is None else _nudge(row)

    async def stop_nudge(self, chat_id: int) -> bool:
        """Nudges off (countdown reminders stay as they are); whether there was one."""
        async with self._db.write() as conn:
            result = await conn.execute(delete(nudges).where(nudges.c.chat_id == chat_id))
        return result.rowcount > 0

    async def due_nudge_keys(self, now: datetime) -> list[str]:
        """Round keys with active nudges due by `now`, oldest first: the rounds to run."""
        _aware("now", now)
        stmt = (
            select(nudges.c.round_key)
            .where(nudges.c.active, nudges.c.next_due_at <= now)
            .distinct()
            .order_by(nudges.c.round_key)
        )
        async with self._db.read() as conn:
            return list((await conn.execute(stmt)).scalars())

    async def due_nudge_chats(
        self,
        round_key: str,
        now: datetime,
        after_chat_id: int | None = None,
        limit: int = 500,
        *,
        stale_before: datetime | None = None,
        max_claims: int = 2,
    ) -> list[DueChat]:
        """The next page of chats whose nudge `round_key` is due and not yet claimed.

        Like `due_chats`: ascending chat ids after `after_chat_id`; an abandoned claim counts
        as not claimed when `stale_before` is given. The caller leaves out chats inside their
        quiet window (`bot.checkup.nudges.QuietWindow`) and claims the rest.
        """
        _aware("now", now)
        if limit < 1:
            return []
        stmt = (
            select(nudges.c.chat_id, chats.c.timezone)
            .join(chats, chats.c.chat_id == nudges.c.chat_id)
            .where(
                nudges.c.round_key == round_key,
                nudges.c.active,
                nudges.c.next_due_at <= now,
                *id_range(nudges.c.chat_id, after_chat_id, _NO_UPPER),
                ~blocking_delivery(
                    round_key,
                    ROUND_LEAD,
                    after_chat_id,
                    _NO_UPPER,
                    stale_before,
                    max_claims,
                    chat_id=nudges.c.chat_id,
                ),
            )
            .order_by(nudges.c.chat_id)
            .limit(limit)
        )
        async with self._db.read() as conn:
            return [DueChat(row.chat_id, row.timezone) for row in await conn.execute(stmt)]

    async def finished_nudges(self, now: datetime, limit: int = 1000) -> list[FinishedNudge]:
        """Due nudges whose current round is closed for them (sent, skipped, failed ...).

        The nudge loop plans each one's next time and calls `advance_nudge`. Run after each
        round and at start-up: a process that stopped between recording a result and
        advancing leaves such rows, and this picks them up; nothing is sent twice meanwhile,
        since the closed delivery keeps the chat out of `due_nudge_chats`.
        """
        _aware("now", now)
        stmt = (
            select(
                nudges.c.chat_id,
                nudges.c.round_key,
                nudges.c.period_days,
                chats.c.timezone,
                deliveries.c.status,
                deliveries.c.finished_at,
            )
            .join(chats, chats.c.chat_id == nudges.c.chat_id)
            .join(
                deliveries,
                and_(
                    deliveries.c.chat_id == nudges.c.chat_id,
                    deliveries.c.deadline_id == nudges.c.round_key,
                    deliveries.c.lead_seconds == ROUND_LEAD,
                ),
            )
            .where(nudges.c.active, nudges.c.next_due_at <= now, deliveries.c.status != CLAIMED)
            .order_by(nudges.c.chat_id)
            .limit(limit)
        )
        async with self._db.read() as conn:
            return [
                FinishedNudge(
                    r.chat_id, r.round_key, r.period_days, r.timezone, r.status, r.finished_at
                )
                for r in await conn.execute(stmt)
            ]

    async def advance_nudge(
        self,
        chat_id: int,
        from_key: str,
        next_due_at: datetime,
        *,
        sent_at: datetime | None = None,
    ) -> bool:
        """Move a nudge from round `from_key` to its next due time, if it is still there.

        Conditional on the round key, so two processes advancing at once, or a user who
        changed the schedule meanwhile, never lose or repeat a period. `sent_at` is set when
        the closed round sent the nudge.
        """
        _aware("next_due_at", next_due_at)
        values: dict[str, Any] = {
            "next_due_at": next_due_at,
            "round_key": nudge_round_key(next_due_at),
        }
        if sent_at is not None:
            values["last_sent_at"] = _aware("sent_at", sent_at)
        if values["round_key"] == from_key:
            raise ValueError("the next nudge must fall on another day than the last one")
        async with self._db.write() as conn:
            result = await conn.execute(
                update(nudges)
                .where(nudges.c.chat_id == chat_id, nudges.c.round_key == from_key)
                .values(**values)
            )
        return result.rowcount == 1

    # -- alerts -------------------------------------------------------------------------

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
        _aware("now", now)
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
                .values(finished_at=_aware("now", now), outcome=outcome)
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
        of chat ids, as `due_chats`.
        """
        if limit < 1:
            return []
        window = max(2 * limit, 64)
        found: list[DueChat] = []
        lower = after_chat_id
        async with self._db.read() as conn:
            while len(found) < limit:
                candidates = select(chats.c.chat_id).order_by(chats.c.chat_id).limit(window)
                if lower is not None:
                    candidates = candidates.where(chats.c.chat_id > lower)
                ids = (await conn.execute(candidates)).scalars().all()
                if not ids:
                    break
                upper = ids[-1]
                wanted = limit - len(found)
                stmt = (
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
                batch = [DueChat(r.chat_id, r.timezone) for r in await conn.execute(stmt)]
                found.extend(batch)
                if len(ids) < window or len(batch) == wanted:
                    break
                lower = upper
        return found

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
