"""How reminders reach Telegram: a lean sendMessage over a PTB request backend on aiohttp.

Why not `Bot.send_message` over PTB's default `HTTPXRequest`: at 1,000 messages per second
the round is CPU-bound, and profiles on this project's 2-vCPU machine put most of that CPU in
the HTTP client (httpx: 1.5-2.7 ms per request, aiohttp: 0.45-0.6 ms) and in turning
Telegram's answer into a `Message` object that a reminder never looks at (about 40% of what
was left). So `BotSender` posts the JSON itself through `BaseRequest.post`, PTB's public
entry point of a request backend, which still parses the answer and raises the very same
`telegram.error` exceptions (RetryAfter, Forbidden, BadRequest, ...) as `Bot.send_message`:
the delivery loop's error handling does not change. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import aiohttp
import orjson
import yarl
from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest", "BotSender", "JsonRequestData"]

log = logging.getLogger(__name__)

_JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": BaseRequest.USER_AGENT}
_PLAIN_HEADERS = {"User-Agent": BaseRequest.USER_AGENT}


@functools.lru_cache(maxsize=64)
def _url(url: str) -> yarl.URL:
    """A round posts to one URL a million times: parse it once."""
    return yarl.URL(url)


@functools.lru_cache(maxsize=32)
def _client_timeout(
    read: float | None, write: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    """PTB's four timeouts as aiohttp's; cached, as every send of a round asks for the same.

    aiohttp has no separate write or pool timeout: waiting for a pooled connection counts
    towards `connect`, and writing a small body towards the whole request.
    """
    waits = [t for t in (connect, pool) if t is not None]
    total_parts = [t for t in (connect, pool, write, read) if t is not None]
    return aiohttp.ClientTimeout(
        total=sum(total_parts) if len(total_parts) == 4 else None,
        connect=sum(waits) if waits else None,
        sock_read=read,
    )


class AiohttpRequest(BaseRequest):
    """`BaseRequest` over one `aiohttp.ClientSession` with a bounded connection pool."""

    def __init__(
        self,
        connection_pool_size: int = 64,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """orjson instead of the standard library (PTB invites this override): a fifth of
        the CPU of a send went into encoding and decoding JSON."""
        try:
            return orjson.loads(payload)  # type: ignore[no-any-return]
        except orjson.JSONDecodeError:
            # Not JSON (an HTML error page, say): PTB's own parser reports it its usual way.
            return BaseRequest.parse_json_payload(payload)

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # Plain HTTP to a local Bot API server, or HTTPS to api.telegram.org: aiohttp's
            # default TLS context verifies certificates either way. No cookies, no proxies
            # from the environment: a bot token must only ever go to the configured server.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, enable_cleanup_closed=True),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(
        self, read: object, write: object, connect: object, pool: object
    ) -> aiohttp.ClientTimeout:
        def pick(value: object, default: float | None) -> float | None:
            return default if value is BaseRequest.DEFAULT_NONE else value  # type: ignore[return-value]

        return _client_timeout(
            pick(read, self._read_timeout),
            pick(write, self._write_timeout),
            pick(connect, self._connect_timeout),
            pick(pool, self._pool_timeout),
        )

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
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized")
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        body: bytes | aiohttp.FormData | None = None
        headers = _PLAIN_HEADERS
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData(quote_fields=False)
                for name, value in (request_data.json_parameters or {}).items():
                    form.add_field(name, value)
                for name, part in (request_data.multipart_data or {}).items():
                    filename, content, mimetype = part  # type: ignore[misc]
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                body = form
            else:
                # `parameters` holds plain JSON values (PTB's `json_payload` would encode
                # nested objects such as reply_markup a second time, as strings).
                body, headers = orjson.dumps(request_data.parameters), _JSON_HEADERS
        try:
            async with self._session.request(
                method, _url(url), data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


class JsonRequestData(RequestData):
    """Parameters that are plain JSON values already (no files, no PTB objects)."""

    def __init__(self, parameters: dict[str, Any]) -> None:
        super().__init__()
        self._plain = parameters

    @property
    def parameters(self) -> dict[str, Any]:
        return self._plain

    @property
    def json_parameters(self) -> dict[str, str]:
        return {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in self._plain.items()
        }


@functools.lru_cache(maxsize=256)
def _markup_json(markup: InlineKeyboardMarkup) -> dict[str, Any]:
    """Reminders share a few keyboards (PTB markups are immutable and hashable)."""
    return markup.to_dict()


class BotSender:
    """Sends reminders; errors surface as `telegram.error` for the delivery loop.

    It has its own HTTP connections, not the application's bot: the application's
    AIORateLimiter would sleep on a 429 behind the delivery loop's back, without renewing the
    delivery's claim. The delivery loop paces and retries itself.
    """

    def __init__(
        self, application: Application, paid_broadcast: bool = False, pool_size: int = 64
    ) -> None:
        self.url = f"{application.bot.base_url}/sendMessage"
        self.request = AiohttpRequest(connection_pool_size=pool_size)
        self.paid_broadcast = paid_broadcast
        self._ready = False

    async def send(self, chat_id: int, text: str, buttons: InlineKeyboardMarkup | None) -> None:
        if not self._ready:
            await self.request.initialize()
            self._ready = True
        parameters: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": ParseMode.HTML.value,
            "link_preview_options": {"is_disabled": True},
        }
        if buttons is not None:
            parameters["reply_markup"] = _markup_json(buttons)
        if self.paid_broadcast:
            parameters["allow_paid_broadcast"] = True
        await self.request.post(self.url, JsonRequestData(parameters))

    async def close(self) -> None:
        if self._ready:
            self._ready = False
            await self.request.shutdown()
