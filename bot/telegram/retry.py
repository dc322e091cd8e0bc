"""Bot API calls that fail on the way are tried again before anyone is told "sorry".

A 5xx from Telegram's front end (502 Bad Gateway, 500), a connection refused or reset, or a
call that timed out says nothing about the message itself, and the same call a moment later
usually goes through. `RetryingRequest` wraps PTB's `HTTPXRequest` (a `BaseRequest`, which
`ApplicationBuilder.request` accepts) and repeats such a call with a growing pause (0.5 s,
1 s, 2 s, then 4 s) as long as the next attempt starts within `RETRY_BUDGET` seconds of the
first (each attempt is bounded by PTB's own timeouts, 5 s by default); then the last answer
or error goes to PTB as usual and the handler apologises. Answers Telegram meant (400 bad
request, 403 blocked, 409, 429 flood control) pass at once: 429 is the send budget's
(`bot.sendbudget`), which waits `retry_after` and sends again.

A call that timed out may have reached Telegram: trying again can then send a message
twice. Sending an answer twice is better than sending "sorry" instead of it.

getUpdates has its own request object and its own retry loop (`bot.telegram.polling`).
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram.error import NetworkError
from telegram.request import BaseRequest, HTTPXRequest, RequestData

__all__ = ["RETRY_BUDGET", "RetryingRequest"]

log = logging.getLogger("optout_bot.telegram")

RETRY_BUDGET = 10.0  # seconds from the first attempt to the start of the last
FIRST_PAUSE = 0.5
MAX_PAUSE = 4.0


class RetryingRequest(BaseRequest):
    """`inner` (PTB's HTTPXRequest by default), with transient failures tried again."""

    def __init__(
        self,
        inner: BaseRequest | None = None,
        *,
        budget: float = RETRY_BUDGET,
        first_pause: float = FIRST_PAUSE,
    ) -> None:
        self.inner = inner or HTTPXRequest(connection_pool_size=256)
        self.budget = budget
        self.first_pause = first_pause

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        write_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        connect_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        pool_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
    ) -> tuple[int, bytes]:
        started = time.monotonic()
        pause = self.first_pause
        attempt = 1
        while True:
            try:
                status, payload = await self.inner.do_request(
                    url,
                    method,
                    request_data,
                    read_timeout,
                    write_timeout,
                    connect_timeout,
                    pool_timeout,
                )
            except NetworkError as exc:  # TimedOut too: no answer, or no connection
                failure: str = f"{type(exc).__name__}: {exc}"
                if not self._again(started, pause):
                    raise
            else:
                if status < 500:
                    return status, payload
                failure = f"HTTP {status}"
                if not self._again(started, pause):
                    return status, payload
            log.info(
                "%s failed (%s); trying again in %.1f s (attempt %d)",
                _endpoint(url),
                failure,
                pause,
                attempt + 1,
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
            attempt += 1

    def _again(self, started: float, pause: float) -> bool:
        """Whether another attempt after `pause` starts within the budget."""
        return time.monotonic() - started + pause < self.budget


def _endpoint(url: str) -> str:
    """The method name only: the URL holds the bot token."""
    return url.rsplit("/", 1)[-1]
