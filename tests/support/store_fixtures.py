"""Fixtures for storage tests: every test runs on a SQLite file and on PostgreSQL.

Import explicitly in a test module (tests/conftest.py belongs to another part of the project):

    from tests.support.store_fixtures import backend_fixture, store_fixture  # noqa: F401

The fixtures are *named* `backend` and `store`; the module attributes carry a `_fixture`
suffix so that test parameters do not shadow the import. The stores they hand out are
`StoreForTests` (tests/support/store_helpers.py): the bot's `Store` plus helpers only tests need.

PostgreSQL: the server at 127.0.0.1:5432, database `test`, trust auth as `postgres` (or
`root`); `OPTOUT_TEST_PG_URL` replaces both. Each test gets its own schema, dropped afterwards.
If the server is unreachable the PostgreSQL variants FAIL, unless `OPTOUT_SKIP_PG=1`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import make_engine
from bot.store.repository import (
    Store,
    chats,
    subscription_leads,
    subscriptions,
)
from tests.support.store_helpers import StoreForTests

PG_URLS = (
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    "postgresql+asyncpg://root@127.0.0.1:5432/test",
)
_pg_state: dict[str, Any] = {}


async def _asyncpg_connect(url: str) -> asyncpg.Connection:
    u = make_url(url)
    return await asyncpg.connect(
        host=u.host,
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        database=u.database,
        timeout=5,
    )


async def pg_execute(url: str, statement: str) -> None:
    """One statement on its own connection (CREATE/DROP SCHEMA or DATABASE)."""
    admin = await _asyncpg_connect(url)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


async def _find_pg_url() -> tuple[str | None, str]:
    """The first PostgreSQL URL that accepts a connection (cached for the session)."""
    if "url" in _pg_state:
        return _pg_state["url"], _pg_state["error"]
    override = os.environ.get("OPTOUT_TEST_PG_URL", "").strip()
    errors = []
    found = None
    for url in [override] if override else PG_URLS:
        try:
            conn = await _asyncpg_connect(url)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            errors.append(f"{make_url(url).render_as_string(hide_password=True)}: {exc!r}")
            continue
        await conn.close()
        found = url
        break
    _pg_state.update(url=found, error="; ".join(errors))
    return found, _pg_state["error"]


@dataclass
class Backend:
    """One database for one test; makes as many engines ("processes") as a test needs."""

    name: str
    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)
    _engines: list[AsyncEngine] = field(default_factory=list)

    def engine(self) -> AsyncEngine:
        engine = make_engine(self.url, connect_args=dict(self.connect_args))
        self._engines.append(engine)
        return engine

    async def store(self) -> StoreForTests:
        store = await StoreForTests.open(self.url, connect_args=dict(self.connect_args))
        self._engines.append(store.engine)
        return store

    async def dispose(self) -> None:
        for engine in self._engines:
            await engine.dispose()


@pytest.fixture(name="backend", params=["sqlite", "postgresql"])
async def backend_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        db = Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'optout-test.sqlite3'}")
        yield db
        await db.dispose()
        return

    url, error = await _find_pg_url()
    if url is None:
        message = (
            "PostgreSQL for the storage tests is not reachable: "
            f"{error}. Start it (.ci/run does) or set OPTOUT_SKIP_PG=1 to skip these tests."
        )
        if os.environ.get("OPTOUT_SKIP_PG") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    schema = f"optout_test_{uuid.uuid4().hex[:12]}"
    await pg_execute(url, f'CREATE SCHEMA "{schema}"')
    db = Backend("postgresql", url, {"server_settings": {"search_path": schema}})
    try:
        yield db
    finally:
        await db.dispose()
        await pg_execute(url, f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(name="store")
async def store_fixture(backend: Backend) -> StoreForTests:
    return await backend.store()


async def bulk_subscribe(
    store: Store,
    chat_ids: Iterable[int],
    lead_times: Iterable[int],
    *,
    region: str | None = None,
    language: str = "en",
) -> None:
    """Many subscribers in three statements (tests and benchmarks; the bot uses `subscribe`)."""
    ids = list(chat_ids)
    leads = list(lead_times)
    async with store.engine.begin() as conn:
        await conn.execute(
            chats.insert(),
            [{"chat_id": c, "language": language, "region": region, "timezone": None} for c in ids],
        )
        await conn.execute(
            subscriptions.insert(), [{"chat_id": c, "active": True, "reason": None} for c in ids]
        )
        await conn.execute(
            subscription_leads.insert(),
            [{"chat_id": c, "lead_seconds": lead} for c in ids for lead in leads],
        )


async def rows_per_table(engine: AsyncEngine, chat_id: int) -> dict[str, int]:
    """For every table in the database that has a `chat_id` column: rows for this chat.

    Reflects the live schema rather than trusting the code's table list, so a table added
    later without `forget` support shows up here.
    """
    from sqlalchemy import MetaData

    async with engine.connect() as conn:

        def reflect(sync_conn: Any) -> MetaData:
            md = MetaData()
            md.reflect(sync_conn)
            return md

        md = await conn.run_sync(reflect)
        counts: dict[str, int] = {}
        for table in md.tables.values():
            if "chat_id" in table.c:
                result = await conn.execute(
                    select(table.c.chat_id).where(table.c.chat_id == chat_id)
                )
                counts[table.name] = len(result.all())
        return counts


async def table_columns(engine: AsyncEngine) -> dict[str, set[str]]:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda c: {
                name: {col["name"] for col in inspect(c).get_columns(name)}
                for name in inspect(c).get_table_names()
            }
        )
