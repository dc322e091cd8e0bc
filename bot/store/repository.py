"""Everything the bot keeps about a chat, behind one small async API.

What is stored, and nothing more (this is what `/privacy` promises):
- `chats`: chat id, language, region, time zone;
- `subscriptions` and `subscription_leads`: whether reminders are on, why they were switched
  off (a short code such as `blocked`), and the lead times in seconds;
- `checklist`: per platform, `done`, `later` or `na`;
- `deliveries`: which reminder (deadline id x lead time) was claimed, sent, skipped or failed,
  when, how often it was tried, and the error *class* if any.
Never message text, names, usernames or anything a user typed.

Timestamps are stored as naive UTC (`UtcDateTime`) so SQLite and PostgreSQL compare them the
same way; the API takes and returns timezone-aware UTC datetimes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
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
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from bot.knowledge.model import DEFAULT_LANGUAGE, REGIONS
from bot.store.db import READ_ONLY_OPTION, make_engine
from bot.store.migrations import migrate

__all__ = [
    "CHECK_STATES",
    "CLAIMED",
    "MAX_LEAD_TIMES",
    "ChatSettings",
    "DeliveryContext",
    "DeliveryRecord",
    "DeliveryResult",
    "OpenClaim",
    "Outcome",
    "Store",
    "StoreStats",
    "Subscription",
    "metadata",
]

CHECK_STATES: tuple[str, ...] = ("done", "later", "na")
CLAIMED = "claimed"
MAX_LEAD_TIMES = 10  # lead times per subscription (`/remind` accepts as many)


class Outcome(StrEnum):
    """How a claimed delivery ended (the `status` column once it is no longer `claimed`)."""

    SENT = "sent"
    SKIPPED = "skipped"  # nothing left to remind, or no longer subscribed
    FAILED = "failed"  # retries exhausted, payload refused, or lease ran out for good
    DEACTIVATED = "deactivated"  # 403 / chat not found: subscription switched off
    EXPIRED = "expired"  # the deadline passed before it could be sent


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, naive UTC in the database, aware UTC datetimes out."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# The latest schema. It must match what `migrations.MIGRATIONS` builds (a test checks that).
metadata = MetaData()

chats = Table(
    "chats",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("language", String(16), nullable=False),
    Column("region", String(16), nullable=True),
    Column("timezone", String(64), nullable=True),
)
subscriptions = Table(
    "subscriptions",
    metadata,
    Column(
        "chat_id",
        BigInteger,
        ForeignKey("chats.chat_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("active", Boolean, nullable=False),
    Column("reason", String(32), nullable=True),
)
subscription_leads = Table(
    "subscription_leads",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False),
    Column("lead_seconds", Integer, nullable=False),
    PrimaryKeyConstraint("chat_id", "lead_seconds"),
    Index("ix_subscription_leads_lead_chat", "lead_seconds", "chat_id"),
)
checklist = Table(
    "checklist",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(64), nullable=False),
    Column("state", String(8), nullable=False),
    PrimaryKeyConstraint("chat_id", "platform"),
    CheckConstraint("state IN ('done', 'later', 'na')", name="ck_checklist_state"),
)
deliveries = Table(
    "deliveries",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False),
    Column("deadline_id", String(128), nullable=False),
    Column("lead_seconds", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_at", UtcDateTime, nullable=False),
    Column("claims", Integer, nullable=False, server_default="1"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(32), nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("error", String(64), nullable=True),
    PrimaryKeyConstraint("chat_id", "deadline_id", "lead_seconds"),
    Index(
        "ix_deliveries_open_claims",
        "deadline_id",
        "lead_seconds",
        sqlite_where=text("status = 'claimed'"),
        postgresql_where=text("status = 'claimed'"),
    ),
)
# Child tables first: the order `forget` and `migrate_chat` work in.
CHAT_TABLES: tuple[Table, ...] = (deliveries, checklist, subscription_leads, subscriptions, chats)


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """Per-chat preferences. `None` region/timezone means "not chosen": use the defaults."""

    chat_id: int
    language: str = DEFAULT_LANGUAGE
    region: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    chat_id: int
    active: bool
    lead_times: tuple[int, ...]  # seconds, largest first
    reason: str | None = None  # why it is inactive: "user", "blocked", "chat_not_found", ...


@dataclass(frozen=True, slots=True)
class DeliveryContext:
    """What composing one reminder needs, read in one round trip."""

    settings: ChatSettings
    checklist: dict[str, str]
    subscription: Subscription | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    chat_id: int
    deadline_id: str
    lead_seconds: int
    status: str
    claimed_at: datetime
    claims: int
    attempts: int
    claimed_by: str | None
    finished_at: datetime | None
    error: str | None


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


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Aggregate counts only: safe to log or show to an operator."""

    chats: int
    active_subscriptions: int
    inactive_subscriptions: int
    checklist: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)


_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _check_language(language: str) -> str:
    if len(language) > 16 or not _LANGUAGE_RE.match(language):
        raise ValueError(
            f"language must be a language tag such as 'en' or 'pt-BR', got {language!r}"
        )
    return language


def _check_region(region: str | None) -> str | None:
    if region is not None and region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)} or None, got {region!r}")
    return region


def _check_timezone(timezone: str | None) -> str | None:
    if timezone is None:
        return None
    try:
        if len(timezone) > 64:
            raise ValueError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"timezone must be an IANA time zone such as Europe/Berlin, got {timezone!r}"
        ) from None
    return timezone


def _check_lead_times(lead_times: Iterable[int]) -> tuple[int, ...]:
    leads = tuple(lead_times)
    if not leads:
        raise ValueError("a subscription needs at least one lead time")
    if len(leads) > MAX_LEAD_TIMES:
        raise ValueError(f"at most {MAX_LEAD_TIMES} lead times, got {len(leads)}")
    for lead in leads:
        if isinstance(lead, bool) or not isinstance(lead, int) or lead <= 0:
            raise ValueError(f"lead times are positive whole seconds, got {lead!r}")
    if len(set(leads)) != len(leads):
        raise ValueError(f"lead times must not repeat, got {leads}")
    return tuple(sorted(leads, reverse=True))


def _check_short(name: str, value: str, limit: int) -> str:
    if not value or len(value) > limit:
        raise ValueError(f"{name} must be 1-{limit} characters, got {value!r}")
    return value


# `status = 'claimed'` for statements that find their rows by primary key. Written through
# COALESCE (status is never NULL) so that neither database can use the partial open-claims
# index for them. PostgreSQL did, for the UPDATE that records results, whenever its
# statistics said few claims were open; it then read every claim of the round taken so far,
# and their dead versions, for each statement: 15.7 ms instead of 0.2 ms for ten rows out of
# 50,000 in EXPLAIN ANALYZE, and the benchmark's 1,000/s rounds slowed down as they went
# (docs/benchmarks.md). Queries over a whole round's open claims (`open_claims`,
# `close_abandoned_claims`) keep the plain test, so that they can use the index.
_STILL_CLAIMED = func.coalesce(deliveries.c.status, "") == CLAIMED

# Statements the delivery loop runs for every chunk, built once. Their parameters are bound
# at execution ("ids" expands to an IN list), so SQLAlchemy neither rebuilds nor recompiles
# them per call; building them per call cost more CPU than the database work itself.
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
_CONTEXT_CHATS = select(chats).where(chats.c.chat_id.in_(_IDS))
_CONTEXT_CHECKLIST = (
    select(checklist)
    .where(checklist.c.chat_id.in_(_IDS))
    .order_by(checklist.c.chat_id, checklist.c.platform)
)
_CONTEXT_LEADS = (
    select(subscription_leads)
    .where(subscription_leads.c.chat_id.in_(_IDS))
    .order_by(subscription_leads.c.chat_id, subscription_leads.c.lead_seconds.desc())
)
_CONTEXT_SUBSCRIPTIONS = select(subscriptions).where(subscriptions.c.chat_id.in_(_IDS))


class _WriterQueue:
    """SQLite's one writer, as a queue with a fast lane.

    A delivery round's workers each wait for their last result to be written before they
    send again, while claims only fetch more work. With a hundred workers claiming at the
    start of a round, results queued behind all those claims and sending stalled for a
    second. Results now go first, but never more than twice in a row while others wait.
    """

    URGENT_IN_A_ROW = 2  # then one other writer, so claims are not starved either

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()
        self._urgent_run = 0

    @asynccontextmanager
    async def turn(self, urgent: bool = False) -> AsyncIterator[None]:
        if self._busy or self._urgent or self._normal:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            (self._urgent if urgent else self._normal).append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._release()  # we were handed the turn as we were cancelled
                else:
                    with contextlib.suppress(ValueError):
                        (self._urgent if urgent else self._normal).remove(waiter)
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        lanes = (self._urgent, self._normal)
        if self._urgent_run >= self.URGENT_IN_A_ROW:
            lanes = (self._normal, self._urgent)
        for queue in lanes:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    self._urgent_run = self._urgent_run + 1 if queue is self._urgent else 0
                    waiter.set_result(None)  # the turn passes on; _busy stays True
                    return
        self._busy = False
        self._urgent_run = 0


class Store:
    """Async access to the bot's tables. Every method is one short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reader = engine.execution_options(**{READ_ONLY_OPTION: True})
        is_sqlite = engine.dialect.name == "sqlite"
        insert_module: Any = sqlite_dialect if is_sqlite else pg_dialect
        self._insert = insert_module.insert
        # SQLite has one writer at a time. Queueing our own writers here keeps them off
        # SQLite's busy handler, which waits in coarse sleeps (milliseconds, growing);
        # other processes still meet it, through the busy timeout.
        self._writers = _WriterQueue() if is_sqlite else None
        self._claim_insert = (
            self._insert(deliveries)
            .on_conflict_do_nothing(
                index_elements=[
                    deliveries.c.chat_id,
                    deliveries.c.deadline_id,
                    deliveries.c.lead_seconds,
                ]
            )
            .returning(deliveries.c.chat_id)
        )

    def _read(self) -> AsyncConnection:
        """A connection for reading: a plain (deferred) transaction, never the write lock."""
        return self._reader.connect()

    @asynccontextmanager
    async def _write(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """A write transaction (on SQLite: `BEGIN IMMEDIATE`, one writer of ours at a time).

        `urgent` writers go first in that queue (delivery results: their workers wait).
        """
        if self._writers is None:
            async with self._engine.begin() as conn:
                yield conn
            return
        async with self._writers.turn(urgent), self._engine.begin() as conn:
            yield conn

    @classmethod
    async def open(cls, url: str, **engine_kwargs: Any) -> Self:
        """Connect and migrate the schema to the latest version."""
        engine = make_engine(url, **engine_kwargs)
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def close(self) -> None:
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- settings -----------------------------------------------------------------------

    async def _ensure_chat(self, conn: AsyncConnection, chat_id: int) -> None:
        await conn.execute(
            self._insert(chats)
            .values(chat_id=chat_id, language=DEFAULT_LANGUAGE)
            .on_conflict_do_nothing(index_elements=[chats.c.chat_id])
        )

    async def _upsert_chat(self, chat_id: int, **values: Any) -> None:
        row = {"chat_id": chat_id, "language": DEFAULT_LANGUAGE, **values}
        stmt = self._insert(chats).values(**row)
        stmt = stmt.on_conflict_do_update(index_elements=[chats.c.chat_id], set_=values)
        async with self._write() as conn:
            await conn.execute(stmt)

    async def get_settings(self, chat_id: int) -> ChatSettings:
        """The chat's settings; defaults for a chat never seen (nothing is written)."""
        async with self._read() as conn:
            return await self._settings(conn, chat_id)

    async def _settings(self, conn: AsyncConnection, chat_id: int) -> ChatSettings:
        row = (
            await conn.execute(
                select(chats.c.language, chats.c.region, chats.c.timezone).where(
                    chats.c.chat_id == chat_id
                )
            )
        ).first()
        if row is None:
            return ChatSettings(chat_id)
        return ChatSettings(chat_id, row.language, row.region, row.timezone)

    async def set_language(self, chat_id: int, language: str) -> None:
        await self._upsert_chat(chat_id, language=_check_language(language))

    async def set_region(self, chat_id: int, region: str | None) -> None:
        await self._upsert_chat(chat_id, region=_check_region(region))

    async def set_timezone(self, chat_id: int, timezone: str | None) -> None:
        await self._upsert_chat(chat_id, timezone=_check_timezone(timezone))

    # -- subscription -------------------------------------------------------------------

    async def subscribe(self, chat_id: int, lead_times: Sequence[int]) -> Subscription:
        """Switch reminders on with exactly these lead times (replacing any earlier ones)."""
        leads = _check_lead_times(lead_times)
        async with self._write() as conn:
            await self._ensure_chat(conn, chat_id)
            await conn.execute(
                self._insert(subscriptions)
                .values(chat_id=chat_id, active=True, reason=None)
                .on_conflict_do_update(
                    index_elements=[subscriptions.c.chat_id], set_={"active": True, "reason": None}
                )
            )
            await conn.execute(
                delete(subscription_leads).where(subscription_leads.c.chat_id == chat_id)
            )
            await conn.execute(
                subscription_leads.insert(),
                [{"chat_id": chat_id, "lead_seconds": lead} for lead in leads],
            )
        return Subscription(chat_id, True, leads, None)

    async def unsubscribe(self, chat_id: int) -> bool:
        """`/remind off`: delete the subscription and its lead times (data minimisation).

        Delivery records stay until `forget`, so re-subscribing mid-round does not resend.
        Returns whether there was a subscription.
        """
        async with self._write() as conn:
            await conn.execute(
                delete(subscription_leads).where(subscription_leads.c.chat_id == chat_id)
            )
            result = await conn.execute(
                delete(subscriptions).where(subscriptions.c.chat_id == chat_id)
            )
        return result.rowcount > 0

    async def deactivate(self, chat_id: int, reason: str) -> bool:
        """Stop reminders for a chat Telegram says we cannot reach (blocked, not found).

        Keeps the lead times so the chat can be re-activated if the user comes back.
        """
        _check_short("reason", reason, 32)
        async with self._write() as conn:
            result = await conn.execute(
                update(subscriptions)
                .where(subscriptions.c.chat_id == chat_id)
                .values(active=False, reason=reason)
            )
        return result.rowcount > 0

    async def get_subscription(self, chat_id: int) -> Subscription | None:
        async with self._read() as conn:
            return await self._subscription(conn, chat_id)

    async def _subscription(self, conn: AsyncConnection, chat_id: int) -> Subscription | None:
        row = (
            await conn.execute(
                select(subscriptions.c.active, subscriptions.c.reason).where(
                    subscriptions.c.chat_id == chat_id
                )
            )
        ).first()
        if row is None:
            return None
        leads = (
            await conn.execute(
                select(subscription_leads.c.lead_seconds)
                .where(subscription_leads.c.chat_id == chat_id)
                .order_by(subscription_leads.c.lead_seconds.desc())
            )
        ).scalars()
        return Subscription(chat_id, bool(row.active), tuple(leads), row.reason)

    async def lead_times_in_use(self) -> tuple[int, ...]:
        """Distinct lead times of active subscriptions, largest first: the rounds to plan."""
        stmt = (
            select(subscription_leads.c.lead_seconds)
            .join(subscriptions, subscriptions.c.chat_id == subscription_leads.c.chat_id)
            .where(subscriptions.c.active)
            .distinct()
            .order_by(subscription_leads.c.lead_seconds.desc())
        )
        async with self._read() as conn:
            return tuple((await conn.execute(stmt)).scalars())

    def _audience(self, lead_seconds: int, regions: Sequence[str]) -> list[ColumnElement[bool]]:
        """Active subscribers with this lead time whose region is unset or among `regions`."""
        return [
            subscription_leads.c.lead_seconds == lead_seconds,
            subscriptions.c.active,
            or_(chats.c.region.is_(None), chats.c.region.in_(list(regions))),
        ]

    @staticmethod
    def _audience_from() -> Any:
        return subscription_leads.join(
            subscriptions, subscriptions.c.chat_id == subscription_leads.c.chat_id
        ).join(chats, chats.c.chat_id == subscription_leads.c.chat_id)

    async def count_subscribers(self, lead_seconds: int, regions: Sequence[str]) -> int:
        """How many chats a round would reach: used to start long rounds early enough."""
        stmt = (
            select(func.count())
            .select_from(self._audience_from())
            .where(*self._audience(lead_seconds, regions))
        )
        async with self._read() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def count_subscribers_by_lead(self, regions: Sequence[str]) -> dict[int, int]:
        """`count_subscribers` for every lead time at once: {lead_seconds: chats}.

        One grouped scan instead of one per round: `reschedule` runs on every `/remind`, and
        with 100,000 subscribers each count is a join over the whole audience.
        """
        stmt = (
            select(subscription_leads.c.lead_seconds, func.count())
            .select_from(self._audience_from())
            .where(
                subscriptions.c.active,
                or_(chats.c.region.is_(None), chats.c.region.in_(list(regions))),
            )
            .group_by(subscription_leads.c.lead_seconds)
        )
        async with self._read() as conn:
            return {int(lead): int(n) for lead, n in await conn.execute(stmt)}

    # -- checklist ----------------------------------------------------------------------

    async def set_check(self, chat_id: int, platform: str, state: str) -> None:
        if state not in CHECK_STATES:
            raise ValueError(
                f"checklist state must be one of {', '.join(CHECK_STATES)}, got {state!r}"
            )
        _check_short("platform", platform, 64)
        async with self._write() as conn:
            await self._ensure_chat(conn, chat_id)
            await conn.execute(
                self._insert(checklist)
                .values(chat_id=chat_id, platform=platform, state=state)
                .on_conflict_do_update(
                    index_elements=[checklist.c.chat_id, checklist.c.platform],
                    set_={"state": state},
                )
            )

    async def clear_check(self, chat_id: int, platform: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(
                delete(checklist).where(
                    checklist.c.chat_id == chat_id, checklist.c.platform == platform
                )
            )
        return result.rowcount > 0

    async def get_checklist(self, chat_id: int) -> dict[str, str]:
        async with self._read() as conn:
            return await self._checklist(conn, chat_id)

    async def _checklist(self, conn: AsyncConnection, chat_id: int) -> dict[str, str]:
        rows = await conn.execute(
            select(checklist.c.platform, checklist.c.state)
            .where(checklist.c.chat_id == chat_id)
            .order_by(checklist.c.platform)
        )
        return {row.platform: row.state for row in rows}

    # -- privacy and chat identity ------------------------------------------------------

    async def forget(self, chat_id: int) -> None:
        """`/forget`: delete every row about this chat, pending deliveries included.

        Explicit deletes (children first) rather than trusting ON DELETE CASCADE, so it holds
        even on a SQLite connection opened without foreign keys.
        """
        async with self._write() as conn:
            for table in CHAT_TABLES:
                await conn.execute(delete(table).where(table.c.chat_id == chat_id))

    async def migrate_chat(self, old_id: int, new_id: int) -> bool:
        """A group became a supergroup: move everything from `old_id` to `new_id`.

        If the new id already has rows (the bot saw the supergroup first), the new id's
        settings, subscription and ticks win; the old id's rows are moved only where they
        do not collide. Returns False if nothing was stored under `old_id`.
        """
        if old_id == new_id:
            return True
        async with self._write() as conn:
            old = (await conn.execute(select(chats).where(chats.c.chat_id == old_id))).first()
            if old is None:
                return False
            await conn.execute(
                self._insert(chats)
                .values(
                    chat_id=new_id, language=old.language, region=old.region, timezone=old.timezone
                )
                .on_conflict_do_nothing(index_elements=[chats.c.chat_id])
            )
            new_has_sub = (
                await conn.execute(select(exists().where(subscriptions.c.chat_id == new_id)))
            ).scalar_one()
            if not new_has_sub:
                for table in (subscription_leads, subscriptions):
                    await conn.execute(
                        update(table).where(table.c.chat_id == old_id).values(chat_id=new_id)
                    )
            other_check = checklist.alias("other")
            await conn.execute(
                update(checklist)
                .where(
                    checklist.c.chat_id == old_id,
                    ~exists().where(
                        other_check.c.chat_id == new_id,
                        other_check.c.platform == checklist.c.platform,
                    ),
                )
                .values(chat_id=new_id)
            )
            other_del = deliveries.alias("other")
            await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.chat_id == old_id,
                    ~exists().where(
                        other_del.c.chat_id == new_id,
                        other_del.c.deadline_id == deliveries.c.deadline_id,
                        other_del.c.lead_seconds == deliveries.c.lead_seconds,
                    ),
                )
                .values(chat_id=new_id)
            )
            for table in CHAT_TABLES:
                await conn.execute(delete(table).where(table.c.chat_id == old_id))
        return True

    # -- deliveries ---------------------------------------------------------------------

    @staticmethod
    def _delivery_key(
        chat_id: int, deadline_id: str, lead_seconds: int
    ) -> list[ColumnElement[bool]]:
        return [
            deliveries.c.chat_id == chat_id,
            deliveries.c.deadline_id == deadline_id,
            deliveries.c.lead_seconds == lead_seconds,
        ]

    @staticmethod
    def _takeover_ok(stale_before: datetime | None, max_claims: int) -> ColumnElement[bool] | None:
        """A claim nobody finished within the lease, and not yet claimed `max_claims` times."""
        if stale_before is None:
            return None
        return and_(
            _STILL_CLAIMED,
            deliveries.c.claimed_at < stale_before,
            deliveries.c.claims < max_claims,
        )

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
        claim was abandoned (see `claim_delivery`). Keyset pagination: pass the last id of the
        previous batch as `after_chat_id`, so a million subscribers stream in batches
        without OFFSET scans or a long-lived cursor. Fewer than `limit` ids means the end.

        Each step first takes a window of candidate ids from the (lead_seconds, chat_id)
        index and then filters only that window, with the id range repeated on every table.
        That keeps each batch O(window) whatever plan the database picks - PostgreSQL without
        fresh statistics otherwise chose plans that rescanned all remaining rows per batch.
        """
        if limit < 1:
            return []
        leads = subscription_leads
        window = max(2 * limit, 64)
        found: list[int] = []
        lower = after_chat_id
        async with self._read() as conn:
            while len(found) < limit:
                candidates = (
                    select(leads.c.chat_id)
                    .where(leads.c.lead_seconds == lead_seconds)
                    .order_by(leads.c.chat_id)
                    .limit(window)
                )
                if lower is not None:
                    candidates = candidates.where(leads.c.chat_id > lower)
                ids = (await conn.execute(candidates)).scalars().all()
                if not ids:
                    break
                upper = ids[-1]
                wanted = limit - len(found)
                stmt = (
                    select(leads.c.chat_id)
                    .where(
                        leads.c.lead_seconds == lead_seconds,
                        *self._id_range(leads.c.chat_id, lower, upper),
                        self._is_active_audience(regions, lower, upper),
                        ~self._blocking_delivery(
                            deadline_id, lead_seconds, lower, upper, stale_before, max_claims
                        ),
                    )
                    .order_by(leads.c.chat_id)
                    .limit(wanted)
                )
                batch = (await conn.execute(stmt)).scalars().all()
                found.extend(batch)
                if len(ids) < window or len(batch) == wanted:
                    break
                lower = upper
        return found

    @staticmethod
    def _id_range(column: Any, lower: int | None, upper: int) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [column <= upper]
        if lower is not None:
            conditions.append(column > lower)
        return conditions

    def _is_active_audience(
        self, regions: Sequence[str], lower: int | None, upper: int
    ) -> ColumnElement[bool]:
        return exists().where(
            subscriptions.c.chat_id == subscription_leads.c.chat_id,
            chats.c.chat_id == subscriptions.c.chat_id,
            *self._id_range(subscriptions.c.chat_id, lower, upper),
            *self._id_range(chats.c.chat_id, lower, upper),
            subscriptions.c.active,
            or_(chats.c.region.is_(None), chats.c.region.in_(list(regions))),
        )

    def _blocking_delivery(
        self,
        deadline_id: str,
        lead_seconds: int,
        lower: int | None,
        upper: int,
        stale_before: datetime | None,
        max_claims: int,
    ) -> ColumnElement[bool]:
        """A delivery row that rules the chat out: any, except an abandoned claim."""
        conditions = [
            deliveries.c.chat_id == subscription_leads.c.chat_id,
            deliveries.c.deadline_id == deadline_id,
            deliveries.c.lead_seconds == lead_seconds,
            *self._id_range(deliveries.c.chat_id, lower, upper),
        ]
        takeover = self._takeover_ok(stale_before, max_claims)
        if takeover is not None:
            conditions.append(not_(takeover))
        return exists().where(*conditions)

    async def analyze(self) -> None:
        """Refresh the planner's statistics (PostgreSQL; nothing to do on SQLite).

        Called at the start of a delivery round: after a bulk import or a day of sign-ups the
        statistics can be stale until autovacuum catches up, and the keyset scans want them.
        ANALYZE only samples the tables and does not block reads or writes.
        """
        if self._engine.dialect.name != "postgresql":
            return
        async with self._write() as conn:
            await conn.execute(text("ANALYZE chats, subscriptions, subscription_leads, deliveries"))

    async def claim_delivery(
        self,
        chat_id: int,
        deadline_id: str,
        lead_seconds: int,
        *,
        owner: str = "",
        now: datetime | None = None,
        stale_before: datetime | None = None,
        max_claims: int = 2,
    ) -> bool:
        """Atomically take the right to send this reminder to this chat. True if we got it.

        `INSERT ... ON CONFLICT DO NOTHING` on the (chat, deadline, lead) primary key: of any
        number of concurrent callers, in any number of processes, exactly one wins.
        If `stale_before` is given, an abandoned claim (status still `claimed`, claimed before
        `stale_before`, fewer than `max_claims` claims) is taken over by a conditional UPDATE,
        which again only one caller can win. A chat deleted meanwhile (`/forget`) yields False.
        """
        won = await self.claim_deliveries(
            [chat_id],
            deadline_id,
            lead_seconds,
            owner=owner,
            now=now,
            stale_before=stale_before,
            max_claims=max_claims,
        )
        return bool(won)

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
        """`claim_delivery` for several chats in one transaction; returns the ids we won.

        Same guarantees per chat (one winner, takeover of abandoned claims); claiming a few
        chats per round trip is what lets a round keep up with 1,000 messages per second.
        """
        ids = sorted(set(chat_ids))
        if not ids:
            return []
        now = now or _utcnow()
        _check_short("deadline_id", deadline_id, 128)
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
            async with self._write() as conn:
                # One prepared INSERT for any number of rows (SQLAlchemy's "insertmanyvalues"
                # batches them into multi-row VALUES with RETURNING): nothing to build or
                # compile per call, which at 1,000 claims a second is CPU that counts.
                won = set((await conn.execute(self._claim_insert, rows)).scalars())
                takeover = self._takeover_ok(stale_before, max_claims)
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
        async with self._write() as conn:
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
        """Extend our lease before a long wait or a retry. False: someone took the claim over."""
        async with self._write() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(
                    *self._delivery_key(chat_id, deadline_id, lead_seconds),
                    _STILL_CLAIMED,
                    deliveries.c.claimed_by == (owner[:32] or None),
                )
                .values(claimed_at=now or _utcnow())
            )
        return result.rowcount == 1

    async def record_delivery_result(
        self,
        chat_id: int,
        deadline_id: str,
        lead_seconds: int,
        outcome: Outcome | str,
        *,
        owner: str | None = None,
        attempts: int = 1,
        error: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Close a claim with its outcome. False if the claim is not (or no longer) ours.

        With `owner` given, only a claim still held by that owner is closed, so a process that
        lost its lease cannot overwrite the result of the one that took over.
        """
        result = DeliveryResult(
            chat_id, deadline_id, lead_seconds, Outcome(outcome), attempts, error
        )
        return (await self.record_delivery_results([result], owner=owner, now=now))[0]

    async def record_delivery_results(
        self,
        results: Sequence[DeliveryResult],
        *,
        owner: str | None = None,
        now: datetime | None = None,
    ) -> list[bool]:
        """`record_delivery_result` for several claims in one transaction (group commit).

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
        async with self._write() as conn:
            for item in results:
                conditions = [
                    *self._delivery_key(item.chat_id, item.deadline_id, item.lead_seconds),
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
        return recorded

    async def _record_grouped(
        self,
        results: Sequence[DeliveryResult],
        keys: list[tuple[int, str, int]],
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
        done: set[tuple[int, str, int]] = set()
        stmt = _RECORD_OWNED if check_owner else _RECORD_ANY
        async with self._write(urgent=True) as conn:
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
        return [key in done for key in keys]

    async def delivery_context(self, chat_id: int) -> DeliveryContext:
        """Settings, checklist and subscription of a chat, in one connection."""
        return (await self.delivery_contexts([chat_id]))[chat_id]

    async def delivery_contexts(self, chat_ids: Sequence[int]) -> dict[int, DeliveryContext]:
        """`delivery_context` for several chats in three queries (one per table)."""
        ids = list(dict.fromkeys(chat_ids))
        if not ids:
            return {}
        async with self._read() as conn:
            params = {"ids": ids}
            settings = {
                row.chat_id: ChatSettings(row.chat_id, row.language, row.region, row.timezone)
                for row in await conn.execute(_CONTEXT_CHATS, params)
            }
            ticks: dict[int, dict[str, str]] = {chat_id: {} for chat_id in ids}
            for row in await conn.execute(_CONTEXT_CHECKLIST, params):
                ticks[row.chat_id][row.platform] = row.state
            leads: dict[int, list[int]] = {chat_id: [] for chat_id in ids}
            for row in await conn.execute(_CONTEXT_LEADS, params):
                leads[row.chat_id].append(row.lead_seconds)
            subs = {
                row.chat_id: Subscription(
                    row.chat_id, bool(row.active), tuple(leads[row.chat_id]), row.reason
                )
                for row in await conn.execute(_CONTEXT_SUBSCRIPTIONS, params)
            }
        return {
            chat_id: DeliveryContext(
                settings.get(chat_id, ChatSettings(chat_id)), ticks[chat_id], subs.get(chat_id)
            )
            for chat_id in ids
        }

    async def get_delivery(
        self, chat_id: int, deadline_id: str, lead_seconds: int
    ) -> DeliveryRecord | None:
        async with self._read() as conn:
            row = (
                await conn.execute(
                    select(deliveries).where(
                        *self._delivery_key(chat_id, deadline_id, lead_seconds)
                    )
                )
            ).first()
        return None if row is None else DeliveryRecord(**row._mapping)

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
        async with self._read() as conn:
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
        async with self._write() as conn:
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

    # -- operator view ------------------------------------------------------------------

    async def stats(self) -> StoreStats:
        async with self._read() as conn:
            n_chats = (await conn.execute(select(func.count()).select_from(chats))).scalar_one()
            subs = dict(
                (bool(active), int(n))
                for active, n in await conn.execute(
                    select(subscriptions.c.active, func.count()).group_by(subscriptions.c.active)
                )
            )
            checks = {
                state: int(n)
                for state, n in await conn.execute(
                    select(checklist.c.state, func.count()).group_by(checklist.c.state)
                )
            }
            dels = {
                status: int(n)
                for status, n in await conn.execute(
                    select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
                )
            }
        return StoreStats(int(n_chats), subs.get(True, 0), subs.get(False, 0), checks, dels)
