"""Which asyncio event loop the bot runs on: uvloop where it is installed.

Why: a reminder round at 1,000 messages per second is CPU-bound in one process, and uvloop's
event loop (libuv) made such a round 2-3% faster than asyncio's own in alternating runs on
this project's 2-vCPU machine (docs/benchmarks.md). It is a dependency on Linux and macOS;
elsewhere (Windows) asyncio's loop is used and everything works the same, a little slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["loop_factory", "run"]

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None for asyncio's default loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the fastest loop available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
