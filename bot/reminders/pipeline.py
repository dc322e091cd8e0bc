"""The claim pipeline of a round: due chats in, claimed chats out to the workers, results back.

    Feed (keyset pages of due chat ids) -> claim a chunk -> ClaimQueue -> workers send
    -> Recorder (group commit of the results)

The database calls themselves are passed in, so this module holds only the flow: who claims
when, how far ahead, and how results are batched.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.reminders.spec import Due, chat_id_of
from bot.store.repository import DeliveryResult

__all__ = ["ClaimQueue", "Feed", "Ready", "Recorder"]


@dataclass(frozen=True, slots=True)
class Ready:
    """A claimed chat with what its message needs, waiting for a worker."""

    chat_id: int
    context: Any  # what the round's `compose` needs (`RoundSpec.contexts`)
    claimed_at: datetime


class Feed:
    """Hands out due chats to be claimed, fetching keyset pages on demand.

    `fetch(after_chat_id, limit)` returns the next due chats (ids, or `DueChat`s with their
    time zone) in ascending order of chat id.
    """

    def __init__(
        self, fetch: Callable[[int | None, int], Awaitable[Sequence[Due]]], page_size: int
    ) -> None:
        self._fetch = fetch
        self._page_size = page_size
        self._buffer: deque[Due] = deque()
        self._after: int | None = None
        self._exhausted = False
        self._lock = asyncio.Lock()

    async def take(self, n: int) -> list[Due]:
        """Up to `n` due chats; an empty list when this pass has seen them all."""
        async with self._lock:
            if len(self._buffer) < n and not self._exhausted:
                limit = max(self._page_size, n)
                batch = await self._fetch(self._after, limit)
                if batch:
                    self._after = chat_id_of(batch[-1])
                    self._buffer.extend(batch)
                if len(batch) < limit:
                    self._exhausted = True
            return [self._buffer.popleft() for _ in range(min(n, len(self._buffer)))]


class ClaimQueue:
    """Claimed chats ready to send, shared by all workers, kept one to two chunks ahead.

    Whichever worker finds the queue short claims the next chunk (`claim`: one database
    round trip for `chunk` chats, and one read of what their messages need) while the
    others go on sending what is left. A chunk being claimed counts as on its way, so
    normally one claim runs at a time; a second starts only when less than a chunk is left
    while the first is still running (a slow database moment must not leave a hundred
    workers with nothing to send). Sharing one queue means sending starts with the first
    claim, no message waits behind another worker's hung send, and the end of a round
    needs no hand-over between workers.
    """

    def __init__(
        self, claim: Callable[[], Awaitable[list[Ready] | None]], chunk: int, stop: asyncio.Event
    ) -> None:
        self._claim = claim
        self._chunk = chunk
        self._stop = stop
        self._ready: deque[Ready] = deque()
        self._refilling = 0  # claims running
        self._exhausted = False
        self._refilled = asyncio.Event()

    async def next(self) -> Ready | None:
        """The next chat to send to; None when the pass has no more or the round stops."""
        while not self._stop.is_set():
            coming = len(self._ready) + self._chunk * self._refilling
            if coming < 2 * self._chunk and not self._exhausted:
                await self._refill()
            elif self._ready:
                return self._ready.popleft()
            elif self._exhausted and not self._refilling:
                return None
            else:  # another worker is claiming: wait for it
                self._refilled.clear()
                await self._refilled.wait()
        return None

    def drain(self) -> list[int]:
        """The chats claimed but never handed out (to be released when the pass ends)."""
        ids = [ready.chat_id for ready in self._ready]
        self._ready.clear()
        return ids

    async def _refill(self) -> None:
        self._refilling += 1
        try:
            claimed = await self._claim()
            if claimed is None:
                self._exhausted = True
            else:
                self._ready.extend(claimed)
        finally:
            self._refilling -= 1
            self._refilled.set()


class Recorder:
    """Group commit: results that arrive while a commit runs go into the next one together.

    Each worker still waits until its own result is committed before it sends again; under
    load one transaction simply covers several workers, which is what lets SQLite keep up.
    `write(results)` records a batch and says, per result, whether it was recorded (False:
    the claim is no longer ours).
    """

    MAX_BATCH = 256

    def __init__(self, write: Callable[[list[DeliveryResult]], Awaitable[list[bool]]]) -> None:
        self._write = write
        self._queue: list[tuple[DeliveryResult, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    def submit(self, result: DeliveryResult) -> asyncio.Future[bool]:
        """Queue a result; the future says whether it was recorded (False: not our claim)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((result, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return future

    async def _flush(self) -> None:
        while self._queue:
            batch = self._queue[: self.MAX_BATCH]
            del self._queue[: self.MAX_BATCH]
            try:
                recorded = await self._write([item for item, _ in batch])
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), ok in zip(batch, recorded, strict=True):
                if not future.done():
                    future.set_result(ok)
