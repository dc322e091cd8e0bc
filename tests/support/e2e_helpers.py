"""End-to-end helpers: the real bot (`python -m bot run`) as a subprocess, over real HTTP.

The Bot API stand-in (`tests.support.botapi`) runs in the test's event loop on 127.0.0.1; the
bot talks to it through `BOT_API_URL` exactly as it talks to Telegram. The bot's log (stderr)
is read line by line as it comes, so a test can wait for a log line as it waits for a call:
on an event, with a timeout, never by sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.botapi import BotApiStandIn, Call

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123:TEST"
SECRET = "e2e-Secret_token-0123456789"
REMINDER_MARK = "⏰ <b>Reminder:</b>"
SQLITE_FILE = "optout.sqlite3"

# Configuration the bot reads; the tests set what they need and nothing leaks in from outside.
CONFIG_VARIABLES = (
    "BOT_TOKEN",
    "BOT_API_URL",
    "FAQ_DIR",
    "DEFAULT_REGION",
    "DEFAULT_TIMEZONE",
    "LOG_LEVEL",
    "DATA_DIR",
    "DATABASE_URL",
    "BROADCAST_RATE",
    "PAID_BROADCAST",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "PORT",
    "LISTEN",
    "ADMIN_IDS",
    "FLOOD_LIMIT",
    "LOG_UNMATCHED",
    "UNMATCHED_DAYS",
    "LOG_MESSAGE_TEXT",
    "TRUST_PROXY",
    "DB_TIMEOUT",
    "NUDGE_QUIET_HOURS",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bot_env(standin: BotApiStandIn, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    env.update(
        BOT_TOKEN=TOKEN,
        BOT_API_URL=standin.base_url,
        DATA_DIR=str(data_dir),
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def webhook_env(port: int, path: str = "/telegram") -> dict[str, str]:
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}{path}",
        "WEBHOOK_SECRET": SECRET,
        "PORT": str(port),
        "LISTEN": "127.0.0.1",
    }


class BotProcess:
    """`python -m bot run [args]` with its log collected line by line."""

    def __init__(self, env: dict[str, str], workdir: Path, *args: str) -> None:
        self.env = env
        self.workdir = workdir  # not the repository: a developer's .env must not leak in
        self.args = args
        self.lines: list[str] = []
        self.proc: asyncio.subprocess.Process | None = None
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._log_file = workdir / "bot.log"

    async def start(self) -> BotProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            *self.args,
            cwd=self.workdir,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with self._log_file.open("a", encoding="utf-8") as log:
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.lines.append(line)
                log.write(line + "\n")
                self._notify()
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def log(self, start: int = 0) -> str:
        return "\n".join(self.lines[start:])

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.lines[-n:])

    def mark(self) -> int:
        return len(self.lines)

    async def wait_for_log(
        self, pattern: str, timeout: float = 10.0, *, after: int = 0, count: int = 1
    ) -> list[re.Match[str]]:
        """Wait until `count` log lines (after `mark()`) match the regular expression."""
        regex = re.compile(pattern)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            found = [m for line in self.lines[after:] if (m := regex.search(line))]
            if len(found) >= count:
                return found[:count]
            reader_done = self._reader is not None and self._reader.done()
            remaining = deadline - loop.time()
            if remaining <= 0 or reader_done:
                why = "the bot exited" if reader_done else f"not within {timeout} s"
                raise AssertionError(
                    f"log line /{pattern}/ x{count}: {why}; log tail:\n{self.tail()}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_ready(self, timeout: float = 20.0) -> None:
        await self.wait_for_log(r"long polling started|webhook registered", timeout)

    async def wait_exit(self, timeout: float) -> int:
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 5)
        return code

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> tuple[int, float]:
        """Send `sig`; return (exit code, seconds until the process had exited)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = await self.wait_exit(timeout)
        return code, time.monotonic() - started

    async def kill(self) -> None:
        """kill -9: no cleanup at all, as a crash or an OOM kill."""
        if self.running:
            assert self.proc is not None
            self.proc.kill()
            await self.wait_exit(10)

    async def close(self) -> None:
        with contextlib.suppress(ProcessLookupError, TimeoutError):
            await self.kill()
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()


def to_chat(chat_id: int) -> Callable[[Call], bool]:
    return lambda c: c.chat_id == chat_id


class Chat:
    """One Telegram user in a private chat with the bot, driven through the stand-in."""

    def __init__(self, standin: BotApiStandIn, name: str = "Tester") -> None:
        self.standin = standin
        self.user = standin.new_user(name, language_code="en")
        self.id: int = self.user["id"]

    def send(self, text: str) -> dict[str, Any]:
        return self.standin.private_message(text, user=self.user)

    async def say(self, text: str, replies: int = 1, timeout: float = 10.0) -> list[Call]:
        """Send a message; return the bot's first `replies` messages to this chat after it."""
        mark = self.standin.mark()
        self.send(text)
        return await self.replies(mark, replies, timeout)

    async def say_one(self, text: str, timeout: float = 10.0) -> Call:
        [call] = await self.say(text, 1, timeout)
        return call

    async def replies(self, mark: int, count: int = 1, timeout: float = 10.0) -> list[Call]:
        return await self.standin.wait_for(
            "sendMessage", count, timeout, after=mark, where=to_chat(self.id)
        )

    async def press(
        self,
        message: Call,
        label: str | None = None,
        *,
        data: str | None = None,
        timeout: float = 10.0,
    ) -> tuple[Call, Call]:
        """Press a button by label (or by its callback data); return (answer, reply)."""
        mark = self.standin.mark()
        if data is not None:
            assert data in message.callback_data, (data, message.callback_data)
            update = self.standin.callback_query(message, data, user=self.user)
        else:
            assert label is not None
            update = self.standin.press(message, label, user=self.user)
        query_id = update["callback_query"]["id"]
        [answer] = await self.standin.wait_for(
            "answerCallbackQuery",
            1,
            timeout,
            after=mark,
            where=lambda c: c.params.get("callback_query_id") == query_id,
        )
        [reply] = await self.standin.wait_for(
            None,
            1,
            timeout,
            after=mark,
            where=lambda c: c.method in ("sendMessage", "editMessageText") and c.chat_id == self.id,
        )
        return answer, reply

    def sent_to(self, after: int = 0) -> list[Call]:
        return self.standin.calls_for("sendMessage", after=after, where=to_chat(self.id))


def rows_for_chat(db_file: Path, chat_id: int) -> dict[str, int]:
    """Rows per table that carry this chat id, read straight from the SQLite file."""
    with contextlib.closing(sqlite3.connect(db_file)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts = {}
        for table in tables:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            if "chat_id" in columns:
                (n,) = conn.execute(
                    f'SELECT COUNT(*) FROM "{table}" WHERE chat_id = ?', (chat_id,)
                ).fetchone()
                counts[table] = n
        return counts


def deliveries(db_file: Path) -> list[tuple[int, str, int, str]]:
    """(chat_id, deadline_id, lead_seconds, status) of every delivery record."""
    with contextlib.closing(sqlite3.connect(db_file)) as conn:
        return list(
            conn.execute(
                "SELECT chat_id, deadline_id, lead_seconds, status FROM deliveries "
                "ORDER BY chat_id, lead_seconds DESC"
            )
        )
