"""One send budget per bot token: replies and reminder rounds share it.

Unit tests of the shared bucket and the PTB rate limiter hook, then the real application
polling the Bot API stand-in while a reminder round runs through the same budget: together
they keep the rate (counted per second at the stand-in), a reply is not kept waiting by the
round, and a 429 on either path pauses the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, Application

from bot.clock import FakeClock, SystemClock
from bot.config import load_config
from bot.knowledge.model import Deadline, KnowledgeBase
from bot.reminders.delivery import deliver_round
from bot.reminders.outgoing import OutgoingMessage
from bot.reminders.plan import HOUR, Round
from bot.reminders.policy import DeliveryPolicy
from bot.reminders.ratelimit import TokenBucket
from bot.reminders.transport import BotSender
from bot.sendbudget import BudgetRateLimiter, SendBudget, round_limiter, shared_rate_limiter
from bot.store.db import database_url_from
from bot.store.repository import ChatSettings, Store
from bot.telegram.lifecycle import build_application
from tests.support.botapi import BotApiStandIn, Call
from tests.support.e2e_helpers import Chat
from tests.support.standin_fixtures import TOKEN, standin, start_bot, stop_bot  # noqa: F401
from tests.support.store_fixtures import bulk_subscribe


def busiest_second(times: Iterable[float], width: float = 1.0) -> int:
    """Most events in any half-open window of `width` seconds.

    On a FakeClock use a hair under a second: the limiter allows ten microseconds of slack
    and the clock rounds wake-ups to whole microseconds (so times are compared in them too).
    """
    ordered = sorted(times)
    best = lo = 0
    for hi, t in enumerate(ordered):
        while round(ordered[lo], 6) <= round(t - width, 6):
            lo += 1
        best = max(best, hi - lo + 1)
    return best


FAKE_SECOND = 1.0 - 1e-5


def too_many_requests(seconds: int) -> RetryAfter:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns about the int form of retry_after
        return RetryAfter(seconds)


# -- the shared bucket ------------------------------------------------------------------------


async def test_an_urgent_caller_does_not_queue_behind_the_reserved_slots() -> None:
    """40 callers hold two seconds of slots; a reply still gets one within a slot or two.

    (On the real clock: the fake one cannot run forty sleepers side by side. The window
    itself is checked on the fake clock below and at the stand-in.)
    """
    bucket = TokenBucket(20, reserve=5)

    async def bulk() -> None:
        while True:
            await bucket.acquire()

    workers = [asyncio.create_task(bulk()) for _ in range(40)]
    try:
        await asyncio.sleep(1.2)  # the window is full, the queue two seconds long
        started = time.monotonic()
        await bucket.acquire(urgent=True)
        waited = time.monotonic() - started
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    assert waited < 0.5, f"the urgent caller waited {waited:.2f} s"


async def test_a_pause_holds_urgent_callers_too() -> None:
    clock = FakeClock()
    bucket = TokenBucket(30, clock=clock)
    await bucket.acquire(urgent=True)
    bucket.pause(3)
    await bucket.acquire(urgent=True)
    assert clock.monotonic() == pytest.approx(3.0)
    await bucket.acquire()  # the queue moved back behind the pause and the urgent slot
    assert clock.monotonic() >= 3.0


async def test_urgent_and_queued_grants_together_keep_the_window() -> None:
    clock = FakeClock()
    bucket = TokenBucket(30, reserve=10, clock=clock)
    times: list[float] = []
    for n in range(120):
        await bucket.acquire(urgent=n % 3 == 0)
        times.append(clock.monotonic())
    assert busiest_second(times, FAKE_SECOND) <= 30


async def test_replies_keep_the_free_rate_under_a_paid_budget() -> None:
    clock = FakeClock()
    budget = SendBudget(1000, clock=clock)
    times = []
    for n in range(90):
        await budget.reply_slot(1000 + n)
        times.append(clock.monotonic())
    assert busiest_second(times, FAKE_SECOND) == 30  # not paid: the free 30 per second
    paid = []
    for n in range(90):
        await budget.reply_slot(1000 + n, paid=True)
        paid.append(clock.monotonic())
    assert busiest_second(paid, FAKE_SECOND) == 90  # paid: only the budget's limit


async def test_replies_to_a_group_keep_20_per_minute() -> None:
    budget = SendBudget(30)
    started = time.monotonic()
    for _ in range(20):
        await budget.reply_slot(-100123)
    assert time.monotonic() - started < 1.0
    with pytest.raises(TimeoutError):  # the 21st waits for the minute's capacity
        await asyncio.wait_for(budget.reply_slot(-100123), 0.5)
    await asyncio.wait_for(budget.reply_slot(42), 0.5)  # a private chat is not held


# -- the PTB rate limiter hook ----------------------------------------------------------------


@dataclass
class Answers:
    """A Bot API call that answers RetryAfter `limited` times before it goes through."""

    limited: int
    calls: int = 0

    async def __call__(self) -> bool:
        self.calls += 1
        if self.calls <= self.limited:
            raise too_many_requests(4)
        return True


async def test_the_budget_pauses_round_sends_on_a_429_to_a_reply() -> None:
    clock = FakeClock()
    budget = SendBudget(30, clock=clock)
    limiter = BudgetRateLimiter(budget, max_retries=0)
    with pytest.raises(RetryAfter):
        await limiter.process_request(Answers(1), (), {}, "sendMessage", {"chat_id": 5}, None)
    assert clock.monotonic() == 0.0
    await budget.rounds.acquire(77)
    assert clock.monotonic() == pytest.approx(4.0)


async def test_the_budget_pauses_replies_on_a_429_to_the_round() -> None:
    clock = FakeClock()
    budget = SendBudget(30, clock=clock)
    limiter = BudgetRateLimiter(budget)
    budget.rounds.pause(6)  # what the delivery loop does on RetryAfter
    await limiter.process_request(Answers(0), (), {}, "sendMessage", {"chat_id": 5}, None)
    assert clock.monotonic() == pytest.approx(6.0)


async def test_a_reply_is_made_again_after_the_pause_it_caused() -> None:
    clock = FakeClock()
    limiter = BudgetRateLimiter(SendBudget(30, clock=clock), max_retries=2)
    answers = Answers(limited=1)
    assert await limiter.process_request(answers, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert answers.calls == 2
    assert clock.monotonic() == pytest.approx(4.0)


async def test_a_reply_gives_up_after_its_retries() -> None:
    budget = SendBudget(30, clock=FakeClock())
    limiter = BudgetRateLimiter(budget, max_retries=2)
    answers = Answers(limited=5)
    with pytest.raises(RetryAfter):
        await limiter.process_request(answers, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert answers.calls == 3
    answers = Answers(limited=5)
    with pytest.raises(RetryAfter):  # rate_limit_args overrides the retries, as with PTB
        await limiter.process_request(answers, (), {}, "sendMessage", {"chat_id": 5}, 4)
    assert answers.calls == 5


async def test_calls_without_a_chat_wait_out_a_pause_except_get_updates() -> None:
    clock = FakeClock()
    budget = SendBudget(30, clock=clock)
    limiter = BudgetRateLimiter(budget)
    budget.pause(10)
    await limiter.process_request(Answers(0), (), {}, "getUpdates", {"timeout": 10}, None)
    assert clock.monotonic() == 0.0  # long polling goes on
    await limiter.process_request(Answers(0), (), {}, "answerCallbackQuery", {}, None)
    assert clock.monotonic() == pytest.approx(10.0)


def test_the_application_and_its_rounds_share_one_budget(kb: KnowledgeBase) -> None:
    config = load_config({"BOT_TOKEN": TOKEN, "BROADCAST_RATE": "20"})
    app = build_application(config, kb, SystemClock())
    limiter = app.bot.rate_limiter
    assert isinstance(limiter, BudgetRateLimiter)
    assert limiter.budget.rate == 20
    assert round_limiter(app.bot).global_bucket is limiter.budget.bucket
    other = Application.builder().token(TOKEN).rate_limiter(AIORateLimiter()).build()
    with pytest.raises(TypeError, match="BudgetRateLimiter"):
        round_limiter(other.bot)
    assert shared_rate_limiter(30).budget is not shared_rate_limiter(30).budget


# -- the real application and a round, over the stand-in --------------------------------------

SUBSCRIBERS = 5000  # the first subscriber's chat id; the stand-in's users start at 2001
DEADLINE = Deadline(
    id="budget-test",
    title="Send budget test deadline",
    at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=2),
    timezone="UTC",
    regions=("eu",),
    platforms=("facebook",),
    before="Object now.",
    after="Too late.",
)
ROUND = Round(DEADLINE, HOUR, DEADLINE.at - timedelta(hours=1))


def compose(settings: ChatSettings, checklist: dict[str, str], rnd: Round) -> OutgoingMessage:
    return OutgoingMessage(f"Reminder for {settings.chat_id}")


@dataclass
class Budgeted:
    """The application polling the stand-in, and what a round needs to run beside it."""

    app: Application
    store: Store
    standin: BotApiStandIn
    rate: float
    round_task: asyncio.Task[object] | None = None

    async def start_round(self, subscribers: int, concurrency: int) -> list[int]:
        chat_ids = list(range(SUBSCRIBERS, SUBSCRIBERS + subscribers))
        await bulk_subscribe(self.store, chat_ids, [HOUR], region="eu")
        policy = DeliveryPolicy(concurrency=concurrency)
        sender = BotSender(self.app, pool_size=policy.connections)

        async def run() -> object:
            try:
                return await deliver_round(
                    self.store,
                    sender,
                    ROUND,
                    compose,
                    SystemClock(),
                    round_limiter(self.app.bot),
                    policy=policy,
                )
            finally:
                await sender.close()

        self.round_task = asyncio.create_task(run())
        return chat_ids

    def round_sends(self, after: float = 0.0) -> list[Call]:
        return self.standin.calls_for(
            "sendMessage", where=lambda c: c.chat_id >= SUBSCRIBERS and c.time > after
        )

    def round_sends_while_paused(self, limited: Call) -> list[Call]:
        """Round sends that arrived during the 2 s pause after `limited` (its first 0.2 s
        excepted: sends already on their way when the 429 came back)."""
        return [
            c for c in self.round_sends(after=limited.time + 0.2) if c.time < limited.time + 1.9
        ]

    async def ask(self, name: str) -> tuple[float, Call]:
        """A new user says "hi": when they asked, and the bot's reply as the stand-in saw it."""
        user = Chat(self.standin, name)
        asked = time.time()
        user.send("hi")
        [reply] = await self.standin.wait_for(
            "sendMessage", timeout=30, where=lambda c: c.chat_id == user.id
        )
        return asked, reply

    async def wait_for_round_sends(self, n: int) -> None:
        await self.standin.wait_for(
            "sendMessage", n, timeout=30, where=lambda c: c.chat_id >= SUBSCRIBERS
        )

    async def stop_round(self) -> None:
        if self.round_task is not None and not self.round_task.done():
            self.round_task.cancel()
        if self.round_task is not None:
            await asyncio.gather(self.round_task, return_exceptions=True)


@contextlib.asynccontextmanager
async def budgeted_app(
    standin: BotApiStandIn, kb: KnowledgeBase, tmp_path: Path, rate: float
) -> AsyncIterator[Budgeted]:
    config = load_config(
        {
            "BOT_TOKEN": TOKEN,
            "BOT_API_URL": standin.base_url,
            "DATA_DIR": str(tmp_path / "data"),
            "FLOOD_LIMIT": "10000",
            "BROADCAST_RATE": str(rate),
        }
    )
    app = build_application(config, kb, SystemClock())
    await start_bot(app)
    store = await Store.open(database_url_from(config.database_url, config.data_dir))
    budgeted = Budgeted(app, store, standin, rate)
    try:
        yield budgeted
    finally:
        await budgeted.stop_round()
        await store.close()
        await stop_bot(app)


@pytest.fixture
async def budgeted(
    standin: BotApiStandIn, kb: KnowledgeBase, tmp_path: Path
) -> AsyncIterator[Callable[[float], Awaitable[Budgeted]]]:
    """`await budgeted(rate)`: the application with a send budget of `rate` per second."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(rate: float) -> Budgeted:
            return await stack.enter_async_context(budgeted_app(standin, kb, tmp_path, rate))

        yield make


@pytest.mark.timeout(90)
async def test_replies_during_a_round_stay_within_the_rate(budgeted) -> None:
    at_10 = await budgeted(10)
    standin = at_10.standin
    users = [Chat(standin, f"User{n}") for n in range(8)]
    subscribers = await at_10.start_round(40, concurrency=8)
    await at_10.wait_for_round_sends(5)
    for user in users:  # eight people write at the same moment, in the middle of the round
        user.send("hi")
    for user in users:
        await standin.wait_for("sendMessage", timeout=30, where=lambda c, u=user: c.chat_id == u.id)
    assert at_10.round_task is not None
    report = await asyncio.wait_for(at_10.round_task, 60)
    assert report.sent == len(subscribers)  # type: ignore[attr-defined]

    sends = standin.calls_for("sendMessage")
    replies = [c for c in sends if c.chat_id < SUBSCRIBERS]
    times = [c.time for c in sends]
    print(
        f"\nbusiest second at the stand-in: {busiest_second(times)} "
        f"(budget 10/s, {len(replies)} replies)"
    )
    # The limiter grants at most 10 in any second. Requests granted a second apart can
    # arrive some milliseconds closer together on a busy machine, so the windows counted at
    # the stand-in are 0.1 s short of a second. (Two budgets of 10/s would show about 18.)
    assert busiest_second(times, 0.9) <= 10
    # Both paths were busy at once: the round saturated the budget while replies went out.
    first_reply = min(c.time for c in replies)
    assert any(c.time > first_reply for c in at_10.round_sends())
    assert busiest_second(times) >= 9


@pytest.mark.timeout(90)
async def test_a_reply_is_not_kept_waiting_by_a_big_round(budgeted) -> None:
    at_10 = await budgeted(10)
    # 64 workers hold more than six seconds of slots at 10/s: a reply queued behind them
    # would wait that long.
    await at_10.start_round(400, concurrency=64)
    await at_10.wait_for_round_sends(15)
    asked, reply = await at_10.ask("Waiting")
    waited = reply.time - asked
    print(f"\nreply during a round of 400 at 10/s arrived after {waited:.2f} s")
    assert waited < 2.0, waited
    assert at_10.round_task is not None and not at_10.round_task.done()  # still sending


@pytest.mark.timeout(90)
async def test_a_429_on_a_reply_pauses_the_round(budgeted) -> None:
    at_20 = await budgeted(20)
    standin = at_20.standin
    user = Chat(standin, "Reader")
    faq = await user.say_one("/faq")
    assert "More" in " ".join(b["text"] for b in faq.buttons)
    await at_20.start_round(200, concurrency=8)
    await at_20.wait_for_round_sends(10)
    standin.fail_next("editMessageText", 429, retry_after=2)
    standin.press(faq, "More", user=user.user)  # the reply edits the message: 429
    [limited] = await standin.wait_for("editMessageText", include_failed=True, timeout=30)
    [edited] = await standin.wait_for("editMessageText", timeout=30)
    assert limited.fault == "429"
    during = at_20.round_sends_while_paused(limited)
    assert during == [], f"{len(during)} round sends during the pause"
    assert edited.time >= limited.time + 1.9  # the reply was made again after the pause
    await at_20.wait_for_round_sends(len(at_20.round_sends()) + 5)  # and the round goes on


@pytest.mark.timeout(90)
async def test_a_429_on_the_round_pauses_replies(budgeted) -> None:
    at_20 = await budgeted(20)
    standin = at_20.standin
    await at_20.start_round(200, concurrency=8)
    await at_20.wait_for_round_sends(10)
    standin.fail_next("sendMessage", 429, retry_after=2)
    [limited] = await standin.wait_for(
        "sendMessage", include_failed=True, timeout=30, where=lambda c: c.fault == "429"
    )
    assert limited.chat_id >= SUBSCRIBERS  # the round got it
    _, reply = await at_20.ask("Asker")
    assert reply.time >= limited.time + 1.9, reply.time - limited.time
    assert at_20.round_sends_while_paused(limited) == []
