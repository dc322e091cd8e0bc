"""Long polling that fetches only what the bot can answer soon.

python-telegram-bot's `Updater` cannot do this: `start_polling` has no `limit` for
getUpdates (Telegram then sends up to 100 updates at once), puts every fetched update on an
unbounded queue and asks for the next batch at once, which confirms the previous one. With
replies capped at 30 per second a backlog of 1,000 updates was thus confirmed within
seconds and could not be answered before a shutdown: a SIGTERM lost hundreds of them.

`Poller` asks for at most as many updates as `InFlight` has free slots and asks again only
when a slot is free, so what Telegram has confirmed is never more than `MAX_IN_FLIGHT`
updates ahead of what was answered; the rest waits at Telegram, also across a restart.
Asking again confirms everything fetched before (Telegram's rule), so a kill -9 loses at
most the updates in flight. When stopping, `confirm` runs after the updates in flight are
done: it confirms what was answered, and if some could not be finished (a shutdown out of
time) it leaves those not confirmed yet at Telegram, to be delivered again after the
restart; those confirmed already are reported as lost.

Errors are handled as PTB's polling loop does: RetryAfter waits as told, a timed-out long
poll is repeated at once, other Telegram errors go to `on_error` and are retried with a
backoff from 1 s up to 30 s; a refused token ends polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.reminders.classify import retry_after_seconds
from bot.telegram.inflight import InFlight

__all__ = ["LONG_POLL", "Poller", "start_polling"]

log = logging.getLogger("optout_bot.polling")

LONG_POLL = 10  # seconds a getUpdates may wait for an update (PTB's default)
MAX_BATCH = 100  # Telegram's most updates per getUpdates
MAX_BACKOFF = 30.0


class Poller:
    """getUpdates in a loop, bounded by the application's `InFlight` update processor."""

    def __init__(
        self,
        application: Application,
        *,
        timeout: int = LONG_POLL,
        allowed_updates: Sequence[str] | None = Update.ALL_TYPES,
        on_error: Callable[[TelegramError], None] | None = None,
    ) -> None:
        processor = application.update_processor
        if not isinstance(processor, InFlight):
            raise TypeError(f"the application's update processor is {processor!r}, not InFlight")
        self.application = application
        self.inflight = processor
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self.on_error = on_error
        self.offset: int | None = None  # the next update to ask for; confirms those below
        # The highest offset asked with (a call cut off may not have reached Telegram: an
        # update below may still be unconfirmed, never the other way round).
        self.asked: int = 0
        self.fetched = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Remove a webhook (Telegram refuses getUpdates while one is set), then poll."""
        await self.application.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._run(), name="optout-bot:polling")

    async def stop(self) -> None:
        """Stop asking for updates; what a cut-off long poll returned stays at Telegram."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    async def confirm(self) -> None:
        """Tell Telegram which updates are done: all fetched, but the unfinished ones it has
        not been told about yet. Call after the updates in flight are processed or given up.
        """
        unfinished = self.inflight.unfinished()
        lost = [u for u in unfinished if u < self.asked]
        kept = [u for u in unfinished if u >= self.asked]
        if lost:
            log.warning(
                "%d update(s) taken from Telegram could not be answered before the stop: lost",
                len(lost),
            )
        if kept:
            log.warning(
                "%d update(s) were not finished; Telegram delivers them again after the restart",
                len(kept),
            )
        offset = kept[0] if kept else self.offset
        if offset is None:
            return
        try:
            await self.application.bot.get_updates(
                offset=offset, limit=1, timeout=0, allowed_updates=self.allowed_updates
            )
        except TelegramError as exc:
            log.warning("could not confirm the last updates (they come again): %s", exc)

    async def _run(self) -> None:
        bot = self.application.bot
        backoff = 0.0
        while True:
            room = await self.inflight.room()
            if self.offset is not None:
                self.asked = max(self.asked, self.offset)
            try:
                updates = await bot.get_updates(
                    offset=self.offset,
                    limit=min(room, MAX_BATCH),
                    timeout=self.timeout,
                    allowed_updates=self.allowed_updates,
                )
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc) + 0.5)
                continue
            except TimedOut:
                continue
            except InvalidToken:
                log.error("the Bot API refused BOT_TOKEN: polling stopped")
                raise
            except TelegramError as exc:
                if self.on_error is not None:
                    self.on_error(exc)
                backoff = min(MAX_BACKOFF, max(1.0, backoff * 1.5))
                await asyncio.sleep(backoff)
                continue
            except Exception:  # an answer PTB could not read: nothing was taken, ask again
                log.exception("getUpdates failed; asking again")
                backoff = min(MAX_BACKOFF, max(1.0, backoff * 1.5))
                await asyncio.sleep(backoff)
                continue
            backoff = 0.0
            for update in updates:
                if not self.inflight.take(update.update_id):
                    break  # no room after all: it stays at Telegram, unconfirmed
                self.offset = update.update_id + 1
                self.fetched += 1
                await self.application.update_queue.put(update)


async def start_polling(
    application: Application,
    *,
    timeout: int = LONG_POLL,
    on_error: Callable[[TelegramError], None] | None = None,
) -> Poller:
    poller = Poller(application, timeout=timeout, on_error=on_error)
    await poller.start()
    return poller
