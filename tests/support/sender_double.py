"""A stand-in for the Telegram sender that fails on a schedule.

Errors are the real `telegram.error` classes, built the way python-telegram-bot builds them
from a Bot API answer (429 -> RetryAfter, 403 -> Forbidden, 5xx -> NetworkError, ...).

A message counts as delivered only when `send` returns normally; the double records it as
its very last step, so a task cancelled inside `send` has delivered nothing (like an HTTP
request that never reached Telegram).
"""

from __future__ import annotations

import asyncio
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.clock import Clock
from bot.replies import Keyboard


class SimulatedCrash(Exception):
    """Raised by the double to kill a delivery round the way a process crash would."""


def too_many_requests(retry_after: int) -> RetryAfter:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns about the int form of retry_after
        return RetryAfter(retry_after)


def blocked() -> Forbidden:
    return Forbidden("Forbidden: bot was blocked by the user")


def chat_not_found() -> BadRequest:
    return BadRequest("Bad Request: chat not found")


def message_too_long() -> BadRequest:
    return BadRequest("Bad Request: message is too long")


def server_error(code: int = 500) -> NetworkError:
    phrase = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    return NetworkError(f"{phrase.get(code, 'Server Error')} ({code})")


def timed_out() -> TimedOut:
    return TimedOut()


def migrated(new_chat_id: int) -> ChatMigrated:
    return ChatMigrated(new_chat_id)


@dataclass(frozen=True, slots=True)
class Call:
    chat_id: int
    at: datetime
    outcome: str  # "sent" or the exception class name


@dataclass(frozen=True, slots=True)
class Delivered:
    chat_id: int
    text: str
    buttons: Keyboard
    at: datetime


@dataclass
class ScriptedSender:
    """Answers according to a script.

    - `per_chat[chat_id]`: exceptions raised, in order, by that chat's next calls;
    - `per_call[n]`: the exception for the n-th call overall (0-based);
    - `fail_every`: every k-th call overall fails with a 5xx (transient);
    - `crash_on_call`: that call (0-based) raises SimulatedCrash before delivering;
    - `after_send`: called with the sender after each delivered message (e.g. to cancel).
    `delivered` is shared if passed in, so several "processes" can write to one log.
    """

    clock: Clock
    per_chat: dict[int, list[Exception]] = field(default_factory=dict)
    per_call: dict[int, Exception] = field(default_factory=dict)
    fail_every: int | None = None
    crash_on_call: int | None = None
    after_send: Callable[[ScriptedSender], None] | None = None
    delivered: list[Delivered] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    started: int = 0  # calls begun (numbered at the start, so concurrent calls differ)

    async def send(self, chat_id: int, text: str, buttons: Keyboard) -> None:
        index = self.started
        self.started += 1
        now = self.clock.now()
        await asyncio.sleep(0)  # a real request yields to the event loop
        error: BaseException | None = None
        if self.crash_on_call is not None and index >= self.crash_on_call:
            error = SimulatedCrash(f"crash on call {index}")
        elif self.per_chat.get(chat_id):
            error = self.per_chat[chat_id].pop(0)
        elif index in self.per_call:
            error = self.per_call[index]
        elif self.fail_every and (index + 1) % self.fail_every == 0:
            error = server_error(503)
        self.calls.append(Call(chat_id, now, "sent" if error is None else type(error).__name__))
        if error is not None:
            raise error
        self.delivered.append(Delivered(chat_id, text, buttons, now))
        if self.after_send is not None:
            self.after_send(self)

    def counts(self) -> Counter[int]:
        return Counter(d.chat_id for d in self.delivered)

    def calls_for(self, chat_id: int) -> list[Call]:
        return [c for c in self.calls if c.chat_id == chat_id]


def exactly_once(delivered: Iterable[Delivered], expected: Iterable[int]) -> list[str]:
    """Problems with a delivery log: duplicates, losses, strangers. Empty means perfect."""
    counts = Counter(d.chat_id for d in delivered)
    wanted = set(expected)
    problems = [f"chat {c} got {n} messages" for c, n in sorted(counts.items()) if n > 1]
    problems += [f"chat {c} got nothing" for c in sorted(wanted - counts.keys())]
    problems += [f"chat {c} was not due" for c in sorted(counts.keys() - wanted)]
    return problems
