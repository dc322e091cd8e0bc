"""How reminders reach Telegram: sendMessage as JSON through a PTB request backend.

`BotSender` posts the parameters itself through `BaseRequest.post`, PTB's public entry point
of a request backend, which parses the answer and raises the very same `telegram.error`
exceptions (RetryAfter, Forbidden, BadRequest, ...) as `Bot.send_message`; it skips turning
each answer into a `Message` object that a reminder never reads, a large share of the CPU of
a send at 1,000 per second.

The backend is pluggable (`reminder_request`): PTB's `HTTPXRequest` (proxies from the
environment, happy-eyeballs connects) by default, and the lean keep-alive client of
`keepalive.py` only for paid broadcasts near 1,000 messages per second, where its lower CPU
per request matters, and only when no proxy is configured (it connects directly).
Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from typing import Any

from telegram.constants import ParseMode
from telegram.ext import Application
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.reminders.keepalive import KeepAliveRequest
from bot.replies import Keyboard
from bot.telegram_markup import keyboard

__all__ = [
    "PROXY_VARIABLES",
    "BotSender",
    "JsonRequestData",
    "proxy_configured",
    "reminder_request",
]

# What httpx (under PTB's HTTPXRequest) reads for a proxy to api.telegram.org.
PROXY_VARIABLES = ("HTTPS_PROXY", "ALL_PROXY", "https_proxy", "all_proxy")


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


def proxy_configured(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return any(env.get(name, "").strip() for name in PROXY_VARIABLES)


def reminder_request(
    *,
    paid_broadcast: bool,
    pool_size: int,
    read_timeout: float = 5.0,
    environ: Mapping[str, str] | None = None,
) -> BaseRequest:
    """The request backend of reminder rounds (see the module docstring for the choice)."""
    if paid_broadcast and not proxy_configured(environ):
        return KeepAliveRequest(connection_pool_size=pool_size, read_timeout=read_timeout)
    return HTTPXRequest(connection_pool_size=pool_size, read_timeout=read_timeout)


@functools.lru_cache(maxsize=256)
def _markup_json(buttons: Keyboard) -> dict[str, Any] | None:
    """Reminders share a few keyboards: convert each one once."""
    markup = keyboard(buttons)
    return markup.to_dict() if markup is not None else None


class BotSender:
    """Sends reminders; errors surface as `telegram.error` for the delivery loop.

    It has its own HTTP connections, not the application's bot: the bot's rate limiter
    would wait and retry on a 429 behind the delivery loop's back, without renewing the
    delivery's claim. The delivery loop paces (with its share of the send budget) and
    retries itself. `request`: the backend; `reminder_request` chooses it by default.
    """

    def __init__(
        self,
        application: Application,
        paid_broadcast: bool = False,
        pool_size: int = 64,
        *,
        request: BaseRequest | None = None,
    ) -> None:
        self.url = f"{application.bot.base_url}/sendMessage"
        self.request = request or reminder_request(
            paid_broadcast=paid_broadcast, pool_size=pool_size
        )
        self.paid_broadcast = paid_broadcast
        self._ready = False

    async def send(self, chat_id: int, text: str, buttons: Keyboard) -> None:
        if not self._ready:
            await self.request.initialize()
            self._ready = True
        parameters: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": ParseMode.HTML.value,
            "link_preview_options": {"is_disabled": True},
        }
        markup = _markup_json(buttons)
        if markup is not None:
            parameters["reply_markup"] = markup
        if self.paid_broadcast:
            parameters["allow_paid_broadcast"] = True
        await self.request.post(self.url, JsonRequestData(parameters))

    async def close(self) -> None:
        if self._ready:
            self._ready = False
            await self.request.shutdown()
