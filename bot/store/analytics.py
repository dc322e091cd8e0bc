"""Operator data without people in it: aggregate answer counts, opt-in unmatched questions,
and the store's row counts.

Answer counts are kept per day, outcome and topic; an unmatched question is only its
normalised text, scrubbed of personal data (bot/scrub.py), and the day. No chat or user
id is ever written or returned here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.scrub import scrub
from bot.store.errors import outage_as_unavailable
from bot.store.schema import (
    MAX_UNMATCHED_TEXT,
    answer_counts,
    chats,
    checklist,
    deliveries,
    subscriptions,
    unmatched_questions,
)

__all__ = [
    "MAX_UNMATCHED_TEXT",
    "AnswerTotals",
    "CountKey",
    "StoreStats",
    "add_counts",
    "add_unmatched",
    "list_unmatched",
    "purge_unmatched",
    "store_stats",
    "totals",
]

CountKey = tuple[date, str, str]  # day, outcome, topic ("" when none)


@asynccontextmanager
async def _begin(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction, with an outage raised as `StorageUnavailable` as in the `Store`."""
    with outage_as_unavailable():
        async with engine.begin() as conn:
            yield conn


@asynccontextmanager
async def _connect(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    with outage_as_unavailable():
        async with engine.connect() as conn:
            yield conn


@dataclass(frozen=True, slots=True)
class AnswerTotals:
    by_outcome: dict[str, int]
    by_topic: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_outcome.values())


async def add_counts(engine: AsyncEngine, deltas: Counter[CountKey]) -> None:
    """Add counts (an update, or an insert for a new key) in one transaction."""
    if not deltas:
        return
    async with _begin(engine) as conn:
        for (day, outcome, topic), n in deltas.items():
            key = (
                (answer_counts.c.day == day)
                & (answer_counts.c.outcome == outcome)
                & (answer_counts.c.topic == topic)
            )
            result = await conn.execute(
                update(answer_counts).where(key).values(count=answer_counts.c.count + n)
            )
            if result.rowcount == 0:
                await conn.execute(
                    insert(answer_counts).values(day=day, outcome=outcome, topic=topic, count=n)
                )


async def totals(engine: AsyncEngine) -> AnswerTotals:
    async with _connect(engine) as conn:
        outcomes = await conn.execute(
            select(answer_counts.c.outcome, func.sum(answer_counts.c.count)).group_by(
                answer_counts.c.outcome
            )
        )
        topics = await conn.execute(
            select(answer_counts.c.topic, func.sum(answer_counts.c.count))
            .where(answer_counts.c.outcome == "answer")
            .group_by(answer_counts.c.topic)
        )
        return AnswerTotals({o: int(n) for o, n in outcomes}, {t: int(n) for t, n in topics if t})


async def add_unmatched(engine: AsyncEngine, texts: list[str], day: date) -> None:
    """Keep unanswered questions, each scrubbed of e-mail addresses, phone numbers, long
    numbers and handles first (whatever the caller did: this is the last step before disk)."""
    rows = [{"text": scrub(t)[:MAX_UNMATCHED_TEXT], "day": day} for t in texts if t]
    if rows:
        async with _begin(engine) as conn:
            await conn.execute(insert(unmatched_questions), rows)


async def purge_unmatched(engine: AsyncEngine, before: date) -> int:
    async with _begin(engine) as conn:
        result = await conn.execute(
            delete(unmatched_questions).where(unmatched_questions.c.day < before)
        )
        return int(result.rowcount or 0)


async def list_unmatched(engine: AsyncEngine) -> list[str]:
    async with _connect(engine) as conn:
        rows = await conn.execute(select(unmatched_questions.c.text))
        return [r[0] for r in rows]


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Aggregate counts only: safe to log or show to an operator."""

    chats: int
    active_subscriptions: int
    inactive_subscriptions: int
    checklist: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)


async def store_stats(conn: AsyncConnection) -> StoreStats:
    """Chats, subscriptions by state, checklist ticks by state, deliveries by status."""
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
