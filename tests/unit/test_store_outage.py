"""The store through a database outage: one exception, a bounded wait, recovery by itself.

PostgreSQL is the shared server behind a TCP proxy the test controls (tests/support/tcp_proxy.py):
closing the proxy is a stopped server (connection refused), hanging it is a server that no
longer answers, reopening it is the server back. SQLite is a real file: read-only (opened
with `mode=ro`), full (`max_page_count` pinned to the pages it has) or locked by another
connection. Every case checks the exception and its reason, that the wait is bounded, that
`health()` reports the same reason, and that the next call works once the cause is gone,
with nothing stored lost.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bot.store import StorageUnavailable, Store, analytics
from bot.store.db import make_engine
from bot.store.repository import ChatSettings
from tests.support.store_fixtures import Backend, backend_fixture  # noqa: F401
from tests.support.tcp_proxy import TcpProxy

TIMEOUT = 1.0  # the store's time limit in these tests, seconds
# Connecting (pre-ping, then a new connection) and the statement each get TIMEOUT: a call
# that meets a hung server gives up within a few of them, never a minute.
BOUND = 4 * TIMEOUT + 1.0

pytestmark = pytest.mark.timeout(90)


async def timed(call: Any) -> tuple[StorageUnavailable, float]:
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as info:
        await call
    return info.value, time.monotonic() - started


# -- PostgreSQL behind a proxy --------------------------------------------------------------


@pytest.fixture
async def proxied(backend: Backend) -> AsyncIterator[tuple[Store, TcpProxy]]:
    """A store whose connections go through a proxy to the test's PostgreSQL schema."""
    target = make_url(backend.url)
    async with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        store = await Store.open(url, timeout=TIMEOUT, connect_args=dict(backend.connect_args))
        try:
            yield store, proxy
        finally:
            await proxy.open()
            await store.close()


pg_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pg_only
async def test_a_stopped_server_is_storage_unavailable_and_the_store_recovers(proxied):
    store, proxy = proxied
    await store.set_timezone(5, "Europe/Berlin")
    await proxy.close()

    calls = (
        store.get_settings(5),
        store.set_region(5, "eu"),
        store.get_subscription(5),
        store.stats(),
        analytics.totals(store.engine),
        analytics.add_unmatched(store.engine, ["a question"], date(2026, 11, 29)),
    )
    for call in calls:
        error, waited = await timed(call)
        assert error.reason in ("connection refused", "connection lost"), error.reason
        assert waited < BOUND
    health = await store.health()
    assert (health.ok, health.reason) == (False, "connection refused")
    assert health.as_dict() == {"ok": False, "backend": "postgresql", "error": "connection refused"}

    await proxy.open()  # the server is back: the same store works, nothing was lost
    assert await store.get_settings(5) == ChatSettings(5, timezone="Europe/Berlin")
    await store.set_region(5, "eu")
    assert (await store.get_settings(5)).region == "eu"
    assert (await store.health()).ok


@pg_only
async def test_a_hung_server_is_a_bounded_wait_for_every_caller(proxied):
    store, proxy = proxied
    await store.set_timezone(6, "Europe/Paris")
    proxy.hang()

    # More callers than the pool has connections: the rest wait for the pool, boundedly.
    started = time.monotonic()
    calls = [store.get_settings(6) for _ in range(15)]
    calls += [store.set_region(6, "eu") for _ in range(5)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    waited = time.monotonic() - started
    assert all(isinstance(r, StorageUnavailable) for r in results), results
    assert {r.reason for r in results} <= {"timed out", "timed out waiting for a free connection"}
    assert waited < 2 * BOUND, waited
    health = await store.health(timeout=TIMEOUT)
    assert not health.ok and health.reason is not None and "no answer" in health.reason

    await proxy.open()
    assert await store.get_settings(6) == ChatSettings(6, timezone="Europe/Paris")
    assert (await store.health()).ok


@pg_only
async def test_a_read_only_postgresql_is_unavailable_for_writes_only(backend: Backend):
    writable = await backend.store()
    await writable.set_timezone(7, "Europe/Rome")
    settings = {**backend.connect_args["server_settings"], "default_transaction_read_only": "on"}
    store = Store(make_engine(backend.url, connect_args={"server_settings": settings}))
    try:
        assert await store.get_settings(7) == ChatSettings(7, timezone="Europe/Rome")
        error, _ = await timed(store.set_timezone(7, "Europe/Berlin"))
        assert error.reason == "read-only"
        health = await store.health()
        assert (health.ok, health.reason) == (False, "read-only")
        assert (await writable.health()).ok
    finally:
        await store.close()


# -- SQLite -----------------------------------------------------------------------------------


async def test_a_read_only_sqlite_file_is_unavailable_for_writes_only(tmp_path: Path):
    path = tmp_path / "optout.sqlite3"
    async with await Store.open(f"sqlite+aiosqlite:///{path}") as store:
        await store.set_timezone(8, "Europe/Amsterdam")
    url = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    async with Store(make_engine(url, timeout=TIMEOUT)) as store:
        assert await store.get_settings(8) == ChatSettings(8, timezone="Europe/Amsterdam")
        error, waited = await timed(store.set_timezone(8, "Europe/Berlin"))
        assert error.reason == "read-only" and waited < BOUND
        assert str(error) == "the database is unavailable (read-only)"
        health = await store.health()
        assert (health.ok, health.reason) == (False, "read-only")


async def test_a_full_sqlite_database_fails_writes_keeps_reads_and_recovers(tmp_path: Path):
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'optout.sqlite3'}")
    limit: dict[str, int | None] = {"pages": None}

    @event.listens_for(store.engine.sync_engine, "begin")
    def _pin_size(conn: Any) -> None:
        # Runs before the store's own BEGIN hook; a pragma outside a transaction is fine.
        pages = limit["pages"]
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pages or 1073741823}")

    try:
        await store.set_timezone(9, "Europe/Madrid")
        assert (await store.health()).ok
        async with store.engine.connect() as conn:
            limit["pages"] = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()

        error = None
        for chat_id in range(1000, 6000):  # new rows need new pages, which there are none of
            try:
                await store.set_timezone(chat_id, "Europe/Madrid")
            except StorageUnavailable as exc:
                error = exc
                break
        assert error is not None and error.reason == "disk full"
        # Reads still work.
        assert await store.get_settings(9) == ChatSettings(9, timezone="Europe/Madrid")
        health = await store.health()
        assert (health.ok, health.reason) == (False, "disk full")

        limit["pages"] = None  # space freed: the same store writes again
        await store.set_timezone(99_999, "Europe/Madrid")
        assert (await store.get_settings(99_999)).timezone == "Europe/Madrid"
        assert (await store.health()).ok
    finally:
        await store.close()


async def test_a_sqlite_lock_held_elsewhere_is_a_bounded_wait(tmp_path: Path):
    path = tmp_path / "optout.sqlite3"
    store = await Store.open(f"sqlite+aiosqlite:///{path}", timeout=0.5)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        error, waited = await timed(store.set_timezone(10, "Europe/Lisbon"))
        assert error.reason == "locked by another process"
        assert waited < 0.5 + 2.0
        assert await store.get_settings(10) == ChatSettings(10)  # WAL: reads do not wait
        other.execute("ROLLBACK")
        await store.set_timezone(10, "Europe/Lisbon")
        assert (await store.get_settings(10)).timezone == "Europe/Lisbon"
    finally:
        other.close()
        await store.close()


# -- what is not an outage --------------------------------------------------------------------


async def test_errors_that_are_not_outages_pass_unchanged(store_on_sqlite: Store):
    with pytest.raises(ValueError, match="region must be one of"):
        await store_on_sqlite.set_region(1, "mars")
    with pytest.raises(Exception) as info:
        async with store_on_sqlite._db.write() as conn:
            await conn.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")
    assert not isinstance(info.value, StorageUnavailable)


@pytest.fixture
async def store_on_sqlite(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'optout.sqlite3'}") as store:
        yield store
