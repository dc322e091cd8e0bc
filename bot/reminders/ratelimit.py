"""Small async rate limiters with an injectable monotonic clock.

Telegram's flood limits (about 30 messages per second overall, up to 1,000 with paid
broadcasts; about 1 per second per chat, 20 per minute per group) are enforced on our side so a
round of a million reminders proceeds at the limit instead of bouncing off 429s.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Protocol

__all__ = [
    "FREE_RATE",
    "MAX_RATE",
    "PerChatLimiter",
    "SendLimiter",
    "TimeSource",
    "TokenBucket",
    "default_burst",
]

FREE_RATE = 30.0
MAX_RATE = 1000.0
_EPSILON = 1e-9
_WINDOW_SLACK = 1e-5


class TimeSource(Protocol):
    """What a limiter needs from a clock. `SystemClock` and `FakeClock` both provide it."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class _RealTime:
    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


def default_burst(rate: float) -> int:
    """How many sends may bunch up: 1 at 30/s (evenly spaced), 20 at 1,000/s.

    At high rates an interval is about a millisecond, which the event loop cannot hit
    precisely; a little burst lets the limiter catch up after a late wake-up instead of
    losing that time for good.
    """
    return max(1, int(rate // 50))


class TokenBucket:
    """At most `rate` acquisitions in any one-second window, handed out in FIFO order.

    A GCRA ("virtual scheduling") bucket: slots are spaced `1 / (rate - burst + 1)` apart and up
    to `burst` may be taken back to back. `pause(s)` (after a 429) holds everyone back for `s`
    seconds and drops the burst credit, so sending resumes at the steady pace.

    Each caller reserves its slot the moment it asks, without a lock, and only then sleeps:
    with a lock, every slot needed one turn of the event loop to be handed over, which
    capped a busy process far below 1,000 per second. Because a late wake-up (a busy loop)
    could bunch reserved slots together, a log of the last `rate` grants checks the limit
    itself before each grant: no one-second window ever holds more than the sustained rate.
    """

    def __init__(
        self, rate: float, *, burst: int | None = None, clock: TimeSource | None = None
    ) -> None:
        if not 0 < rate <= MAX_RATE:
            raise ValueError(f"rate must be in (0, {MAX_RATE:g}] messages per second, got {rate!r}")
        burst = default_burst(rate) if burst is None else burst
        if burst < 1 or burst > max(1.0, rate):
            raise ValueError(f"burst must be between 1 and the rate, got {burst!r}")
        self.rate = float(rate)
        self.burst = burst
        self.interval = 1.0 / (self.rate - burst + 1)
        self._tolerance = (burst - 1) * self.interval
        self._clock: TimeSource = clock or _RealTime()
        self._tat = float("-inf")  # theoretical arrival time of the next slot
        self._pauses = 0  # bumped by pause(): slots reserved before it are void
        # At most the sustained rate per second, a little under `rate`: what leaves here a
        # few milliseconds apart may arrive bunched, and Telegram counts on arrival.
        self._granted: deque[float] = deque(maxlen=max(1, int(self.effective_rate)))

    @property
    def effective_rate(self) -> float:
        """Sustained sends per second (slightly under `rate` when bursts are allowed)."""
        return 1.0 / self.interval

    async def acquire(self) -> None:
        clock = self._clock
        while True:
            now = clock.monotonic()
            # The next slot follows the previous one's *scheduled* time, not the moment its
            # holder woke up, so timer overshoot (about a millisecond per sleep) does not add up.
            slot = max(self._tat, now)
            self._tat = slot + self.interval
            pauses = self._pauses
            wait = slot - self._tolerance - now
            if wait > _EPSILON:  # float noise must not cause a zero-length wait
                await clock.sleep(wait)
            if self._pauses != pauses:
                continue  # a 429 arrived while we waited: queue again behind the pause
            await self._within_window()
            if self._pauses == pauses:
                self._granted.append(clock.monotonic())
                return

    async def _within_window(self) -> None:
        """Wait while `rate` grants already lie within the last second (keeping our slot).

        Slots are spaced right, but a late wake-up (a busy loop) can bunch grants; waiting
        the few milliseconds here keeps the window without giving up the slot, which
        cost 3% of the rate at 30/s when a fresh slot was taken instead.
        """
        granted = self._granted
        clock = self._clock
        while len(granted) == granted.maxlen:
            # Ten microseconds of slack: clocks round, and slots one second apart are fine.
            early = granted[0] + 1.0 - _WINDOW_SLACK - clock.monotonic()
            if early <= 0:
                return
            await clock.sleep(early)

    def pause(self, seconds: float) -> None:
        """Nobody gets a slot for `seconds` from now (Telegram said RetryAfter)."""
        resume = self._clock.monotonic() + max(0.0, seconds)
        self._tat = max(self._tat, resume + self._tolerance)
        self._pauses += 1


class PerChatLimiter:
    """At most one message per `interval` seconds to the same chat (3 s for groups: 20/min).

    Remembers only chats with a recent send; older entries are dropped, so memory stays
    bounded however many chats a round reaches.
    """

    def __init__(
        self,
        interval: float = 1.0,
        *,
        group_interval: float = 3.0,
        clock: TimeSource | None = None,
    ) -> None:
        if interval < 0 or group_interval < 0:
            raise ValueError("intervals must not be negative")
        self.interval = interval
        self.group_interval = group_interval
        self._clock: TimeSource = clock or _RealTime()
        self._next: dict[int, float] = {}
        self._prune_at = 1024

    def _interval_for(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.interval

    async def acquire(self, chat_id: int) -> None:
        now = self._clock.monotonic()
        slot = max(now, self._next.get(chat_id, now))
        self._next[chat_id] = slot + self._interval_for(chat_id)  # reserve before waiting
        if len(self._next) >= self._prune_at:
            self._prune(now)
        if slot > now:
            await self._clock.sleep(slot - now)

    def _prune(self, now: float) -> None:
        self._next = {chat: t for chat, t in self._next.items() if t > now}
        self._prune_at = max(1024, 2 * len(self._next))

    def __len__(self) -> int:
        return len(self._next)


class SendLimiter:
    """The limiter a delivery round uses: per-chat spacing first, then the global bucket."""

    def __init__(
        self,
        rate: float = FREE_RATE,
        *,
        burst: int | None = None,
        per_chat_interval: float = 1.0,
        group_interval: float = 3.0,
        clock: TimeSource | None = None,
    ) -> None:
        self.global_bucket = TokenBucket(rate, burst=burst, clock=clock)
        self.per_chat = PerChatLimiter(
            per_chat_interval, group_interval=group_interval, clock=clock
        )

    @property
    def rate(self) -> float:
        return self.global_bucket.rate

    @property
    def effective_rate(self) -> float:
        return self.global_bucket.effective_rate

    async def acquire(self, chat_id: int) -> None:
        await self.per_chat.acquire(chat_id)
        await self.global_bucket.acquire()

    def pause(self, seconds: float) -> None:
        self.global_bucket.pause(seconds)
