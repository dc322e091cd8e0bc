"""The privacy checkup's per-chat storage: the apps a chat uses, and re-check nudges.

Nudges are delivered with the reminders' claims (deliveries.py) under round keys
(rounds.py), so "exactly once per chat per period" is the same primary key that keeps
reminders exactly-once. What is here is the nudge schedule, who is due, and the advance to
the next period once a round closed a chat's delivery. Alerts are in alerts.py.

`CheckupQueries` is one part of `Store` (see repository.py); every method is one short
transaction on the store's `Database`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, select, update

from bot.store.chats import ChatSettings, check_short
from bot.store.db import Database
from bot.store.deliveries import blocking_delivery
from bot.store.rounds import (
    NO_UPPER,
    ROUND_LEAD,
    DueChat,
    id_range,
    nudge_round_key,
    require_aware,
)
from bot.store.schema import (
    CLAIMED,
    MAX_NUDGE_DAYS,
    MIN_NUDGE_DAYS,
    chat_platforms,
    chats,
    deliveries,
    nudges,
)

__all__ = ["CheckupContext", "CheckupQueries", "FinishedNudge", "Nudge", "check_period"]

_MAX_PLATFORMS = 100


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


def check_period(period_days: int) -> int:
    if isinstance(period_days, bool) or not isinstance(period_days, int):
        raise ValueError(f"the nudge period is a whole number of days, got {period_days!r}")
    if not MIN_NUDGE_DAYS <= period_days <= MAX_NUDGE_DAYS:
        raise ValueError(
            f"the nudge period must be {MIN_NUDGE_DAYS}-{MAX_NUDGE_DAYS} days, got {period_days}"
        )
    return period_days


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
    """Apps used and nudges."""

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
        return {
            chat_id: CheckupContext(ctx.settings, ctx.platforms, ctx.checklist)
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
        require_aware("next_due_at", next_due_at)
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
        require_aware("now", now)
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
        require_aware("now", now)
        if limit < 1:
            return []
        stmt = (
            select(nudges.c.chat_id, chats.c.timezone)
            .join(chats, chats.c.chat_id == nudges.c.chat_id)
            .where(
                nudges.c.round_key == round_key,
                nudges.c.active,
                nudges.c.next_due_at <= now,
                *id_range(nudges.c.chat_id, after_chat_id, NO_UPPER),
                ~blocking_delivery(
                    round_key,
                    ROUND_LEAD,
                    after_chat_id,
                    NO_UPPER,
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
        require_aware("now", now)
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
        require_aware("next_due_at", next_due_at)
        values: dict[str, Any] = {
            "next_due_at": next_due_at,
            "round_key": nudge_round_key(next_due_at),
        }
        if sent_at is not None:
            values["last_sent_at"] = require_aware("sent_at", sent_at)
        if values["round_key"] == from_key:
            raise ValueError("the next nudge must fall on another day than the last one")
        async with self._db.write() as conn:
            result = await conn.execute(
                update(nudges)
                .where(nudges.c.chat_id == chat_id, nudges.c.round_key == from_key)
                .values(**values)
            )
        return result.rowcount == 1
