"""What a delivery round works with: the message, the sender and limiter it calls, its report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.reminders.plan import Round
from bot.replies import Keyboard
from bot.store.repository import ChatSettings

__all__ = ["Compose", "Limiter", "OutgoingMessage", "RoundReport", "Sender"]


class Sender(Protocol):
    """Sends one message; raises `telegram.error` exceptions as python-telegram-bot does.

    `buttons` are the core's keyboard; the sender turns them into Telegram's markup.
    """

    async def send(self, chat_id: int, text: str, buttons: Keyboard) -> None: ...


class Limiter(Protocol):
    """`ratelimit.SendLimiter` (a share of the bot's `SendBudget`) or anything shaped like it."""

    async def acquire(self, chat_id: int) -> None: ...

    def pause(self, seconds: float) -> None: ...


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    text: str
    buttons: Keyboard = ()


ComposeResult = OutgoingMessage | str | None
Compose = Callable[[ChatSettings, dict[str, str], Round], ComposeResult | Awaitable[ComposeResult]]
"""compose(settings, checklist, round) -> the message, or None when nothing is left to remind."""


@dataclass(slots=True)
class RoundReport:
    deadline_id: str
    lead_seconds: int
    sent: int = 0
    skipped: int = 0  # nothing left to remind, or unsubscribed meanwhile
    deactivated: int = 0  # blocked the bot / chat gone
    failed: int = 0  # retries exhausted or payload refused
    expired: int = 0  # claimed, but the deadline came first
    abandoned: int = 0  # crashed claims closed as failed after their takeover ran out
    claimed_elsewhere: int = 0  # another worker or process won the claim
    lost_lease: int = 0  # our claim was gone when we came back to it (taken over, /forget)
    rate_limited: int = 0  # RetryAfter answers received
    quiet: int = 0  # due, but inside their quiet hours: left for a later pass
    retried: int = 0  # transient-error retries
    stopped_at_deadline: bool = False
    duration: float = 0.0  # seconds, on the injected clock
    errors: dict[str, int] = field(default_factory=dict)  # error class -> count

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.deactivated + self.failed + self.expired
