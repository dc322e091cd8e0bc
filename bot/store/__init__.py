"""Persistence: SQLite file by default, PostgreSQL with `DATABASE_URL`; migrated at start-up."""

from bot.store.db import database_url_from, make_engine
from bot.store.migrations import LATEST_VERSION, SchemaTooNewError, current_version, migrate
from bot.store.repository import (
    CHECK_STATES,
    ChatSettings,
    DeliveryContext,
    OpenClaim,
    Outcome,
    Store,
    StoreStats,
    Subscription,
)

__all__ = [
    "CHECK_STATES",
    "LATEST_VERSION",
    "ChatSettings",
    "DeliveryContext",
    "OpenClaim",
    "Outcome",
    "SchemaTooNewError",
    "Store",
    "StoreStats",
    "Subscription",
    "current_version",
    "database_url_from",
    "make_engine",
    "migrate",
]
