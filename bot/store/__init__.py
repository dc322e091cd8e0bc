"""Persistence: SQLite file by default, PostgreSQL with `DATABASE_URL`; migrated at start-up."""

from bot.store.db import DEFAULT_TIMEOUT, database_url_from, make_engine
from bot.store.errors import StorageUnavailable
from bot.store.migrations import LATEST_VERSION, SchemaTooNewError, current_version, migrate
from bot.store.repository import (
    CHECK_STATES,
    ChatSettings,
    DeliveryContext,
    OpenClaim,
    Outcome,
    Store,
    StoreHealth,
    StoreStats,
    Subscription,
)

__all__ = [
    "CHECK_STATES",
    "DEFAULT_TIMEOUT",
    "LATEST_VERSION",
    "ChatSettings",
    "DeliveryContext",
    "OpenClaim",
    "Outcome",
    "SchemaTooNewError",
    "StorageUnavailable",
    "Store",
    "StoreHealth",
    "StoreStats",
    "Subscription",
    "current_version",
    "database_url_from",
    "make_engine",
    "migrate",
]
