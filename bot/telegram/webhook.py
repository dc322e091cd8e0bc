"""The bot's HTTP endpoints: Telegram's webhook and the health check, on one tornado app.

`POST <path of WEBHOOK_URL>` checks the `X-Telegram-Bot-Api-Secret-Token` header in constant
time (a missing or wrong one gets 403), takes the update if the bot has room for it
(`InFlight`) and puts it on `application.update_queue`; the answer is 200 only once the
update is queued. Telegram delivers again whatever did not get a 2xx, so the bot answers 503
while it is not running yet and while it has as many updates in hand as it can answer soon:
a backlog then waits at Telegram, not in this process. A body over `MAX_BODY` gets 413
(read and dropped, so the client sees the answer rather than a closed connection; beyond
`MAX_READ_BODY` tornado closes the connection). `GET /healthz` is `bot.telegram.health`.

Refused requests (403, 400, 413) are logged without their body, and `Refusals` keeps a flood
of them from flooding the log: the first few of each minute one line each, the rest as one
count per minute.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from telegram import Update
from telegram.ext import Application
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler, stream_request_body

from bot.telegram.context import started_services
from bot.telegram.health import health_report
from bot.telegram.inflight import InFlight

__all__ = [
    "HEALTH_PATH",
    "MAX_BODY",
    "MAX_READ_BODY",
    "SECRET_HEADER",
    "WEBHOOK_MAX_CONNECTIONS",
    "Refusals",
    "Serving",
    "http_application",
]

log = logging.getLogger("optout_bot.serve")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
MAX_BODY = 1 << 20  # an update is a few kilobytes; refuse anything over 1 MiB with 413
MAX_READ_BODY = 16 << 20  # bodies up to this are read (and dropped) to answer 413
WEBHOOK_MAX_CONNECTIONS = 40  # Telegram's default; updates are processed concurrently
REFUSALS_INTERVAL = 60.0  # seconds: refused requests are counted per interval ...
REFUSALS_LOGGED = 5  # ... and the first few of each interval logged one by one


class Refusals:
    """Refused requests in the log: one line each for the first `burst` of an interval, then
    one line with the count of the rest when the interval ends."""

    def __init__(
        self,
        interval: float = REFUSALS_INTERVAL,
        burst: int = REFUSALS_LOGGED,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.burst = burst
        self.now = now
        self._started = float("-inf")
        self._seen = 0
        self._unlogged: Counter[str] = Counter()
        self._clients: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None

    def refused(self, status: int, why: str, client: str) -> None:
        now = self.now()
        if now - self._started >= self.interval:
            self.flush()
            self._started, self._seen = now, 0
        self._seen += 1
        if self._seen <= self.burst:
            log.warning("webhook: refused a request from %s: %s (%d)", client, why, status)
            return
        self._unlogged[f"{why} ({status})"] += 1
        if len(self._clients) < 10:
            self._clients.add(client)
        if self._timer is None:
            delay = max(0.0, self._started + self.interval - now)
            self._timer = asyncio.get_running_loop().call_later(delay, self.flush)

    def flush(self) -> None:
        """Log the count of refusals not logged yet (at the end of an interval, at shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._unlogged:
            return
        total = sum(self._unlogged.values())
        kinds = ", ".join(f"{why}: {n}" for why, n in self._unlogged.most_common())
        clients = ", ".join(sorted(self._clients))
        log.warning(
            "webhook: refused %d more request(s) in the last %.0f s (%s) from %s",
            total,
            self.interval,
            kinds,
            clients,
        )
        self._unlogged.clear()
        self._clients.clear()


class Serving(Protocol):
    """What the endpoints read from the serving process (`bot.telegram.serve`)."""

    application: Application
    inflight: InFlight
    refusals: Refusals
    state: str  # starting, running or stopping
    mode: str  # polling or webhook
    started_at: datetime
    secret: bytes  # WEBHOOK_SECRET


def http_application(serving: Serving, webhook_path: str | None) -> WebApplication:
    """`/healthz`, and the webhook at `webhook_path` when serving one."""
    routes: list[Any] = [(re.escape(HEALTH_PATH), _HealthHandler, {"serving": serving})]
    if webhook_path is not None:
        routes.append((re.escape(webhook_path), _WebhookHandler, {"serving": serving}))
    return WebApplication(routes, log_function=_log_request)


def _log_request(handler: Any) -> None:
    """Access log: one line per request, never the body. At DEBUG what is routine or was
    logged already with its reason (webhook 400/403/413/503); at INFO the rest (404, 405, 500)."""
    status = handler.get_status()
    level = logging.DEBUG if status < 400 or status in (400, 403, 413, 503) else logging.INFO
    request = handler.request
    log.log(
        level,
        "%s %s %d from %s in %.1f ms",
        request.method,
        request.path,
        status,
        request.remote_ip,
        request.request_time() * 1000,
    )


@stream_request_body
class _WebhookHandler(RequestHandler):
    """POST from Telegram: check the secret, take the update if there is room, answer 200."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, serving: Serving) -> None:
        self.serving = serving
        self._chunks: list[bytes] = []
        self._size = 0

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size <= MAX_BODY:
            self._chunks.append(chunk)
        else:
            self._chunks.clear()  # read to the end, kept no further

    async def post(self) -> None:
        serving = self.serving
        client = self.request.remote_ip or "?"
        given = self.request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), serving.secret):
            # Never the body: it is someone's message, or an attacker's payload.
            why = "no secret token" if given is None else "a wrong secret token"
            self._refuse(403, "forbidden", why, client)
            return
        if self._size > MAX_BODY:
            self._refuse(413, "request too large", f"{self._size} bytes", client)
            return
        if serving.state != "running":
            self._answer(503, serving.state)  # Telegram delivers it again later
            return
        application = serving.application
        body = b"".join(self._chunks)
        try:
            update = Update.de_json(json.loads(body), application.bot)
        except Exception:
            update = None
        if update is None:
            self._refuse(
                400, "not a Telegram update", f"not a Telegram update, {len(body)} bytes", client
            )
            return
        if serving.inflight.holds(update.update_id):  # delivered again while in hand
            self._answer(200, "ok")
            return
        if not serving.inflight.take(update.update_id):
            # As many updates in hand as can be answered soon: Telegram keeps this one.
            self.set_header("Retry-After", "1")
            self._answer(503, "busy")
            return
        await application.update_queue.put(update)
        self._answer(200, "ok")

    def _refuse(self, status: int, text: str, why: str, client: str) -> None:
        self.serving.refusals.refused(status, why, client)
        self._answer(status, text)

    def _answer(self, status: int, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": status == 200, "description": text}))


class _HealthHandler(RequestHandler):
    """GET /healthz: database and scheduler state; 200 healthy, 503 otherwise."""

    SUPPORTED_METHODS = ("GET",)

    def initialize(self, serving: Serving) -> None:
        self.serving = serving

    def compute_etag(self) -> None:  # a live state: never answered with 304
        return None

    async def get(self) -> None:
        serving = self.serving
        services = started_services(serving.application)
        report = await health_report(
            serving.application,
            services.store if services is not None else None,
            state=serving.state,
            mode=serving.mode,
            started_at=serving.started_at,
        )
        self.set_status(report.status_code)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(report.body))
