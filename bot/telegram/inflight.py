"""At most `MAX_IN_FLIGHT` updates taken from Telegram and not yet answered.

Telegram keeps an update until the bot confirms it: with long polling, by asking for updates
after it (a higher `offset`); with a webhook, by answering the POST with 2xx. An update
confirmed but not answered when the process ends is lost for good. So the bot takes only
what it can answer soon: the poller (`bot.telegram.polling`) asks for no more updates than
there are free slots here, and the webhook answers 503 when there is none, so Telegram keeps
the rest and delivers it again later, also to the next process after a restart.

The bound is what a stopping bot can still answer within its shutdown budget (8 s): 32
updates of up to three messages each at the free 30 messages per second take about 3 s.
A kill -9 loses at most these 32.

`InFlight` is python-telegram-bot's update processor (`Application.concurrent_updates`),
so it also runs the updates: each one in a task of its own, as PTB does, at most
`MAX_IN_FLIGHT` at once. It counts an update from when it is taken (`take`) until its
handlers are done, and knows the tasks, so that a shutdown out of time can cancel them
before the HTTP client closes and say which updates were not finished.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram.ext import BaseUpdateProcessor

__all__ = ["MAX_IN_FLIGHT", "InFlight"]

MAX_IN_FLIGHT = 32


class InFlight(BaseUpdateProcessor):
    """Counts updates from `take` to the end of their processing; runs them (PTB's hook)."""

    def __init__(self, limit: int = MAX_IN_FLIGHT) -> None:
        super().__init__(limit)
        self.limit = limit
        self._taken: set[int] = set()
        self._cancelled: set[int] = set()  # not finished, though no longer running
        self._tasks: dict[asyncio.Task[Any], int | None] = {}
        self._changed: asyncio.Event | None = None

    # -- taking -----------------------------------------------------------------------------
    @property
    def free(self) -> int:
        return max(0, self.limit - len(self._taken))

    def holds(self, update_id: int) -> bool:
        """Whether `update_id` is taken and not done (Telegram may deliver it again)."""
        return update_id in self._taken

    def take(self, update_id: int) -> bool:
        """Count `update_id` as taken, if there is room; False means "leave it at Telegram"."""
        if self.free == 0:
            return False
        self._taken.add(update_id)
        return True

    async def room(self) -> int:
        """Wait until at least one slot is free; return how many are."""
        while self.free == 0:
            await self._event().wait()
        return self.free

    def unfinished(self) -> list[int]:
        """Updates taken and not yet done (or cancelled before done), lowest first."""
        return sorted(self._taken | self._cancelled)

    async def idle(self) -> None:
        """Wait until every update taken is done."""
        while self._taken:
            await self._event().wait()

    def cancel(self) -> int:
        """Cancel the updates being processed (a shutdown out of time); return how many."""
        running = [(task, update_id) for task, update_id in self._tasks.items() if not task.done()]
        for task, update_id in running:
            if update_id is not None:
                self._cancelled.add(update_id)
            task.cancel()
        return len(running)

    def _event(self) -> asyncio.Event:
        if self._changed is None or self._changed.is_set():
            self._changed = asyncio.Event()
        return self._changed

    def _release(self, update_id: int | None) -> None:
        if update_id is not None:
            self._taken.discard(update_id)
        if self._changed is not None:
            self._changed.set()

    # -- PTB's BaseUpdateProcessor ------------------------------------------------------------
    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = getattr(update, "update_id", None)
        task = asyncio.current_task()
        if task is not None:
            self._tasks[task] = update_id
        try:
            await coroutine
        finally:
            if task is not None:
                self._tasks.pop(task, None)
            self._release(update_id)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: the tasks end with the application."""
