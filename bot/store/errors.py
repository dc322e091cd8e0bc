"""One exception for "the database cannot be used right now", whatever the driver said.

The bot keeps answering through a database outage (the FAQ needs no database), so its
adapter must tell an outage from a bug. Every `Store` method therefore raises
`StorageUnavailable` for a refused or lost connection, an unknown host, a timeout, a full
disk, a read-only database or a lock held too long, on SQLite and PostgreSQL alike, with a
short `reason` that is safe to log and to show in /healthz (no URL, no data). Anything else
(a constraint violated, a bug in a statement) is left as it was raised.

Start-up has the same cause list but a different reader: `open_failure` turns it into one
line for the operator that names the database, says what to check, and masks the password.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

__all__ = [
    "StorageUnavailable",
    "masked_url",
    "open_failure",
    "outage_as_unavailable",
    "unavailable_reason",
]


class StorageUnavailable(Exception):
    """The database cannot serve this call now; what is stored is untouched. Retry later.

    `reason` is a short phrase ("connection refused", "disk full", "timed out"); the message
    (`str()`) is a whole sentence.
    """

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message or f"the database is unavailable ({reason})")
        self.reason = reason


# PostgreSQL SQLSTATEs, by class (first two characters) or in full.
_PG_CLASSES = {
    "08": "connection lost",  # connection exception
    "53": "out of resources",  # insufficient resources (refined below)
    "57": "the server stopped the statement",  # operator intervention (refined below)
    "58": "server I/O error",  # system error
    "28": "login refused",  # invalid authorization specification
}
_PG_CODES = {
    "53100": "disk full",
    "53200": "out of memory",
    "53300": "too many connections",
    "57014": "timed out",  # query_canceled: statement_timeout, or our cancel after a timeout
    "57P01": "the server is shutting down",
    "57P02": "the server restarted",
    "57P03": "the server is starting up or shutting down",
    "25006": "read-only",  # read_only_sql_transaction: a standby, or read-only by setting
    "3D000": "no such database",
}
# SQLite primary result codes (the low byte of the extended code).
_SQLITE_CODES = {
    5: "locked by another process",  # SQLITE_BUSY after the busy timeout
    6: "locked by another process",  # SQLITE_LOCKED
    8: "read-only",  # SQLITE_READONLY
    10: "disk I/O error",  # SQLITE_IOERR
    11: "damaged database file",  # SQLITE_CORRUPT
    13: "disk full",  # SQLITE_FULL
    14: "cannot open the database file",  # SQLITE_CANTOPEN
    26: "not a database file",  # SQLITE_NOTADB
}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the driver's exception SQLAlchemy wraps, and what they were raised from.

    Only explicit links (`orig`, `__cause__`): an error raised while handling an outage
    (`__context__`) is a different error, not the outage.
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.append(getattr(current, "orig", None))
        todo.append(current.__cause__)


def unavailable_reason(exc: BaseException) -> str | None:
    """Why `exc` means the database is unavailable, or None if it means something else."""
    for cause in _causes(exc):
        reason = _reason_of(cause)
        if reason is not None:
            return reason
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return "connection lost"
    return None


def _reason_of(exc: BaseException) -> str | None:
    if isinstance(exc, sa_exc.TimeoutError):  # SQLAlchemy's pool: no connection free in time
        return "timed out waiting for a free connection"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, StorageUnavailable):
        return exc.reason
    if isinstance(exc, socket.gaierror):
        return "host not found"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionError):  # reset, aborted, broken pipe
        return "connection lost"
    if isinstance(exc, OSError):
        return (exc.strerror or type(exc).__name__).lower()
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, sqlite3.Error) and isinstance(code, int):
        return _SQLITE_CODES.get(code & 0xFF)
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and len(sqlstate) == 5:
        return _PG_CODES.get(sqlstate) or _PG_CLASSES.get(sqlstate[:2])
    if type(exc).__module__.startswith("asyncpg") and "connection is closed" in str(exc):
        return "connection lost"
    return None


@contextmanager
def outage_as_unavailable() -> Iterator[None]:
    """Inside this block, an error that means an outage leaves as `StorageUnavailable`
    (raised from it, so the driver's error stays in the chain); others pass unchanged."""
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        raise StorageUnavailable(reason) from exc


def masked_url(url: str) -> str:
    """The URL with its password replaced by ***, the driver name dropped (postgresql://)."""
    parsed = make_url(url)
    parsed = parsed.set(drivername=parsed.get_backend_name())
    return parsed.render_as_string(hide_password=True)


def open_failure(url: str, exc: BaseException, timeout: float) -> StorageUnavailable | None:
    """One line for the operator when the database cannot be opened, or None if `exc` is not
    about reaching or using the database (then it is reported as it is)."""
    reason = unavailable_reason(exc)
    if reason is None:
        return None
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return StorageUnavailable(reason, _sqlite_line(parsed.database or "", reason))
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    shown = f"DATABASE_URL={masked_url(url)}"
    if reason == "timed out":
        line = (
            f"cannot reach the database at {where} (no answer in {timeout:g} s): "
            f"is the host up and the port right? {shown}"
        )
    elif reason == "host not found":
        line = f"cannot reach the database at {where} (host not found): check the host in {shown}"
    elif reason == "login refused":
        line = (
            f"the database at {where} refused the login ({_first_line(exc)}): "
            f"check the user and password in {shown}"
        )
    elif reason == "no such database":
        line = (
            f"the database server at {where} has no database {parsed.database!r}: "
            f"create it or correct {shown}"
        )
    elif reason in _CANNOT_WRITE:
        line = (
            f"cannot write to the database at {where} ({reason}): {_CANNOT_WRITE[reason]} {shown}"
        )
    else:
        line = (
            f"cannot reach the database at {where} ({reason}): "
            f"is PostgreSQL running and accepting connections? {shown}"
        )
    return StorageUnavailable(reason, line)


_CANNOT_WRITE = {
    "read-only": "is it a standby, or is the user or database read-only?",
    "disk full": "free some space on the database server.",
    "out of memory": "check the database server's memory.",
    "server I/O error": "check the database server's log.",
}


def _sqlite_line(database: str, reason: str) -> str:
    path = Path(database).expanduser().absolute()
    where = f"the SQLite database at {path}"
    if not path.parent.is_dir():
        return (
            f"cannot open {where}: the directory {path.parent} does not exist "
            "(check DATA_DIR or DATABASE_URL)"
        )
    if reason == "disk full":
        return f"cannot write {where} (disk full): free some space on the disk holding it"
    if reason == "locked by another process":
        return f"cannot write {where} (locked by another process): is another bot running on it?"
    return (
        f"cannot open or write {where} ({reason}): check that the file and {path.parent} are "
        "writable by this user (DATA_DIR or DATABASE_URL)"
    )


def _first_line(exc: BaseException) -> str:
    for cause in _causes(exc):
        if getattr(cause, "sqlstate", None):
            return (str(cause).splitlines() or [type(cause).__name__])[0][:200]
    return type(exc).__name__
