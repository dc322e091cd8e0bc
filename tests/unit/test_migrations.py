"""Versioned migrations, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    SchemaTooNewError,
    current_version,
    migrate,
)
from bot.store.repository import metadata
from tests.support.store_fixtures import (
    Backend,
    backend_fixture,  # noqa: F401 - fixture
    table_columns,
)
from tests.support.store_helpers import StoreForTests

V1_COLUMNS = {
    "chats": {"chat_id", "language", "region", "timezone"},
    "subscriptions": {"chat_id", "active", "reason"},
    "subscription_leads": {"chat_id", "lead_seconds"},
    "checklist": {"chat_id", "platform", "state"},
    "deliveries": {"chat_id", "deadline_id", "lead_seconds", "status", "claimed_at"},
    "schema_version": {"version", "description", "applied_at"},
}
CLAIMED_AT = datetime(2026, 5, 1, 8, 30, 15)  # naive UTC, as stored


async def _rows(engine: AsyncEngine, table: str, columns: set[str]) -> list[tuple[Any, ...]]:
    cols = ", ".join(sorted(columns))
    async with engine.connect() as conn:
        result = await conn.execute(text(f"SELECT {cols} FROM {table} ORDER BY {cols}"))
        return [tuple(row) for row in result]


async def _fill_v1(engine: AsyncEngine) -> None:
    """Data as the v1 code wrote it (raw SQL: today's table objects know v2 columns)."""
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO chats VALUES (:c, :l, :r, :t)"),
            [
                {"c": 1, "l": "en", "r": "eu", "t": "Europe/Brussels"},
                {"c": -1001234567890, "l": "de", "r": None, "t": None},
                {"c": 3, "l": "pt", "r": "br", "t": "America/Sao_Paulo"},
            ],
        )
        await conn.execute(
            text("INSERT INTO subscriptions VALUES (:c, :a, :r)"),
            [
                {"c": 1, "a": True, "r": None},
                {"c": -1001234567890, "a": True, "r": None},
                {"c": 3, "a": False, "r": "blocked"},
            ],
        )
        await conn.execute(
            text("INSERT INTO subscription_leads VALUES (:c, :s)"),
            [{"c": 1, "s": 86400}, {"c": 1, "s": 7200}, {"c": -1001234567890, "s": 86400}],
        )
        await conn.execute(
            text("INSERT INTO checklist VALUES (:c, :p, :s)"),
            [{"c": 1, "p": "meta", "s": "done"}, {"c": 3, "p": "linkedin", "s": "na"}],
        )
        await conn.execute(
            text("INSERT INTO deliveries VALUES (:c, :d, :l, :s, :t)"),
            [
                {"c": 1, "d": "meta-2026", "l": 86400, "s": "sent", "t": CLAIMED_AT},
                {
                    "c": -1001234567890,
                    "d": "meta-2026",
                    "l": 86400,
                    "s": "claimed",
                    "t": CLAIMED_AT,
                },
                {"c": 3, "d": "meta-2026", "l": 86400, "s": "deactivated", "t": CLAIMED_AT},
            ],
        )


def test_versions_are_contiguous_and_described() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
    assert LATEST_VERSION >= 2
    assert all(m.description for m in MIGRATIONS)


async def test_fresh_database_reaches_latest_matching_the_code(backend: Backend) -> None:
    engine = backend.engine()
    assert await current_version(engine) == 0
    assert await migrate(engine) == LATEST_VERSION
    assert await current_version(engine) == LATEST_VERSION
    columns = await table_columns(engine)
    columns.pop("schema_version")
    assert columns == {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}
    async with engine.connect() as conn:
        indexes = await conn.run_sync(
            lambda c: {i["name"] for t in columns for i in inspect(c).get_indexes(t)}
        )
    assert {"ix_subscription_leads_lead_chat", "ix_deliveries_open_claims"} <= indexes


async def test_v1_database_upgrades_without_loss(backend: Backend) -> None:
    engine = backend.engine()
    assert await migrate(engine, target=1) == 1
    assert await table_columns(engine) == V1_COLUMNS
    await _fill_v1(engine)
    before = {t: await _rows(engine, t, cols) for t, cols in V1_COLUMNS.items()}
    assert sum(len(rows) for rows in before.values()) == 15

    assert await migrate(engine) == LATEST_VERSION

    # Every v1 value is still there, column for column; only the 'en' every v1 row was given
    # by default reads as "not chosen" now (v5).
    before["chats"] = [
        tuple("" if value == "en" else value for value in row) for row in before["chats"]
    ]
    for table, cols in V1_COLUMNS.items():
        if table == "schema_version":
            continue
        assert await _rows(engine, table, cols) == before[table], table
    # New columns are backfilled from what v1 knew.
    by_chat: dict[int, tuple[Any, ...]] = {}
    async with engine.connect() as conn:
        for row in await conn.execute(
            text("SELECT chat_id, attempts, claims, claimed_by, finished_at FROM deliveries")
        ):
            by_chat[row[0]] = tuple(row[1:])
    finished_at = by_chat[1][3]
    assert finished_at is not None
    assert (by_chat[1][:3], by_chat[3][:3]) == ((1, 1, None), (1, 1, None))
    assert by_chat[-1001234567890] == (0, 1, None, None)  # still in flight

    # And the store reads the upgraded data correctly.
    store = StoreForTests(engine)
    sub = await store.get_subscription(1)
    assert sub is not None and sub.lead_times == (86400, 7200) and sub.active
    assert (await store.get_settings(-1001234567890)).language == "de"
    record = await store.get_delivery(1, "meta-2026", 86400)
    assert record is not None
    assert record.finished_at == CLAIMED_AT.replace(tzinfo=UTC) == record.claimed_at
    # The claim v1 left open can be taken over under the v2 lease rule.
    now = CLAIMED_AT.replace(tzinfo=UTC) + timedelta(hours=1)
    stale = now - timedelta(minutes=2)
    assert await store.due_chats("meta-2026", 86400, ["eu"], stale_before=stale) == [-1001234567890]
    assert await store.claim_delivery(
        -1001234567890, "meta-2026", 86400, owner="new", now=now, stale_before=stale
    )


async def test_migrate_is_idempotent(backend: Backend) -> None:
    engine = backend.engine()
    await migrate(engine)
    history = await _rows(engine, "schema_version", {"version", "description", "applied_at"})
    assert [row[2] for row in history] == list(range(1, LATEST_VERSION + 1))
    assert await migrate(engine) == LATEST_VERSION
    assert await migrate(engine, target=1) == LATEST_VERSION  # never downgrades
    assert await _rows(engine, "schema_version", {"version", "description", "applied_at"}) == (
        history
    )


async def test_concurrent_start_ups_migrate_once(backend: Backend) -> None:
    engines = [backend.engine() for _ in range(4)]
    results = await asyncio.gather(*(migrate(e) for e in engines))
    assert results == [LATEST_VERSION] * 4
    history = await _rows(engines[0], "schema_version", {"version"})
    assert history == [(v,) for v in range(1, LATEST_VERSION + 1)]


async def test_failed_upgrade_leaves_the_database_untouched(backend: Backend) -> None:
    def broken(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
        raise RuntimeError("step 3 fails halfway")

    steps = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "broken", broken))
    engine = backend.engine()
    with pytest.raises(RuntimeError, match="halfway"):
        await migrate(engine, migrations=steps)
    # All steps ran in one transaction: not even v1 was kept.
    assert await current_version(engine) == 0
    assert "chats" not in await table_columns(engine)

    await migrate(engine)
    with pytest.raises(RuntimeError, match="halfway"):
        await migrate(engine, migrations=steps)
    assert await current_version(engine) == LATEST_VERSION
    assert "half_done" not in await table_columns(engine)


async def test_database_newer_than_the_code_is_refused(backend: Backend) -> None:
    engine = backend.engine()
    await migrate(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO schema_version VALUES (:v, 'from the future', :t)"),
            {"v": LATEST_VERSION + 5, "t": CLAIMED_AT},
        )
    with pytest.raises(SchemaTooNewError, match="upgrade the bot"):
        await migrate(engine)


async def test_v5_turns_the_old_english_default_into_not_chosen(backend: Backend) -> None:
    """Before /language every row got 'en'; '' is what a chat that never chose now has."""
    engine = backend.engine()
    await migrate(engine, target=4)
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO chats VALUES (:c, :l, :r, NULL)"),
            [
                {"c": 1, "l": "en", "r": "eu"},
                {"c": 2, "l": "de", "r": None},
                {"c": 3, "l": "", "r": None},
            ],
        )
    assert await migrate(engine) == LATEST_VERSION
    assert await _rows(engine, "chats", {"chat_id", "language"}) == [(1, ""), (2, "de"), (3, "")]
    store = StoreForTests(engine)
    assert (await store.get_settings(1)).language is None  # not chosen: follows the messages
    assert (await store.get_settings(1)).region == "eu"  # nothing else changes
    assert (await store.get_settings(2)).language == "de"
    # A choice of English made from now on is kept: the step ran once and never again.
    await store.set_language(1, "en")
    assert await migrate(engine) == LATEST_VERSION
    assert (await store.get_settings(1)).language == "en"


def test_migration_list_must_not_have_gaps() -> None:
    with pytest.raises(ValueError, match="without gaps"):
        asyncio.run(migrate(None, migrations=(MIGRATIONS[1],)))  # type: ignore[arg-type]


async def test_store_open_upgrades_an_old_database(backend: Backend) -> None:
    engine = backend.engine()
    await migrate(engine, target=1)
    await _fill_v1(engine)
    store = await backend.store()
    assert await current_version(store.engine) == LATEST_VERSION
    assert await store.get_checklist(1) == {"meta": "done"}
