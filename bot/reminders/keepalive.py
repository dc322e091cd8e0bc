"""A small keep-alive HTTP/1.1 client: the request backend of paid-broadcast reminder rounds.

A round at 1,000 messages per second is CPU-bound in one process, and general-purpose HTTP
clients spend most of a request's CPU on what reminders never use (cookies, redirects,
proxies, tracing, multipart). Reminders need one thing: POST a small JSON body to one server
and read its JSON answer. This does exactly that over pooled keep-alive connections with the
standard library's streams: on this project's machine 0.16-0.17 ms of CPU per request,
against 0.32-0.35 ms for aiohttp and 1.5-2.7 ms for httpx (docs/benchmarks.md). PTB's
`BaseRequest.post` still wraps it, so every Telegram error surfaces as the same
`telegram.error` exception as with `Bot.send_message`. `transport.reminder_request` uses it
only for paid broadcasts without a proxy.

Left out on purpose: proxies, redirects, cookies, file uploads, HTTP/2. A connection is only
put back into the pool after its answer was read completely; one cut short (a timeout, a
cancellation, a malformed answer) is closed, so an answer can never reach the wrong request.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["KeepAliveRequest"]

_HEADER_LIMIT = 64 * 1024  # the answer's status line and headers (the stream's buffer limit)


class _ProtocolError(Exception):
    """The server's answer is not HTTP/1.x as we understand it."""


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: int


@functools.lru_cache(maxsize=64)
def _target(url: str) -> tuple[_Origin, bytes]:
    """Origin and request head prefix of `url`; a round posts to one URL a million times."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL, got {url!r}")
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    # An IPv6 literal keeps its brackets in the Host header.
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port != default_port:
        host = f"{host}:{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {BaseRequest.USER_AGENT}\r\n"
        "Accept: application/json\r\nContent-Type: application/json\r\n"
    ).encode("ascii")
    return _Origin(parts.scheme, parts.hostname, port), head


@dataclass(eq=False, slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def usable(self, now: float, idle_timeout: float) -> bool:
        """Not closed by the server meanwhile, and not idle for so long it soon will be."""
        return (
            not self.reader.at_eof()
            and not self.writer.is_closing()
            and now - self.idle_since < idle_timeout
        )


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body, and whether the connection may carry another request."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        status_line = lines[0].split(b" ", 2)
        version = status_line[0]
        if len(status_line) < 2 or not version.startswith(b"HTTP/1."):
            raise _ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        status = int(status_line[1])
        if 100 <= status < 200 and status != 101:
            continue  # an interim answer (100 Continue): the real one follows
        break
    keep = version == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            raise _ProtocolError(f"malformed header line: {line[:80]!r}")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
            if length < 0:
                raise _ProtocolError("negative Content-Length")
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            tokens = value.lower()
            if b"close" in tokens:
                keep = False
            elif b"keep-alive" in tokens:
                keep = True
    if chunked:
        body = await _read_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(length)
    elif status in (204, 304):
        body = b""
    else:  # no length given: the body ends with the connection
        body = await reader.read()
        keep = False
    return status, body, keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailer fields, ignored
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise _ProtocolError("chunk not followed by CRLF")


class KeepAliveRequest(BaseRequest):
    """`BaseRequest` for JSON POSTs over at most `connection_pool_size` keep-alive connections.

    `idle_timeout`: a connection idle for longer is closed rather than reused, so we rarely
    write into one the server is about to drop (api.telegram.org keeps them longer).
    `ssl_context`: for https; by default the system's CAs, with certificate and host name
    checks.
    """

    def __init__(
        self,
        connection_pool_size: int = 64,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        idle_timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._idle_timeout = idle_timeout
        self._idle: dict[_Origin, deque[_Connection]] = {}
        self._open: set[_Connection] = set()
        self._slots: asyncio.Semaphore | None = None
        self._ssl = ssl_context  # None: the system's CAs, created on the first https connect

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """orjson instead of the standard library (PTB invites this override): with the
        standard library, encoding and decoding JSON are a fifth of the CPU of a send."""
        try:
            return orjson.loads(payload)  # type: ignore[no-any-return]
        except orjson.JSONDecodeError:
            # Not JSON (an HTML error page, say): PTB's own parser reports it its usual way.
            return BaseRequest.parse_json_payload(payload)

    async def initialize(self) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._pool_size)

    async def shutdown(self) -> None:
        connections, self._open = self._open, set()
        self._idle.clear()
        for conn in connections:
            conn.writer.close()
        for conn in connections:
            with contextlib.suppress(OSError, ssl.SSLError):  # already gone: as wanted
                await conn.writer.wait_closed()
        self._slots = None

    def _pick(self, value: object, default: float | None) -> float | None:
        return default if value is BaseRequest.DEFAULT_NONE else value  # type: ignore[return-value]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        slots = self._slots
        if slots is None:
            raise RuntimeError("This KeepAliveRequest is not initialized")
        if method != "POST":
            raise ValueError(f"KeepAliveRequest only sends POST requests, not {method}")
        if request_data is not None and request_data.contains_files:
            raise ValueError("KeepAliveRequest sends JSON only, not files")
        origin, head = _target(url)
        body = orjson.dumps(request_data.parameters) if request_data is not None else b"{}"
        message = b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body)
        try:
            if slots.locked():
                async with asyncio.timeout(self._pick(pool_timeout, self._pool_timeout)):
                    await slots.acquire()
            else:
                await slots.acquire()
        except TimeoutError as exc:
            raise TimedOut("Pool timeout: all connections are busy") from exc
        try:
            return await self._exchange(
                origin,
                message,
                self._pick(connect_timeout, self._connect_timeout),
                self._pick(write_timeout, self._write_timeout),
                self._pick(read_timeout, self._read_timeout),
            )
        except TimeoutError as exc:
            raise TimedOut from exc
        except (
            OSError,
            ssl.SSLError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
            _ProtocolError,
        ) as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            slots.release()

    async def _exchange(
        self,
        origin: _Origin,
        message: bytes,
        connect_timeout: float | None,
        write_timeout: float | None,
        read_timeout: float | None,
    ) -> tuple[int, bytes]:
        conn = self._take_idle(origin) or await self._connect(origin, connect_timeout)
        reusable = False
        try:
            writer = conn.writer
            writer.write(message)
            if writer.transport.get_write_buffer_size():
                async with asyncio.timeout(write_timeout):
                    await writer.drain()
            async with asyncio.timeout(read_timeout):
                status, body, reusable = await _read_response(conn.reader)
            return status, body
        finally:
            if reusable:
                conn.idle_since = asyncio.get_running_loop().time()
                self._idle.setdefault(origin, deque()).append(conn)
            else:
                self._discard(conn)

    def _take_idle(self, origin: _Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        now = asyncio.get_running_loop().time()
        while idle:
            conn = idle.pop()  # the most recently used: the likeliest to be still open
            if conn.usable(now, self._idle_timeout):
                return conn
            self._discard(conn)
        return None

    async def _connect(self, origin: _Origin, timeout: float | None) -> _Connection:
        tls: ssl.SSLContext | None = None
        if origin.scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()  # verifies certificates and names
            tls = self._ssl
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                origin.host,
                origin.port,
                ssl=tls,
                server_hostname=origin.host if tls else None,
                limit=_HEADER_LIMIT,
            )
        conn = _Connection(reader, writer)
        self._open.add(conn)
        return conn

    def _discard(self, conn: _Connection) -> None:
        self._open.discard(conn)
        conn.writer.close()
