"""`InFlight`: what is taken counts until it is processed; no room means "leave it at Telegram"."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from bot.telegram.inflight import InFlight


async def test_updates_count_from_taking_to_the_end_of_processing():
    inflight = InFlight(2)
    assert inflight.take(1) and inflight.take(2)
    assert not inflight.take(3)  # full: the poller does not ask, the webhook answers 503
    assert inflight.holds(1) and not inflight.holds(3)
    waiting = asyncio.ensure_future(inflight.room())
    await asyncio.sleep(0.01)
    assert not waiting.done()

    async def handler() -> None:
        await asyncio.sleep(0)

    await inflight.process_update(SimpleNamespace(update_id=1), handler())
    assert await asyncio.wait_for(waiting, 1) == 1
    assert inflight.unfinished() == [2]


async def test_cancelled_updates_stay_unfinished():
    inflight = InFlight(4)
    started = asyncio.Event()

    async def stuck() -> None:
        started.set()
        await asyncio.Event().wait()

    inflight.take(7)
    task = asyncio.ensure_future(inflight.process_update(SimpleNamespace(update_id=7), stuck()))
    await started.wait()
    assert inflight.cancel() == 1
    await asyncio.gather(task, return_exceptions=True)
    assert inflight.free == 4  # its slot is free ...
    assert inflight.unfinished() == [7]  # ... but it was not answered
    await asyncio.wait_for(inflight.idle(), 1)
