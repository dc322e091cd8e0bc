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
- db.py: the engine, read and write transactions, SQLite's queue of writers.
The names callers use are re-exported here.
"""

from __future__ import annotations

from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.alerts import AlertQueries, AlertRound
from bot.store.analytics import StoreStats, store_stats
from bot.store.chats import ChatQueries, ChatSettings, DeliveryContext, Subscription
from bot.store.checkup import CheckupContext, CheckupQueries, FinishedNudge, Nudge
from bot.store.db import Database, make_engine
from bot.store.deliveries import DeliveryQueries, DeliveryResult, OpenClaim
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
    "Store",
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


class Store(ChatQueries, DeliveryQueries, CheckupQueries, AlertQueries, FeedbackQueries):
    """Async access to the bot's tables. Every method is one short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = Database(engine)

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
        return self._db.engine

    async def close(self) -> None:
        await self._db.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def stats(self) -> StoreStats:
        """Row counts for the operator (aggregates only)."""
        async with self._db.read() as conn:
            return await store_stats(conn)
