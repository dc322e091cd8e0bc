"""Time as a dependency.

Everything that waits or compares against "now" takes a `Clock`, so tests can run days of
reminder schedule in milliseconds with `FakeClock` instead of sleeping for real.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Wall-clock time and waiting. `now()` is always timezone-aware UTC."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: `datetime.now(UTC)`, `time.monotonic()`, `asyncio.sleep()`."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock for tests: time moves only when told to, or when someone sleeps.

    `sleep(s)` returns almost at once: it yields to the event loop once (so tasks that go to
    sleep at the same moment wake at the same fake time, not one after the other) and then
    moves the fake time forward to its wake-up time (rounded up to a whole microsecond).
    Every requested sleep is kept in `sleeps` so tests can check how long code chose to wait.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2025, 1, 1, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._origin = self._now
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        """Seconds since the clock was created (never goes backwards unless `set` is misused)."""
        return (self._now - self._origin).total_seconds()

    def advance(self, delta: float | timedelta) -> None:
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock.set needs a timezone-aware datetime")
        when = when.astimezone(UTC)
        if when < self._now:
            raise ValueError("time does not go backwards")
        self._now = when

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        self.sleeps.append(seconds)
        # Round up to the clock's microsecond resolution: a positive sleep always moves time,
        # so code that waits "until t" cannot spin forever on a sub-microsecond remainder.
        wake = self._now + timedelta(microseconds=math.ceil(seconds * 1_000_000))
        await asyncio.sleep(0)
        self._now = max(self._now, wake)
