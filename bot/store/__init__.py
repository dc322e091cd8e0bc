"""Persistence: SQLite file by default, PostgreSQL with `DATABASE_URL`; migrated at start-up."""

from bot.store.db import DEFAULT_TIMEOUT, database_url_from, make_engine
from bot.store.errors import StorageUnavailable
from bot.store.migrations import LATEST_VERSION, SchemaTooNewError, current_version, migrate
from bot.store.repository import (
    CHECK_STATES,
    AlertRound,
    ChatSettings,
    CheckupContext,
    DeliveryContext,
    DueChat,
    Nudge,
    OpenClaim,
    Outcome,
    Store,
    StoreHealth,
    StoreStats,
    Subscription,
    VoteCount,
)

__all__ = [
    "CHECK_STATES",
    "DEFAULT_TIMEOUT",
    "LATEST_VERSION",
    "AlertRound",
    "ChatSettings",
    "CheckupContext",
    "DeliveryContext",
    "DueChat",
    "Nudge",
    "OpenClaim",
    "Outcome",
    "SchemaTooNewError",
    "StorageUnavailable",
    "Store",
    "StoreHealth",
    "StoreStats",
    "Subscription",
    "VoteCount",
    "current_version",
    "database_url_from",
    "make_engine",
    "migrate",
]
