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
    a lock would need one turn of the event loop per slot handed over, which caps a busy
    process far below 1,000 per second. Because a late wake-up (a busy loop) could bunch
    reserved slots together, a log of the last grants checks the limit itself before each
    grant: no one-second window ever holds more than the sustained rate.

    Urgent callers (`acquire(urgent=True)`: a person waiting for a reply) skip the queue of
    reserved slots: they keep the spacing among themselves and wait for room in the
    one-second window and for a pause to end, nothing else. While any wait, the others
    leave up to `reserve` of the window's slots free for them, so a round that keeps the
    bucket busy cannot starve them; each urgent grant moves the queue back by one slot, and
    the window holds for both together.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int | None = None,
        reserve: int = 0,
        clock: TimeSource | None = None,
    ) -> None:
        if not 0 < rate <= MAX_RATE:
            raise ValueError(f"rate must be in (0, {MAX_RATE:g}] messages per second, got {rate!r}")
        burst = default_burst(rate) if burst is None else burst
        if burst < 1 or burst > max(1.0, rate):
            raise ValueError(f"burst must be between 1 and the rate, got {burst!r}")
        if reserve < 0:
            raise ValueError(f"reserve must not be negative, got {reserve!r}")
        self.rate = float(rate)
        self.burst = burst
        self.interval = 1.0 / (self.rate - burst + 1)
        self._tolerance = (burst - 1) * self.interval
        self._clock: TimeSource = clock or _RealTime()
        self._tat = float("-inf")  # theoretical arrival time of the next slot
        self._pauses = 0  # bumped by pause(): slots reserved before it are void
        self._paused_until = float("-inf")
        self._urgent_tat = float("-inf")  # the next urgent caller's slot
        # At most the sustained rate per second, a little under `rate`: what leaves here a
        # few milliseconds apart may arrive bunched, and Telegram counts on arrival.
        self._window = max(1, int(self.effective_rate))
        self._granted: deque[float] = deque(maxlen=self._window)
        # The others always keep at least one slot of the window for themselves.
        self.reserve = min(reserve, self._window - 1)
        self._urgent_waiting = 0

    @property
    def effective_rate(self) -> float:
        """Sustained sends per second (slightly under `rate` when bursts are allowed)."""
        return 1.0 / self.interval

    async def acquire(self, *, urgent: bool = False) -> None:
        if urgent:
            await self._acquire_urgent()
            return
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
            await self._within_window(urgent=False)
            if self._pauses == pauses:
                self._granted.append(clock.monotonic())
                return

    async def _acquire_urgent(self) -> None:
        clock = self._clock
        self._urgent_waiting += 1
        try:
            while True:
                # Urgent callers are spaced like the others among themselves: a burst of
                # them would come back a second later as a burst of the others, released
                # together from the window, and bunched requests are what Telegram counts.
                now = clock.monotonic()
                slot = max(self._urgent_tat, self._paused_until, now)
                self._urgent_tat = slot + self.interval
                pauses = self._pauses
                if slot - now > _EPSILON:
                    await clock.sleep(slot - now)
                if self._pauses != pauses:
                    continue
                await self._within_window(urgent=True)
                if self._pauses != pauses:
                    continue
                now = clock.monotonic()
                self._granted.append(now)
                # The queued callers move back by the slot just used.
                self._tat = max(self._tat, now) + self.interval
                return
        finally:
            self._urgent_waiting -= 1

    async def _within_window(self, *, urgent: bool) -> None:
        """Wait while the last second holds all the grants allowed (keeping our slot).

        Slots are spaced right, but a late wake-up (a busy loop) can bunch grants; waiting
        the few milliseconds here keeps the window without giving up the slot (a fresh
        slot would cost 3% of the rate at 30/s). A caller that is not urgent counts the
        slots kept for waiting urgent ones as taken.
        """
        granted = self._granted
        clock = self._clock
        while True:
            kept = 0 if urgent else min(self._urgent_waiting, self.reserve)
            allowed = self._window - kept
            if len(granted) < allowed:
                return
            # The allowed-th latest grant must have left the window. Ten microseconds of
            # slack: clocks round, and slots one second apart are fine.
            early = granted[len(granted) - allowed] + 1.0 - _WINDOW_SLACK - clock.monotonic()
            if early <= 0:
                return
            await clock.sleep(early)

    def pause(self, seconds: float) -> None:
        """Nobody gets a slot for `seconds` from now (Telegram said RetryAfter)."""
        resume = self._clock.monotonic() + max(0.0, seconds)
        self._tat = max(self._tat, resume + self._tolerance)
        self._paused_until = max(self._paused_until, resume)
        self._pauses += 1

    async def until_resumed(self) -> None:
        """Return once no pause is in force."""
        while (held := self._paused_until - self._clock.monotonic()) > _EPSILON:
            await self._clock.sleep(held)


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
    """The limiter a delivery round uses: per-chat spacing first, then the global bucket.

    `bucket`: the bot's shared bucket (`bot.sendbudget.SendBudget`), so that replies and
    rounds count against one budget; a bucket of its own at `rate` when not given.
    """

    def __init__(
        self,
        rate: float = FREE_RATE,
        *,
        burst: int | None = None,
        per_chat_interval: float = 1.0,
        group_interval: float = 3.0,
        clock: TimeSource | None = None,
        bucket: TokenBucket | None = None,
    ) -> None:
        self.global_bucket = bucket or TokenBucket(rate, burst=burst, clock=clock)
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
