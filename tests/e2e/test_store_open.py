"""Opening the store at start-up: one line that names the database and what to check.

Every failure is real: a closed port, a host that cannot resolve (`.invalid` never does), a
port that accepts and never answers, a database the server does not have, a missing or
read-only directory, a read-only file. The line masks the password, and the wait is bounded
by the store's timeout rather than the driver's default minute.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.store import StorageUnavailable, Store, database_url_from
from bot.store.errors import masked_url, unavailable_reason
from tests.support.botapi import BotApiStandIn
from tests.support.e2e_helpers import TOKEN, BotProcess, bot_env, free_port
from tests.support.store_fixtures import PG_URLS, _find_pg_url
from tests.support.tcp_proxy import silent_listener

pytestmark = pytest.mark.timeout(60)

SECRET = "s3cret-pw"


async def open_failure(url: str, timeout: float = 2.0) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as info:
        await Store.open(url, timeout=timeout)
    line = str(info.value)
    assert "\n" not in line and SECRET not in line
    return line, time.monotonic() - started


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: refused


async def test_a_closed_port_says_connection_refused():
    port = closed_port()
    line, waited = await open_failure(f"postgresql+asyncpg://bot:{SECRET}@127.0.0.1:{port}/db")
    assert line == (
        f"cannot reach the database at 127.0.0.1:{port} (connection refused): is PostgreSQL "
        f"running and accepting connections? DATABASE_URL=postgresql://bot:***@127.0.0.1:{port}/db"
    )
    assert waited < 2.0


async def test_a_host_that_does_not_resolve_says_host_not_found(tmp_path: Path):
    url = database_url_from(f"postgres://bot:{SECRET}@nonexistent.invalid/db", tmp_path)
    line, waited = await open_failure(url)
    assert line == (
        "cannot reach the database at nonexistent.invalid:5432 (host not found): check the host "
        "in DATABASE_URL=postgresql://bot:***@nonexistent.invalid/db"
    )
    assert waited < 2.0 + 1.0


async def test_a_server_that_never_answers_is_a_bounded_wait():
    async with silent_listener() as port:
        url = f"postgresql+asyncpg://bot:{SECRET}@127.0.0.1:{port}/db"
        line, waited = await open_failure(url, timeout=1.0)
    assert line.startswith(f"cannot reach the database at 127.0.0.1:{port} (no answer in 1 s)")
    assert line.endswith(f"DATABASE_URL=postgresql://bot:***@127.0.0.1:{port}/db")
    assert 0.9 < waited < 3.0


async def test_a_database_the_server_does_not_have_is_named():
    url, error = await _find_pg_url()
    if url is None:
        pytest.fail(f"PostgreSQL for the storage tests is not reachable: {error}")
    missing = make_url(url).set(database="optout_no_such_database")
    line, _ = await open_failure(missing.render_as_string(hide_password=False))
    host = f"{missing.host}:{missing.port or 5432}"
    assert line.startswith(
        f"the database server at {host} has no database 'optout_no_such_database': "
    )


async def test_a_missing_sqlite_directory_is_named(tmp_path: Path):
    path = tmp_path / "no" / "such" / "optout.sqlite3"
    line, _ = await open_failure(f"sqlite+aiosqlite:///{path}")
    assert line == (
        f"cannot open the SQLite database at {path}: the directory {path.parent} does not exist "
        "(check DATA_DIR or DATABASE_URL)"
    )


async def test_a_read_only_directory_is_named(tmp_path: Path):
    with read_only(tmp_path / "ro", directory=True) as directory:
        path = directory / "optout.sqlite3"
        line, _ = await open_failure(f"sqlite+aiosqlite:///{path}")
        assert line.startswith(f"cannot open or write the SQLite database at {path} (")
        assert f"check that the file and {directory} are writable by this user" in line

        with pytest.raises(StorageUnavailable) as info:
            database_url_from(None, directory / "data")
        assert str(info.value).startswith(
            f"cannot create the data directory {directory / 'data'} for the SQLite database ("
        )
        assert str(info.value).endswith("): check DATA_DIR")


async def test_a_read_only_file_is_refused_at_start_up_not_at_the_first_write(tmp_path: Path):
    path = tmp_path / "optout.sqlite3"
    async with await Store.open(f"sqlite+aiosqlite:///{path}"):
        pass
    with read_only(path, directory=False):
        line, _ = await open_failure(f"sqlite+aiosqlite:///{path}")
    assert line.startswith(f"cannot open or write the SQLite database at {path} (read-only)")


def test_the_masked_url_keeps_everything_but_the_password():
    assert masked_url(f"postgresql+asyncpg://u:{SECRET}@h:6543/d?ssl=require") == (
        "postgresql://u:***@h:6543/d?ssl=require"
    )
    assert masked_url(PG_URLS[0]) == "postgresql://postgres@127.0.0.1:5432/test"


def test_errors_that_are_not_outages_have_no_reason():
    assert unavailable_reason(ValueError("bad region")) is None
    assert unavailable_reason(KeyError("x")) is None
    assert unavailable_reason(ConnectionRefusedError(111, "refused")) == "connection refused"
    assert unavailable_reason(socket.gaierror(-2, "Name or service not known")) == "host not found"


# -- the whole program --------------------------------------------------------------------------


async def test_the_bot_stops_with_one_line_when_postgresql_is_down(tmp_path: Path):
    port = closed_port()
    async with BotApiStandIn(TOKEN) as standin:
        env = bot_env(
            standin,
            tmp_path / "data",
            DATABASE_URL=f"postgres://bot:{SECRET}@127.0.0.1:{port}/optout",
            PORT=str(free_port()),
            LISTEN="127.0.0.1",
        )
        bot = BotProcess(env, tmp_path / "run")
        started = time.monotonic()
        await bot.start()
        try:
            assert await bot.wait_exit(30) == 2
        finally:
            await bot.close()
    assert time.monotonic() - started < 20
    lines = [line for line in bot.lines if line.startswith("optout-bot:")]
    assert len(lines) == 1, bot.log()
    assert (
        f"cannot reach the database at 127.0.0.1:{port} (connection refused): is PostgreSQL "
        f"running and accepting connections? DATABASE_URL=postgresql://bot:***@127.0.0.1:{port}/"
        "optout"
    ) in lines[0]
    assert SECRET not in bot.log() and "Traceback" not in bot.log()


# -- helpers --------------------------------------------------------------------------------------


@contextlib.contextmanager
def read_only(path: Path, *, directory: bool) -> Iterator[Path]:
    """Make `path` read-only for this process, really: a mode for a user, the immutable
    attribute for root (whom modes do not stop). Skips where neither works."""
    if directory:
        path.mkdir(exist_ok=True)
    root = os.geteuid() == 0
    if root:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot make {path} read-only as root here: {done.stderr.strip()}")
    else:
        path.chmod(0o555 if directory else 0o444)
    try:
        yield path
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
        else:
            path.chmod(0o755 if directory else 0o644)
