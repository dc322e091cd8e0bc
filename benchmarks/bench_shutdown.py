"""What a stop costs with a backlog: fetched, answered and lost updates, SIGTERM and kill -9.

    python benchmarks/bench_shutdown.py                  # SIGTERM and kill -9, 3 runs each
    python benchmarks/bench_shutdown.py --runs 1 --stop SIGTERM
    python benchmarks/bench_shutdown.py --source /path/to/another/checkout   # compare

Not a test: it prints figures (docs/robustness.md keeps them). Each run:

1. the Bot API stand-in (tests/support/botapi/, in this process, on 127.0.0.1) holds a
   backlog of 1,000 messages from 100 chats (10 each, `/help`: one reply each) before the
   bot starts, as after a night of downtime;
2. the real bot (`python -m bot run`, long polling, SQLite in a temporary directory) starts
   and answers; `--after` seconds after its first reply it gets SIGTERM (or kill -9);
3. the stand-in's record says what was *fetched* (distinct updates in getUpdates answers),
   *confirmed* (no longer held: a later getUpdates passed a higher offset, as on Telegram)
   and *answered* in that first life;
4. the bot is started again on the same data and runs until every update the stand-in
   still holds is answered and nothing more comes for 3 s; then SIGTERM.

*Lost* is a message that never got its reply, after both lives (per chat: sent minus
answered, when positive); *twice* is a reply sent once too often. `--source` runs the bot
from another checkout (its `bot` package, same interpreter), e.g. the code before a change.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.botapi import BotApiStandIn  # noqa: E402
from tests.support.e2e_helpers import TOKEN, BotProcess, Chat, bot_env  # noqa: E402

CHATS = 100
PER_CHAT = 10
QUIET = 3.0  # seconds without a reply that end the second life


@dataclass
class Result:
    stop: str
    fetched: int
    confirmed: int
    answered_first: int
    stop_seconds: float
    exit_code: int | None
    answered_total: int
    lost: int
    twice: int
    bad_lines: int  # Traceback, "HTTPXRequest is not initialized", "never awaited"


BAD = ("Traceback", "HTTPXRequest is not initialized", "never awaited")


def _env(standin: BotApiStandIn, data: Path, source: Path) -> dict[str, str]:
    env = bot_env(standin, data, FLOOD_LIMIT="10000")
    env["PYTHONPATH"] = str(source)
    return env


async def one_run(stop: str, after: float, source: Path, workdir: Path) -> Result:
    total = CHATS * PER_CHAT
    async with BotApiStandIn(TOKEN) as standin:
        chats = [Chat(standin, f"User{i}") for i in range(CHATS)]
        for _ in range(PER_CHAT):
            for chat in chats:
                chat.send("/help")
        bot = BotProcess(_env(standin, workdir / "data", source), workdir / "run1")
        await bot.start()
        try:
            await standin.wait_for("sendMessage", 1, timeout=120)
            await asyncio.sleep(after)
            started = time.monotonic()
            if stop == "SIGTERM":
                code: int | None = (await bot.stop(signal.SIGTERM, timeout=30))[0]
            else:
                await bot.kill()
                code = None
            stop_seconds = time.monotonic() - started
        finally:
            await bot.close()
        fetched = {u["update_id"] for c in standin.calls_for("getUpdates") for u in c.result or []}
        confirmed = total - len(standin.pending_updates)
        answered_first = len(standin.calls_for("sendMessage"))
        bad = sum(any(b in line for b in BAD) for line in bot.lines)

        second = BotProcess(_env(standin, workdir / "data", source), workdir / "run2")
        await second.start()
        try:
            await _until_quiet(standin)
            await second.stop(signal.SIGTERM, timeout=30)
        finally:
            await second.close()
        bad += sum(any(b in line for b in BAD) for line in second.lines)
        per_chat = Counter(c.chat_id for c in standin.calls_for("sendMessage"))
        lost = sum(max(0, PER_CHAT - per_chat[chat.id]) for chat in chats)
        twice = sum(max(0, per_chat[chat.id] - PER_CHAT) for chat in chats)
        return Result(
            stop,
            len(fetched),
            confirmed,
            answered_first,
            stop_seconds,
            code,
            sum(per_chat.values()),
            lost,
            twice,
            bad,
        )


async def _until_quiet(standin: BotApiStandIn) -> None:
    """Until the stand-in holds no update and no reply came for QUIET seconds."""
    last_count, last_change = -1, time.monotonic()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        count = len(standin.calls_for("sendMessage"))
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        elif not standin.pending_updates and time.monotonic() - last_change >= QUIET:
            return
        await asyncio.sleep(0.2)


def _row(r: Result) -> str:
    code = "-" if r.exit_code is None else str(r.exit_code)
    return (
        f"{r.stop:8} fetched {r.fetched:5}  confirmed {r.confirmed:5}  "
        f"answered {r.answered_first:5}  stop {r.stop_seconds:4.1f} s (exit {code})  "
        f"| after restart: answered "
        f"{r.answered_total:5}  lost {r.lost:4}  twice {r.twice:3}  bad log lines {r.bad_lines}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--after", type=float, default=3.0, help="seconds after the first reply")
    parser.add_argument("--stop", choices=["SIGTERM", "kill", "both"], default="both")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout to run the bot from")
    args = parser.parse_args()
    stops = (
        ["SIGTERM", "kill -9"] if args.stop == "both" else [args.stop.replace("kill", "kill -9")]
    )
    print(
        f"{CHATS * PER_CHAT} queued messages from {CHATS} chats; stop {args.after:g} s after "
        f"the first reply; bot from {args.source}; {os.cpu_count()} CPUs"
    )
    for stop in stops:
        results = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="bench-shutdown-") as tmp:
                result = await one_run(stop, args.after, args.source.resolve(), Path(tmp))
            print(_row(result), flush=True)
            results.append(result)
        if len(results) > 1:
            print(
                f"{stop}: lost median {statistics.median(r.lost for r in results):g} "
                f"(range {min(r.lost for r in results)}-{max(r.lost for r in results)})"
            )


if __name__ == "__main__":
    asyncio.run(main())
