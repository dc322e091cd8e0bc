"""One send budget per bot token, shared by replies and reminder rounds.

Telegram limits a bot as a whole (about 30 messages per second; up to 1,000 with paid
broadcasts), whichever part of the bot sends. Replies go through python-telegram-bot's rate
limiter hook (`BudgetRateLimiter`, a `BaseRateLimiter`) and reminder rounds through their
`SendLimiter` (`SendBudget.rounds`); both take their slots from the one `TokenBucket` of the
`SendBudget`, so together they stay within `rate`, and a 429 (RetryAfter) seen on either
path pauses both.

Replies come first: a person is waiting. They skip the round's queue of reserved slots, and
while one waits the round leaves it up to `reserve` slots of each second (`TokenBucket`
explains how), so a round of any size delays a reply by a slot or so, never by the round.
Replies never use paid broadcasts, so above 30/s they also keep to the free 30 per second;
in groups they keep to 20 per minute per group, as PTB's `AIORateLimiter` does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.reminders.classify import retry_after_seconds
from bot.reminders.ratelimit import FREE_RATE, SendLimiter, TimeSource, TokenBucket

__all__ = ["BudgetRateLimiter", "SendBudget", "round_limiter", "shared_rate_limiter"]

log = logging.getLogger(__name__)

GROUP_MAX_RATE = 20  # messages per group ...
GROUP_PERIOD = 60.0  # ... per this many seconds
_MAX_GROUP_LIMITERS = 512
_UNLIMITED = frozenset({"getUpdates"})  # long polling is not a message: never held back


def default_reserve(rate: float) -> int:
    """Slots per second a round leaves to waiting replies: a third of the rate, at most 30
    (replies cannot use more: they are not paid broadcasts)."""
    return max(1, int(min(FREE_RATE, rate / 3)))


class SendBudget:
    """What one bot token may send: the shared bucket, the rounds' limiter, replies' gate."""

    def __init__(
        self,
        rate: float = FREE_RATE,
        *,
        reserve: int | None = None,
        clock: TimeSource | None = None,
    ) -> None:
        reserve = default_reserve(rate) if reserve is None else reserve
        self.bucket = TokenBucket(rate, reserve=reserve, clock=clock)
        self.rounds = SendLimiter(clock=clock, bucket=self.bucket)
        # Replies are never paid broadcasts: above the free rate they keep to it as well.
        self._free = TokenBucket(FREE_RATE, clock=clock) if rate > FREE_RATE else None
        self._groups: dict[int | str, AsyncLimiter] = {}

    @property
    def rate(self) -> float:
        return self.bucket.rate

    def pause(self, seconds: float) -> None:
        """Telegram said RetryAfter: nothing goes out, on either path, for `seconds`."""
        self.bucket.pause(seconds)

    async def reply_slot(self, chat_id: int | str, *, paid: bool = False) -> None:
        """Wait until a reply to `chat_id` may go out (group limit, free rate, the budget)."""
        group = self._group_limiter(chat_id)
        if group is not None:
            await group.acquire()
        if self._free is not None and not paid:
            await self._free.acquire(urgent=True)
        await self.bucket.acquire(urgent=True)

    async def until_resumed(self) -> None:
        await self.bucket.until_resumed()

    def _group_limiter(self, chat_id: int | str) -> AsyncLimiter | None:
        """Groups and channels (negative ids, or @usernames) get at most 20 per minute."""
        if isinstance(chat_id, int) and chat_id >= 0:
            return None
        if len(self._groups) > _MAX_GROUP_LIMITERS:  # forget groups with their capacity back
            self._groups = {
                key: limiter
                for key, limiter in self._groups.items()
                if key == chat_id or not limiter.has_capacity(limiter.max_rate)
            }
        limiter = self._groups.get(chat_id)
        if limiter is None:
            limiter = self._groups[chat_id] = AsyncLimiter(GROUP_MAX_RATE, GROUP_PERIOD)
        return limiter


class BudgetRateLimiter(BaseRateLimiter[int]):
    """PTB's rate limiter hook over a `SendBudget`: replies' side of the shared budget.

    Requests that carry a `chat_id` (messages, edits) take a reply slot; all others but
    getUpdates wait out a pause. On RetryAfter the whole budget pauses (the round too) and
    the request is made again, at most `max_retries` times (`rate_limit_args` of a call
    overrides it, as with PTB's `AIORateLimiter`).
    """

    def __init__(self, budget: SendBudget, *, max_retries: int = 0) -> None:
        self.budget = budget
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        max_retries = rate_limit_args or self._max_retries
        chat_id = _chat_id(data.get("chat_id"))
        paid = bool(data.get("allow_paid_broadcast", False))
        attempt = 0
        while True:
            if chat_id is not None:
                await self.budget.reply_slot(chat_id, paid=paid)
            elif endpoint not in _UNLIMITED:
                await self.budget.until_resumed()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                self.budget.pause(seconds)
                if attempt >= max_retries:
                    log.warning("%s: rate limited after %d retries; giving up", endpoint, attempt)
                    raise
                attempt += 1
                log.info("%s: rate limited, every send waits %.1f s", endpoint, seconds)


def _chat_id(value: object) -> int | str | None:
    """The chat a request goes to: an int id, an @username, or None (not a message)."""
    if value is None:
        return None
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return str(value)


def shared_rate_limiter(rate: float) -> BudgetRateLimiter:
    """The rate limiter `build_application` gives PTB: a new budget of `rate` per second."""
    return BudgetRateLimiter(SendBudget(rate), max_retries=2)


def round_limiter(bot: Bot) -> SendLimiter:
    """The rounds' side of the budget that `bot`'s rate limiter holds."""
    limiter = getattr(bot, "rate_limiter", None)
    if not isinstance(limiter, BudgetRateLimiter):
        raise TypeError(f"the bot's rate limiter is {limiter!r}, not a BudgetRateLimiter")
    return limiter.budget.rounds
