"""How reminders reach Telegram: a lean sendMessage over a PTB request backend of our own.

Why not `Bot.send_message` over PTB's default `HTTPXRequest`: at 1,000 messages per second
the round is CPU-bound, and profiles on this project's 2-vCPU machine put most of that CPU in
the HTTP client (httpx: 1.5-2.7 ms per request, aiohttp: 0.32-0.6 ms, `KeepAliveRequest`:
0.16-0.17 ms) and in turning Telegram's answer into a `Message` object that a reminder never
looks at (about 40% of what was left). So `BotSender` posts the JSON itself through
`BaseRequest.post`, PTB's public entry point of a request backend, which still parses the
answer and raises the very same `telegram.error` exceptions (RetryAfter, Forbidden,
BadRequest, ...) as `Bot.send_message`: the delivery loop's error handling does not change.
Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.ext import Application
from telegram.request import RequestData

from bot.reminders.keepalive import KeepAliveRequest

__all__ = ["BotSender", "JsonRequestData"]


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
        self.request = KeepAliveRequest(connection_pool_size=pool_size)
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
