"""``python -m tests.support.botapi --port 0``: the stand-in as its own process.

Prints the port on its first line, then serves until stopped (see `server` for the control
API that drives it from another process).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc

from tests.support.botapi.server import DEFAULT_TOKEN, DEFAULT_USERNAME, BotApiStandIn


async def _serve(port: int, token: str, username: str) -> None:
    standin = BotApiStandIn(token, username)
    await standin.start(port=port)
    print(standin.port, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await standin.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a Telegram Bot API stand-in")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    args = parser.parse_args(argv)
    # As its own process it is a measuring instrument (benchmarks time requests by when it
    # reads them): its record of 100,000 calls must not make it pause for full garbage
    # collections, which bunched up the arrival times it records. Its objects hold no cycles.
    gc.freeze()
    gc.disable()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.token, args.username))


if __name__ == "__main__":
    main()
