"""The bot's HTTP endpoints: Telegram's webhook and the health check, on one tornado app.

`POST <path of WEBHOOK_URL>` checks the `X-Telegram-Bot-Api-Secret-Token` header in constant
time (a missing or wrong one gets 403 and is logged without the body) and puts the update on
`application.update_queue`; the answer is 200 only once the update is queued, and 503 while
the bot is not running yet (Telegram delivers it again later). `GET /healthz` is
`bot.telegram.health`.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from datetime import datetime
from typing import Any, Protocol

from telegram import Update
from telegram.ext import Application
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from bot.telegram.context import started_services
from bot.telegram.health import health_report

__all__ = [
    "HEALTH_PATH",
    "MAX_BODY",
    "SECRET_HEADER",
    "WEBHOOK_MAX_CONNECTIONS",
    "Serving",
    "http_application",
]

log = logging.getLogger("optout_bot.serve")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
MAX_BODY = 1 << 20  # an update is a few kilobytes; refuse anything over 1 MiB
WEBHOOK_MAX_CONNECTIONS = 40  # Telegram's default; updates are processed concurrently


class Serving(Protocol):
    """What the endpoints read from the serving process (`bot.telegram.serve`)."""

    application: Application
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
    logged already with its reason (webhook 400/403/503); at INFO the rest (404, 405, 500)."""
    status = handler.get_status()
    level = logging.DEBUG if status < 400 or status in (400, 403, 503) else logging.INFO
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


class _WebhookHandler(RequestHandler):
    """POST from Telegram: check the secret, queue the update, answer 200."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, serving: Serving) -> None:
        self.serving = serving

    async def post(self) -> None:
        serving = self.serving
        given = self.request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), serving.secret):
            # Never the body: it is someone's message, or an attacker's payload.
            log.warning(
                "webhook: refused a request from %s with %s secret token (403)",
                self.request.remote_ip,
                "no" if given is None else "a wrong",
            )
            self._answer(403, "forbidden")
            return
        if serving.state != "running":
            self._answer(503, serving.state)  # Telegram delivers it again later
            return
        application = serving.application
        try:
            update = Update.de_json(json.loads(self.request.body), application.bot)
        except Exception:
            update = None
        if update is None:
            log.warning(
                "webhook: refused a request from %s: not a Telegram update (%d bytes) (400)",
                self.request.remote_ip,
                len(self.request.body),
            )
            self._answer(400, "not a Telegram update")
            return
        await application.update_queue.put(update)
        self._answer(200, "ok")

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
            services.store.engine if services is not None else None,
            state=serving.state,
            mode=serving.mode,
            started_at=serving.started_at,
        )
        self.set_status(report.status_code)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(report.body))
