"""`Store`: everything the bot keeps about a chat, behind one small async API.

The store is put together from one part per idea, each in its own module:
- schema.py: the tables (and what is stored, which `/privacy` promises);
- chats.py: settings, subscription, checklist, what a reminder needs, `/forget`;
- deliveries.py: who is due for a reminder, claims and their takeover, leases, results;
- checkup.py: the apps a chat uses and its re-check nudges;
- alerts.py: the `changed:` snapshot, alert rounds and who gets each alert;
- rounds.py: round keys for nudges and alerts, keyset pages of who is due;
- feedback.py: 👍/👎 counts per day, topic and language;
- analytics.py: aggregate counts for the operator;
- db.py: the engine, read and write transactions, SQLite's queue of writers;
- errors.py: `StorageUnavailable`, which every method raises when the database cannot be
  reached or written, and the start-up line that says why.
The names callers use are re-exported here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from bot.store.alerts import AlertQueries, AlertRound
from bot.store.analytics import StoreStats, store_stats
from bot.store.chats import (
    MAX_LEAD_TIMES,
    ChatQueries,
    ChatSettings,
    DeliveryContext,
    Subscription,
)
from bot.store.checkup import CheckupContext, CheckupQueries, FinishedNudge, Nudge
from bot.store.db import DEFAULT_TIMEOUT, Database, is_sqlite, make_engine
from bot.store.deliveries import DeliveryQueries, DeliveryResult, OpenClaim
from bot.store.errors import StorageUnavailable, open_failure
from bot.store.feedback import FeedbackQueries, VoteCount
from bot.store.migrations import migrate
from bot.store.rounds import ROUND_LEAD, DueChat, alert_round_key, nudge_round_key
from bot.store.schema import (
    CHECK_STATES,
    CLAIMED,
    Outcome,
    alert_rounds,
    chat_platforms,
    chats,
    checklist,
    deliveries,
    feedback_votes,
    kb_entries,
    metadata,
    nudges,
    subscription_leads,
    subscriptions,
)

__all__ = [
    "CHECK_STATES",
    "CLAIMED",
    "MAX_LEAD_TIMES",
    "ROUND_LEAD",
    "AlertRound",
    "ChatSettings",
    "CheckupContext",
    "DeliveryContext",
    "DeliveryResult",
    "DueChat",
    "FinishedNudge",
    "Nudge",
    "OpenClaim",
    "Outcome",
    "StorageUnavailable",
    "Store",
    "StoreHealth",
    "StoreStats",
    "Subscription",
    "VoteCount",
    "alert_round_key",
    "alert_rounds",
    "chat_platforms",
    "chats",
    "checklist",
    "deliveries",
    "feedback_votes",
    "kb_entries",
    "metadata",
    "nudge_round_key",
    "nudges",
    "subscription_leads",
    "subscriptions",
]

log = logging.getLogger(__name__)

# The schema migration may wait for another process's migration and may rebuild a table:
# its statements get this long, its connection attempt only the usual timeout.
MIGRATION_STATEMENT_TIMEOUT = 120.0
HEALTH_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """Can the store write right now? `reason` says why not (no URL, no data)."""

    ok: bool
    backend: str
    reason: str | None = None
    latency_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        report: dict[str, Any] = {"ok": self.ok, "backend": self.backend}
        if self.reason is not None:
            report["error"] = self.reason
        else:
            report["latency_ms"] = self.latency_ms
        return report


class Store(ChatQueries, DeliveryQueries, CheckupQueries, AlertQueries, FeedbackQueries):
    """Async access to the bot's tables. Every method is one short transaction, and raises
    `StorageUnavailable` when the database cannot be reached or written (the next call
    tries again: nothing to reopen)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = Database(engine)

    @classmethod
    async def open(
        cls, url: str, *, timeout: float = DEFAULT_TIMEOUT, **engine_kwargs: Any
    ) -> Self:
        """Connect, migrate the schema to the latest version, and check that a write commits.

        A database that cannot be reached or written raises `StorageUnavailable` whose
        message is one line for the operator (what failed, what to check, the URL with its
        password masked), after at most about `timeout` seconds.
        """
        store = cls(make_engine(url, timeout=timeout, **engine_kwargs))
        try:
            if is_sqlite(url) and store.engine.url.database in (None, "", ":memory:"):
                await migrate(store.engine)  # one connection holds the in-memory database
            else:
                await _migrate_patiently(url, timeout, engine_kwargs)
            await store._db.check_writable()  # a read-only or full database: say so now
        except BaseException as exc:
            await store.close()
            failure = open_failure(url, exc, timeout) if isinstance(exc, Exception) else None
            if failure is not None:
                raise failure from exc
            raise
        return store

    @property
    def engine(self) -> AsyncEngine:
        return self._db.engine

    async def close(self) -> None:
        await self._db.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def health(self, timeout: float = HEALTH_TIMEOUT) -> StoreHealth:
        """Whether a write commits now, within `timeout` seconds (for /healthz)."""
        backend = self._db.engine.dialect.name
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                await self._db.check_writable()
        except TimeoutError:
            return StoreHealth(False, backend, f"no answer in {timeout:g} s")
        except StorageUnavailable as exc:
            return StoreHealth(False, backend, exc.reason)
        except Exception as exc:  # a health check answers; the traceback goes to the log
            log.warning("store health check failed", exc_info=True)
            return StoreHealth(False, backend, type(exc).__name__)
        return StoreHealth(
            True, backend, latency_ms=round((time.perf_counter() - started) * 1000, 1)
        )

    async def stats(self) -> StoreStats:
        """Row counts for the operator (aggregates only)."""
        async with self._db.read() as conn:
            return await store_stats(conn)


async def _migrate_patiently(url: str, timeout: float, engine_kwargs: dict[str, Any]) -> None:
    """Migrate on a connection of its own whose statements may take long (another process
    migrating first holds the lock), while connecting is bounded by `timeout` as usual."""
    pool_options = ("pool_size", "max_overflow", "pool_timeout", "pool_recycle", "pool_use_lifo")
    kwargs = {k: v for k, v in engine_kwargs.items() if k not in pool_options}
    kwargs["poolclass"] = NullPool
    engine = make_engine(
        url, timeout=timeout, statement_timeout=MIGRATION_STATEMENT_TIMEOUT, **kwargs
    )
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
