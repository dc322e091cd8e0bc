"""Which database, how to connect to it, and how the store's reads and writes use it.

A laptop runs on a SQLite file under `DATA_DIR`; a Heroku-like host (ephemeral disk) sets
`DATABASE_URL` to PostgreSQL. Both go through SQLAlchemy's async engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import event, func, select, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from bot.store.errors import StorageUnavailable, outage_as_unavailable, unavailable_reason
from bot.store.migrations import schema_version

__all__ = [
    "DEFAULT_TIMEOUT",
    "READ_ONLY_OPTION",
    "SQLITE_FILENAME",
    "Database",
    "WriterQueue",
    "database_url_from",
    "is_postgresql",
    "is_sqlite",
    "make_engine",
]

log = logging.getLogger(__name__)

SQLITE_FILENAME = "optout.sqlite3"
# Seconds to connect, to run one statement, to wait for a pooled connection or for SQLite's
# write lock. A database slower than this is treated as unavailable: the bot answers what it
# can without it instead of holding every update (`DB_TIMEOUT` in the configuration).
DEFAULT_TIMEOUT = 5.0
# `Database.health` calls SQLite full below this much room (in the file or on the disk).
MIN_FREE_PAGES = 8
MIN_FREE_BYTES = 1 << 20
# Execution option: this connection only reads, so on SQLite open a deferred transaction
# (readers never wait for the write lock under WAL). Ignored on PostgreSQL.
READ_ONLY_OPTION = "optout_read_only"

_PG_SCHEMES = ("postgres", "postgresql", "postgresql+asyncpg")
_SQLITE_SCHEMES = ("sqlite", "sqlite+aiosqlite")


def database_url_from(env_url: str | None, data_dir: Path) -> str:
    """The SQLAlchemy URL to use, from `DATABASE_URL` (may be unset) and `DATA_DIR`.

    Unset or blank -> a SQLite file `<data_dir>/optout.sqlite3` (the directory is created;
    `StorageUnavailable` with the directory's name if it cannot be).
    Heroku hands out `postgres://...`, which SQLAlchemy does not know; it becomes
    `postgresql+asyncpg://...`. A `sslmode=` query parameter (libpq spelling) becomes asyncpg's
    `ssl=`. Anything else is refused, naming what is accepted.
    """
    if env_url is None or not env_url.strip():
        data_dir = Path(data_dir).expanduser()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(
                unavailable_reason(exc) or "cannot create the directory",
                f"cannot create the data directory {data_dir.absolute()} for the SQLite "
                f"database ({exc.strerror or exc}): check DATA_DIR",
            ) from exc
        return f"sqlite+aiosqlite:///{(data_dir / SQLITE_FILENAME).resolve()}"

    url = env_url.strip()
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if sep and scheme in _PG_SCHEMES:
        parts = urlsplit(f"postgresql+asyncpg://{rest}")
        if not parts.hostname and not parts.path.strip("/"):
            raise ValueError(
                "DATABASE_URL must name a host and database, e.g. postgres://user:pw@host:5432/db"
            )
        query = [
            ("ssl" if k == "sslmode" else k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit(parts._replace(query=urlencode(query)))
    if sep and scheme in _SQLITE_SCHEMES:
        return f"sqlite+aiosqlite://{rest}"
    shown = scheme if sep else url.split("@")[-1][:40]
    raise ValueError(
        "DATABASE_URL must be a PostgreSQL URL (postgres://, postgresql:// or "
        f"postgresql+asyncpg://) or a SQLite URL (sqlite:///path), got {shown!r}"
    )


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    name = (
        url_or_engine.dialect.name
        if isinstance(url_or_engine, AsyncEngine)
        else make_url(url_or_engine).get_backend_name()
    )
    return name == "sqlite"


def is_postgresql(url_or_engine: str | AsyncEngine) -> bool:
    name = (
        url_or_engine.dialect.name
        if isinstance(url_or_engine, AsyncEngine)
        else make_url(url_or_engine).get_backend_name()
    )
    return name == "postgresql"


def make_engine(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    statement_timeout: float | None = None,
    **engine_kwargs: Any,
) -> AsyncEngine:
    """An async engine configured for several concurrent writers, and for outages.

    SQLite: WAL (readers never block the writer), `synchronous=NORMAL` (durable with WAL),
    foreign keys on, a busy timeout, and every transaction opened with `BEGIN IMMEDIATE`
    unless the connection carries the `READ_ONLY_OPTION` execution option (then a deferred
    `BEGIN`: under WAL readers never wait). The point: pysqlite's default opens transactions
    lazily, so DDL ran outside any transaction and a read-then-write transaction could fail
    at once with "database is locked" instead of waiting. Taking the write lock at `BEGIN`
    serializes writers (and the migration) cleanly across processes.

    PostgreSQL: `pool_pre_ping` so connections dropped by a host restart are replaced.

    Time limits: `timeout` bounds connecting and waiting for a pooled connection;
    `statement_timeout` (default: `timeout`) bounds each statement, and on SQLite the wait
    for another process's write lock. Without them a stopped or hung server held each call
    for a minute or more. Extra keyword arguments go to `create_async_engine` (tests pass
    `connect_args`).
    """
    statement = timeout if statement_timeout is None else statement_timeout
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        connect_args = {"timeout": statement, **engine_kwargs.pop("connect_args", {})}
        if parsed.database in (None, "", ":memory:"):
            engine_kwargs.setdefault("poolclass", StaticPool)
        engine = create_async_engine(url, connect_args=connect_args, **engine_kwargs)
        _configure_sqlite(engine, busy_timeout_ms=round(statement * 1000))
        return engine
    if backend == "postgresql":
        connect_args = {
            "timeout": timeout,
            "command_timeout": statement,
            **engine_kwargs.pop("connect_args", {}),
        }
        engine_kwargs.setdefault("pool_pre_ping", True)
        if engine_kwargs.get("poolclass") is None:
            engine_kwargs.setdefault("pool_timeout", timeout)
        return create_async_engine(url, connect_args=connect_args, **engine_kwargs)
    raise ValueError(f"unsupported database backend {backend!r}: expected sqlite or postgresql")


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below decide when a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() != "wal":
                try:
                    cursor.execute("PRAGMA journal_mode=WAL")
                except Exception as exc:  # the driver's OperationalError, wrapped or not
                    # Several processes opening a brand-new file at once: switching needs an
                    # exclusive lock and SQLite answers "locked" without waiting. WAL is a
                    # property of the file, so whichever connection wins switches it for all;
                    # until then this connection still works, in rollback-journal mode.
                    # A read-only file cannot switch either; its writes fail later, clearly.
                    text = str(exc).lower()
                    if "locked" not in text and "readonly" not in text:
                        raise
                    log.debug("SQLite: WAL switch deferred (%s)", exc)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class WriterQueue:
    """SQLite's one writer, as a queue with a fast lane.

    A delivery round's workers each wait for their last result to be written before they
    send again, while claims only fetch more work. So results (`urgent`) go first, or a
    hundred workers claiming at the start of a round would hold sending up behind their
    claims; but never more than twice in a row while others wait.
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


class Database:
    """An engine as the store uses it: reads never take the write lock, writes queue up, and
    an outage is one exception.

    SQLite has one writer at a time. Queueing our own writers here keeps them off SQLite's
    busy handler, which waits in coarse sleeps (milliseconds, growing); other processes
    still meet it, through the busy timeout. Whatever the driver raises because the database
    cannot be reached or written leaves `read` and `write` as `StorageUnavailable`; other
    errors pass unchanged.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reader = engine.execution_options(**{READ_ONLY_OPTION: True})
        sqlite = engine.dialect.name == "sqlite"
        dialect: Any = sqlite_dialect if sqlite else pg_dialect
        self.insert = dialect.insert  # the dialect's INSERT, which knows ON CONFLICT
        self._writers = WriterQueue() if sqlite else None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reading: a plain (deferred) transaction, never the write lock."""
        with outage_as_unavailable():
            async with self._reader.connect() as conn:
                yield conn

    @asynccontextmanager
    async def write(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """A write transaction (on SQLite: `BEGIN IMMEDIATE`, one writer of ours at a time).

        `urgent` writers go first in that queue (delivery results: their workers wait).
        """
        with outage_as_unavailable():
            if self._writers is None:
                async with self.engine.begin() as conn:
                    yield conn
            else:
                async with self._writers.turn(urgent), self.engine.begin() as conn:
                    yield conn

    async def check_writable(self) -> None:
        """Write and commit, changing nothing; raise `StorageUnavailable` if that fails.

        A read (`SELECT 1`) passes on a full disk or a read-only database, where every
        write fails. So this commits a real write: on PostgreSQL an update of the latest
        `schema_version` row to itself (a new row version, as any update makes); on SQLite
        `PRAGMA user_version` set to its own value, which rewrites the file's header page.
        SQLite reuses its log file, so that write can pass on a full disk: room in the file
        (`max_page_count`) and on the disk holding it is checked as well.
        """
        async with self.write() as conn:
            if self._writers is None:
                latest = select(func.max(schema_version.c.version)).scalar_subquery()
                await conn.execute(
                    update(schema_version)
                    .where(schema_version.c.version == latest)
                    .values(description=schema_version.c.description)
                )
                return
            version = (await conn.exec_driver_sql("PRAGMA user_version")).scalar_one()
            await conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
            pages = {
                name: int((await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one())
                for name in ("page_count", "max_page_count", "freelist_count")
            }
        room = pages["max_page_count"] - pages["page_count"] + pages["freelist_count"]
        if room < MIN_FREE_PAGES:
            raise StorageUnavailable("disk full", "the database file has reached its size limit")
        database = self.engine.url.database
        if database in (None, "", ":memory:"):
            return
        try:
            free = shutil.disk_usage(Path(database).expanduser().absolute().parent).free
        except OSError:  # a `file:` URI: no directory to look at
            return
        if free < MIN_FREE_BYTES:
            raise StorageUnavailable("disk full", f"{free} bytes free on the database's disk")
