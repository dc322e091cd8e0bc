"""Delivering reminder rounds: errors, deadlines, crashes, concurrency, rate limits.

Everything runs on a FakeClock (no real waiting) and, where a database is involved, on both a
SQLite file and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.clock import FakeClock, SystemClock
from bot.knowledge.model import Deadline
from bot.reminders.delivery import (
    DeliveryPolicy,
    OutgoingMessage,
    RoundReport,
    deliver_round,
)
from bot.reminders.keepalive import KeepAliveRequest
from bot.reminders.plan import HOUR, Round
from bot.reminders.ratelimit import PerChatLimiter, SendLimiter, TokenBucket
from bot.reminders.transport import BotSender
from bot.replies import Keyboard
from bot.store.repository import ChatSettings, DeliveryResult, Store
from tests.support.botapi import BotApiStandIn
from tests.support.sender_double import (
    Delivered,
    ScriptedSender,
    SimulatedCrash,
    blocked,
    chat_not_found,
    exactly_once,
    message_too_long,
    migrated,
    server_error,
    timed_out,
    too_many_requests,
)
from tests.support.standin_fixtures import TOKEN, standin  # noqa: F401 - fixture
from tests.support.store_fixtures import (
    Backend,
    backend_fixture,  # noqa: F401 - fixture
    bulk_subscribe,
    rows_per_table,
)

DEADLINE = Deadline(
    id="meta-2026",
    title="Meta starts training on public posts",
    at=datetime(2026, 6, 1, 0, 0, tzinfo=UTC),
    timezone="Europe/Brussels",
    regions=("eu", "uk"),
    platforms=("meta", "linkedin"),
    before="Object now.",
    after="Objections still count from now on.",
)
LEAD = 2 * HOUR
ROUND = Round(DEADLINE, LEAD, DEADLINE.at - timedelta(seconds=LEAD))
START = ROUND.due_at - timedelta(minutes=10)


def compose(
    settings: ChatSettings, checklist: dict[str, str], round: Round
) -> OutgoingMessage | None:
    """Mentions only the platforms not yet done; nothing when all are done or not applicable."""
    left = [p for p in round.deadline.platforms if checklist.get(p) not in ("done", "na")]
    if not left:
        return None
    return OutgoingMessage(f"[{settings.language}] {round.deadline.id}: {', '.join(left)} left")


def policy(**overrides: float) -> DeliveryPolicy:
    values: dict[str, float] = {
        "concurrency": 4,
        "batch_size": 16,
        "lease": 30.0,
        "poll_interval": 1.0,
    }
    values.update(overrides)
    return DeliveryPolicy(**values)  # type: ignore[arg-type]


async def run_round(
    store: Store,
    sender: ScriptedSender,
    clock: FakeClock,
    *,
    rate: float = 1000.0,
    round: Round = ROUND,
    **policy_overrides: float,
) -> RoundReport:
    return await deliver_round(
        store,
        sender,
        round,
        compose,
        clock,
        SendLimiter(rate, clock=clock),
        policy=policy(**policy_overrides),
    )


# -- the normal case --------------------------------------------------------------------------


async def test_round_reaches_every_due_subscriber_exactly_once(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, range(1, 41), [LEAD], region="eu")
    await store.subscribe(41, [LEAD])
    await store.set_region(41, "br")  # the deadline does not apply in Brazil
    await store.subscribe(42, [LEAD])  # no region chosen: applies
    await store.subscribe(43, [LEAD])
    await store.unsubscribe(43)
    await store.subscribe(44, [LEAD])
    await store.deactivate(44, "blocked")
    await store.subscribe(45, [24 * HOUR])  # another lead time: another round
    await store.subscribe(46, [LEAD])
    await store.set_check(46, "meta", "done")
    await store.set_check(46, "linkedin", "na")  # nothing left: skipped, recorded
    await store.set_check(2, "meta", "done")
    await store.set_language(3, "de")

    clock = FakeClock(START)
    sender = ScriptedSender(clock)
    report = await run_round(store, sender, clock)

    expected = [*range(1, 41), 42]
    assert exactly_once(sender.delivered, expected) == []
    assert (report.sent, report.skipped, report.failed, report.deactivated) == (41, 1, 0, 0)
    assert not report.stopped_at_deadline
    texts = {d.chat_id: d.text for d in sender.delivered}
    assert texts[1] == "[en] meta-2026: meta, linkedin left"
    assert texts[2] == "[en] meta-2026: linkedin left"
    assert texts[3].startswith("[de]")
    for chat in expected:
        record = await store.get_delivery(chat, DEADLINE.id, LEAD)
        assert record is not None and (record.status, record.attempts) == ("sent", 1)
    skipped = await store.get_delivery(46, DEADLINE.id, LEAD)
    assert skipped is not None and skipped.status == "skipped"
    for chat in (41, 43, 44, 45):
        assert await store.get_delivery(chat, DEADLINE.id, LEAD) is None
    assert await store.open_claims(DEADLINE.id, LEAD) == []

    again = await run_round(store, sender, clock)
    assert again.sent == 0 and len(sender.delivered) == 41


async def test_async_compose_and_plain_text_are_accepted(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, [1, 2], [LEAD])

    async def compose_async(settings: ChatSettings, checklist: dict[str, str], r: Round) -> str:
        await asyncio.sleep(0)
        return f"hello {settings.chat_id}"

    clock = FakeClock(START)
    sender = ScriptedSender(clock)
    report = await deliver_round(
        store, sender, ROUND, compose_async, clock, SendLimiter(clock=clock), policy=policy()
    )
    assert report.sent == 2
    assert sorted(d.text for d in sender.delivered) == ["hello 1", "hello 2"]


async def test_a_failing_compose_fails_that_chat_only(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, range(1, 6), [LEAD])

    def fragile(settings: ChatSettings, checklist: dict[str, str], r: Round) -> str:
        if settings.chat_id == 3:
            raise ZeroDivisionError("bug")
        return "ok"

    clock = FakeClock(START)
    sender = ScriptedSender(clock)
    report = await deliver_round(
        store, sender, ROUND, fragile, clock, SendLimiter(clock=clock), policy=policy()
    )
    assert (report.sent, report.failed) == (4, 1)
    record = await store.get_delivery(3, DEADLINE.id, LEAD)
    assert record is not None and record.error == "compose:ZeroDivisionError"


async def test_chat_unsubscribed_after_being_listed_is_skipped(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, [1, 2, 3], [LEAD])

    class RacyStore(Store):
        async def due_chats(self, *args: object, **kwargs: object) -> list[int]:
            due = await super().due_chats(*args, **kwargs)  # type: ignore[arg-type]
            if due:
                await self.unsubscribe(2)  # /remind off arrives just after the listing
            return due

    racy = RacyStore(store.engine)
    clock = FakeClock(START)
    sender = ScriptedSender(clock)
    report = await run_round(racy, sender, clock)
    assert exactly_once(sender.delivered, [1, 3]) == []
    assert report.skipped == 1
    record = await store.get_delivery(2, DEADLINE.id, LEAD)
    assert record is not None and (record.status, record.error) == ("skipped", "unsubscribed")


# -- Telegram errors --------------------------------------------------------------------------


async def test_retry_after_waits_exactly_then_resends(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, range(1, 6), [LEAD])
    clock = FakeClock(START)
    sender = ScriptedSender(clock, per_chat={3: [too_many_requests(7)]})
    report = await run_round(store, sender, clock, concurrency=1)

    first, second = sender.calls_for(3)
    assert first.outcome == "RetryAfter" and second.outcome == "sent"
    assert second.at - first.at == timedelta(seconds=7)
    assert 7.0 in clock.sleeps
    assert exactly_once(sender.delivered, range(1, 6)) == []
    assert report.rate_limited == 1 and report.sent == 5
    record = await store.get_delivery(3, DEADLINE.id, LEAD)
    assert record is not None and record.attempts == 2


async def test_retry_after_pauses_every_worker(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, range(1, 31), [LEAD])
    clock = FakeClock(START)
    sender = ScriptedSender(clock, per_call={5: too_many_requests(20)})
    report = await run_round(store, sender, clock, concurrency=6)
    limited_at = next(c.at for c in sender.calls if c.outcome == "RetryAfter")
    resumed_at = limited_at + timedelta(seconds=20)
    # At most the one request already on its way when the 429 came back goes out early;
    # everything else waits for the pause, whichever worker it is on.
    early = [c for c in sender.calls if limited_at < c.at < resumed_at]
    assert len(early) <= 1, early
    assert len([c for c in sender.calls if c.at >= resumed_at]) >= 20
    assert exactly_once(sender.delivered, range(1, 31)) == []
    assert report.rate_limited == 1


async def test_forbidden_and_chat_not_found_deactivate(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, range(1, 7), [LEAD])
    clock = FakeClock(START)
    sender = ScriptedSender(
        clock, per_chat={2: [blocked()], 4: [chat_not_found()], 5: [message_too_long()]}
    )
    report = await run_round(store, sender, clock)

    assert (report.sent, report.deactivated, report.failed) == (3, 2, 1)
    for chat in (2, 4, 5):
        assert len(sender.calls_for(chat)) == 1  # none of these is retried
    sub2, sub4, sub5 = [await store.get_subscription(c) for c in (2, 4, 5)]
    assert sub2 is not None and (sub2.active, sub2.reason) == (False, "blocked")
    assert sub4 is not None and (sub4.active, sub4.reason) == (False, "chat_not_found")
    assert sub5 is not None and sub5.active  # our payload was wrong, not the chat
    records = {c: await store.get_delivery(c, DEADLINE.id, LEAD) for c in (2, 4, 5)}
    assert {c: (r.status, r.error) for c, r in records.items() if r} == {
        2: ("deactivated", "Forbidden"),
        4: ("deactivated", "ChatNotFound"),
        5: ("failed", "BadRequest"),
    }
    # The next round does not even try the deactivated chats.
    assert await store.due_chats("next-deadline", LEAD, DEADLINE.regions) == [1, 3, 5, 6]


async def test_transient_errors_back_off_then_succeed_or_fail(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, [1, 2, 3], [LEAD])
    clock = FakeClock(START)
    sender = ScriptedSender(
        clock,
        per_chat={
            1: [timed_out(), server_error(502)],
            2: [server_error(500), server_error(503), timed_out(), server_error(500)],
        },
    )
    # Without parking, so the one worker waits out each backoff itself and the schedule is
    # exact on the fake clock (parking is tested below).
    report = await run_round(
        store, sender, clock, concurrency=1, max_retries=3, backoff_base=1.0, max_parked=0
    )

    calls1, calls2 = sender.calls_for(1), sender.calls_for(2)
    assert [c.outcome for c in calls1] == ["TimedOut", "NetworkError", "sent"]
    assert [c.outcome for c in calls2] == [
        "NetworkError",
        "NetworkError",
        "TimedOut",
        "NetworkError",
    ]
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(calls2)]
    assert gaps == [1.0, 2.0, 4.0]  # exponential backoff, bounded by max_retries
    assert exactly_once(sender.delivered, [1, 3]) == []
    assert (report.sent, report.failed, report.retried) == (2, 1, 5)
    r1, r2 = [await store.get_delivery(c, DEADLINE.id, LEAD) for c in (1, 2)]
    assert r1 is not None and (r1.status, r1.attempts) == ("sent", 3)
    assert r2 is not None and (r2.status, r2.attempts, r2.error) == ("failed", 4, "NetworkError")


async def test_time_a_failed_attempt_hung_counts_towards_its_backoff(backend: Backend) -> None:
    """A send that hung 3 s before failing is retried at once (its 1 s backoff has passed);
    one that hung 0.5 s before its second failure waits the rest of the 2 s backoff."""
    store = await backend.store()
    await bulk_subscribe(store, [1], [LEAD])
    clock = FakeClock(START)
    hangs = [3.0, 0.5]

    class HangingSender(ScriptedSender):
        async def send(self, chat_id: int, text: str, buttons: object) -> None:
            started = self.started
            try:
                await super().send(chat_id, text, buttons)  # type: ignore[arg-type]
            finally:
                if started < len(hangs):
                    clock.advance(hangs[started])  # the request took this long

    sender = HangingSender(clock, per_chat={1: [timed_out(), timed_out()]})
    report = await run_round(store, sender, clock, concurrency=1, backoff_base=1.0, max_parked=0)

    starts = [(c.at - START).total_seconds() for c in sender.calls_for(1)]
    assert [c.outcome for c in sender.calls_for(1)] == ["TimedOut", "TimedOut", "sent"]
    # 0 -> hung until 3.0, retried at once; 3.0 -> hung until 3.5, waits 1.5 more -> 5.0.
    assert starts == [0.0, 3.0, 5.0]
    assert (report.sent, report.retried) == (1, 2)


async def test_a_failed_send_waits_aside_and_its_worker_goes_on(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, [1, 2, 3, 4], [LEAD])
    clock = FakeClock(START)
    sender = ScriptedSender(clock, per_chat={1: [server_error(502)], 2: [timed_out()]})
    report = await run_round(store, sender, clock, concurrency=1, claim_batch=4, backoff_base=1.0)

    order = [(c.chat_id, c.outcome) for c in sender.calls]
    # One worker: 1 fails and waits aside, so 2 and 3 are tried before 1 is retried (a
    # worker that waited itself would have retried 1 first).
    assert order[:3] == [(1, "NetworkError"), (2, "TimedOut"), (3, "sent")]
    assert sorted(order[3:]) == [(1, "sent"), (2, "sent"), (4, "sent")]
    assert exactly_once(sender.delivered, [1, 2, 3, 4]) == []
    assert (report.sent, report.failed, report.retried) == (4, 0, 2)
    for chat_id, attempts in ((1, 2), (2, 2), (3, 1)):
        record = await store.get_delivery(chat_id, DEADLINE.id, LEAD)
        assert record is not None and (record.status, record.attempts) == ("sent", attempts)


@pytest.mark.parametrize(
    ("failure", "renewed"), [(too_many_requests(100), True), (server_error(502), False)]
)
async def test_a_long_wait_renews_the_claim_and_a_short_one_writes_nothing(
    backend: Backend, failure: Exception, renewed: bool
) -> None:
    store = await backend.store()
    await bulk_subscribe(store, [1], [LEAD])
    renewals: list[int] = []
    renew = store.renew_claim

    async def counted(chat_id: int, *args: object, **kwargs: object) -> bool:
        renewals.append(chat_id)
        return await renew(chat_id, *args, **kwargs)  # type: ignore[arg-type]

    store.renew_claim = counted  # type: ignore[method-assign]
    clock = FakeClock(START)
    # Told to wait 100 s (the lease is 30 s), or a 502 and a 1 s backoff.
    sender = ScriptedSender(clock, per_chat={1: [failure]})
    report = await run_round(store, sender, clock, backoff_base=1.0)

    assert exactly_once(sender.delivered, [1]) == []
    assert report.lost_lease == 0
    if renewed:  # at least every third of the lease while it waited 100 s
        assert len(renewals) >= 100 // 10 - 1
    else:  # a claim younger than the lease needs no write
        assert renewals == []


async def test_workers_share_what_one_claim_brought_in(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, range(1, 11), [LEAD])
    claims: list[list[int]] = []
    claim = store.claim_deliveries

    async def counted(chat_ids: list[int], *args: Any, **kwargs: Any) -> list[int]:
        claims.append(list(chat_ids))
        return await claim(chat_ids, *args, **kwargs)

    store.claim_deliveries = counted  # type: ignore[method-assign]
    clock = FakeClock(START)
    senders: dict[int, asyncio.Task[object] | None] = {}

    class Recording(ScriptedSender):
        async def send(self, chat_id: int, text: str, buttons: object) -> None:
            senders[chat_id] = asyncio.current_task()
            await super().send(chat_id, text, buttons)  # type: ignore[arg-type]

    sender = Recording(clock)
    report = await run_round(store, sender, clock, concurrency=2, claim_batch=10)

    assert exactly_once(sender.delivered, range(1, 11)) == []
    assert report.sent == 10 and report.claimed_elsewhere == 0
    assert claims == [list(range(1, 11))]  # one round trip claimed all ten
    by_task: dict[object, list[int]] = {}
    for chat_id, task in sorted(senders.items()):
        by_task.setdefault(task, []).append(chat_id)
    # Both workers sent from it, taking the chats in turn.
    assert sorted(by_task.values()) == [[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]]


async def test_an_idle_worker_takes_the_last_message_behind_a_hung_send(
    backend: Backend,
) -> None:
    store = await backend.store()
    await bulk_subscribe(store, [1, 2], [LEAD])
    clock = FakeClock(START)
    second_delivered = asyncio.Event()

    class Hanging(ScriptedSender):
        async def send(self, chat_id: int, text: str, buttons: object) -> None:
            if chat_id == 1:  # hangs until 2 is delivered (or gives up after a second)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(second_delivered.wait(), 1.0)
            await super().send(chat_id, text, buttons)  # type: ignore[arg-type]
            if chat_id == 2:
                second_delivered.set()

    sender = Hanging(clock)
    # One claim brings in both chats; the first worker hangs on 1, the second sends 2.
    report = await run_round(store, sender, clock, concurrency=2, claim_batch=2)

    assert [d.chat_id for d in sender.delivered] == [2, 1]
    assert report.sent == 2


async def test_parking_is_bounded_then_the_worker_waits_itself(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, [1, 2, 3], [LEAD])
    clock = FakeClock(START)
    sender = ScriptedSender(clock, per_chat={1: [server_error(502)], 2: [server_error(502)]})
    report = await run_round(store, sender, clock, concurrency=1, claim_batch=3, max_parked=1)

    order = [(c.chat_id, c.outcome) for c in sender.calls]
    # 1 is parked; the one parking place is taken, so the worker retries 2 itself before 3.
    assert order.index((2, "sent")) < order.index((3, "sent"))
    assert order.index((1, "NetworkError")) < order.index((2, "NetworkError"))
    assert exactly_once(sender.delivered, [1, 2, 3]) == []
    assert report.sent == 3


async def test_chat_migrated_moves_the_chat_and_resends(backend: Backend) -> None:
    store = await backend.store()
    await store.subscribe(-100, [LEAD])
    await store.set_check(-100, "meta", "done")
    await store.set_language(-100, "fr")
    clock = FakeClock(START)
    sender = ScriptedSender(clock, per_chat={-100: [migrated(-1000000000100)]})
    report = await run_round(store, sender, clock)

    assert [d.chat_id for d in sender.delivered] == [-1000000000100]
    assert sender.delivered[0].text == "[fr] meta-2026: linkedin left"
    assert report.sent == 1
    assert set((await rows_per_table(store.engine, -100)).values()) == {0}
    record = await store.get_delivery(-1000000000100, DEADLINE.id, LEAD)
    assert record is not None and (record.status, record.attempts) == ("sent", 2)
    assert await store.get_checklist(-1000000000100) == {"meta": "done"}


# -- the deadline -----------------------------------------------------------------------------


async def test_nothing_is_sent_after_the_deadline(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, range(1, 21), [LEAD])
    clock = FakeClock(DEADLINE.at - timedelta(seconds=5.5))
    sender = ScriptedSender(clock)
    report = await run_round(store, sender, clock, rate=1.0)  # one message per second

    assert sender.calls, "some messages fit before the deadline"
    assert all(c.at < DEADLINE.at for c in sender.calls)
    assert report.sent == 6  # at -5.5, -4.5, ..., -0.5 s
    assert report.stopped_at_deadline
    assert 1 <= report.expired <= 4  # claimed by a worker, but the deadline came first
    unclaimed = [c for c in range(1, 21) if await store.get_delivery(c, DEADLINE.id, LEAD) is None]
    assert len(unclaimed) == 20 - report.sent - report.expired
    assert await store.open_claims(DEADLINE.id, LEAD) == []


async def test_a_round_whose_deadline_has_passed_sends_nothing(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, range(1, 4), [LEAD])
    clock = FakeClock(DEADLINE.at)
    sender = ScriptedSender(clock)
    report = await run_round(store, sender, clock)
    assert sender.calls == [] and report.stopped_at_deadline and report.handled == 0
    assert (await store.stats()).deliveries == {}


async def test_retry_after_beyond_the_deadline_gives_up_at_once(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, [1, 2], [LEAD])
    clock = FakeClock(DEADLINE.at - timedelta(seconds=30))
    sender = ScriptedSender(clock, per_chat={1: [too_many_requests(60)]})
    report = await run_round(store, sender, clock, concurrency=1)
    assert sender.delivered == []
    assert report.expired == 1 and report.stopped_at_deadline
    assert clock.now() < DEADLINE.at  # it did not sit out the 60 seconds
    record = await store.get_delivery(1, DEADLINE.id, LEAD)
    assert record is not None and record.status == "expired"


# -- crashes and restarts ---------------------------------------------------------------------


async def _restart(backend: Backend, log: list[Delivered], clock: FakeClock) -> RoundReport:
    """A new process: new engine, new sender connection, new limiter; same database."""
    store = await backend.store()
    sender = ScriptedSender(clock, delivered=log)
    return await run_round(store, sender, clock)


@pytest.mark.parametrize("crash_on_call", [0, 13])
async def test_crash_mid_round_then_restart_sends_each_exactly_once(
    backend: Backend, crash_on_call: int
) -> None:
    store = await backend.store()
    subscribers = range(1, 41)
    await bulk_subscribe(store, subscribers, [LEAD])
    clock = FakeClock(START)
    log: list[Delivered] = []
    crashing = ScriptedSender(clock, crash_on_call=crash_on_call, delivered=log)

    with pytest.raises(SimulatedCrash):
        await run_round(store, crashing, clock)
    delivered_before = len(log)
    assert delivered_before == crash_on_call  # it really died mid-round
    assert await store.open_claims(DEADLINE.id, LEAD), "the crash left claims in flight"
    await store.close()

    report = await _restart(backend, log, clock)

    assert exactly_once(log, subscribers) == []
    assert report.sent == len(subscribers) - delivered_before
    checker = await backend.store()
    assert await checker.open_claims(DEADLINE.id, LEAD) == []
    assert (await checker.stats()).deliveries == {"sent": len(subscribers)}


async def test_cancel_mid_round_then_restart_sends_each_exactly_once(backend: Backend) -> None:
    store = await backend.store()
    subscribers = range(1, 41)
    await bulk_subscribe(store, subscribers, [LEAD])
    clock = FakeClock(START)
    log: list[Delivered] = []
    task: asyncio.Task[RoundReport] | None = None

    def stop_after_eleven(sender: ScriptedSender) -> None:
        if len(sender.delivered) == 11 and task is not None:
            task.cancel()  # SIGTERM: the task is cancelled wherever it is

    first = ScriptedSender(clock, after_send=stop_after_eleven, delivered=log)
    task = asyncio.create_task(run_round(store, first, clock))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 11 <= len(log) < len(subscribers)
    # Graceful stop: the send that completed was recorded before the task ended.
    for delivered in log:
        record = await store.get_delivery(delivered.chat_id, DEADLINE.id, LEAD)
        assert record is not None and record.status == "sent", delivered.chat_id

    delivered_before = len(log)

    report = await _restart(backend, log, clock)
    assert exactly_once(log, subscribers) == []
    assert report.sent == len(subscribers) - delivered_before


class KilledHard(Store):
    """A SIGKILL runs no cleanup: claims taken ahead in a chunk are never given back."""

    async def release_claims(self, *args: object, **kwargs: object) -> int:
        return 0


async def test_hard_kill_strands_claimed_chunks_which_the_restart_recovers(
    backend: Backend,
) -> None:
    store = await backend.store()
    subscribers = range(1, 61)
    await bulk_subscribe(store, subscribers, [LEAD])
    clock = FakeClock(START)
    log: list[Delivered] = []
    crashing = ScriptedSender(clock, crash_on_call=9, delivered=log)
    with pytest.raises(SimulatedCrash):
        await run_round(KilledHard(store.engine), crashing, clock, claim_batch=8)
    stranded = await store.open_claims(DEADLINE.id, LEAD)
    assert len(stranded) > 4, "claims beyond the in-flight sends should be stranded"

    restart_at = clock.now()
    report = await _restart(backend, log, clock)
    assert exactly_once(log, subscribers) == []
    assert report.sent == len(subscribers) - 9
    assert clock.now() - restart_at >= timedelta(seconds=30)  # it waited for the lease


class CrashOnRecord(Store):
    """Dies after Telegram accepted a message but before the result was written."""

    crashed = False

    async def record_delivery_results(
        self, results: Sequence[DeliveryResult], **kwargs: Any
    ) -> list[bool]:
        if any(r.chat_id == 7 for r in results) and not self.crashed:
            CrashOnRecord.crashed = True
            raise SimulatedCrash("killed between send and record")
        return await super().record_delivery_results(results, **kwargs)


async def test_crash_between_send_and_record_resends_that_one_chat(backend: Backend) -> None:
    """The documented window of the lease rule: one duplicate, nobody skipped."""
    store = await backend.store()
    await bulk_subscribe(store, range(1, 11), [LEAD])
    clock = FakeClock(START)
    log: list[Delivered] = []
    CrashOnRecord.crashed = False
    with pytest.raises(SimulatedCrash):
        await run_round(
            CrashOnRecord(store.engine), ScriptedSender(clock, delivered=log), clock, concurrency=1
        )

    await _restart(backend, log, clock)
    assert exactly_once(log, range(1, 11)) == ["chat 7 got 2 messages"]


async def test_a_claim_is_taken_over_only_once(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, range(1, 6), [LEAD])
    clock = FakeClock(START)
    log: list[Delivered] = []
    crash = SimulatedCrash("chat 3 kills the process")
    for _ in range(2):  # the first process and the one that takes chat 3 over both die
        sender = ScriptedSender(clock, per_chat={3: [crash]}, delivered=log)
        with pytest.raises(SimulatedCrash):
            await run_round(store, sender, clock, concurrency=1)
    record = await store.get_delivery(3, DEADLINE.id, LEAD)
    assert record is not None and (record.status, record.claims) == ("claimed", 2)

    report = await _restart(backend, log, clock)
    assert report.abandoned == 1
    assert exactly_once(log, [1, 2, 4, 5]) == []
    record = await store.get_delivery(3, DEADLINE.id, LEAD)
    assert record is not None and (record.status, record.error) == ("failed", "lease_expired")


async def test_two_processes_at_once_never_double_send(backend: Backend) -> None:
    first, second = await backend.store(), await backend.store()
    subscribers = range(1, 121)
    await bulk_subscribe(first, subscribers, [LEAD])
    clock = FakeClock(START)
    log: list[Delivered] = []
    reports = await asyncio.gather(
        run_round(first, ScriptedSender(clock, delivered=log), clock, lease=3600.0),
        run_round(second, ScriptedSender(clock, delivered=log), clock, lease=3600.0),
    )
    assert exactly_once(log, subscribers) == []
    assert sum(r.sent for r in reports) == len(subscribers)
    assert all(r.sent > 0 for r in reports), [r.sent for r in reports]
    assert all(r.lost_lease == 0 for r in reports)


async def test_transient_failures_under_load_lose_nothing(backend: Backend) -> None:
    store = await backend.store()
    subscribers = range(1, 201)
    await bulk_subscribe(store, subscribers, [LEAD])
    clock = FakeClock(START)
    sender = ScriptedSender(clock, fail_every=20)  # 5% of sends fail with a 503
    report = await run_round(store, sender, clock, concurrency=8)
    assert exactly_once(sender.delivered, subscribers) == []
    assert report.retried >= 10 and report.failed == 0


# -- rate limiting (fake clock, no database) ---------------------------------------------------


def max_in_any_window(times: list[float], width: float = 1.0 - 1e-5) -> int:
    """Most events in any half-open window [t, t + width).

    The width is a hair under one second because FakeClock rounds every wake-up up to a
    whole microsecond, which can pull two slots exactly one second apart closer by 1 µs.
    """
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - width:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def test_bucket_holds_30_per_second_evenly() -> None:
    clock = FakeClock()
    bucket = TokenBucket(30, clock=clock)
    times = []
    for _ in range(300):
        await bucket.acquire()
        times.append(clock.monotonic())
    assert max_in_any_window(times) == 30
    assert times[-1] - times[0] == pytest.approx(299 / 30)


async def test_bucket_at_1000_per_second_keeps_the_window_and_the_throughput() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000, clock=clock)
    assert bucket.burst > 1
    times = []
    for _ in range(5000):
        await bucket.acquire()
        times.append(clock.monotonic())
    assert max_in_any_window(times) <= 1000
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert achieved >= 950


async def test_bucket_serves_concurrent_callers_within_the_limit() -> None:
    clock = FakeClock()
    bucket = TokenBucket(30, clock=clock)
    tasks, times = start_callers(bucket, clock, 150)
    await asyncio.gather(*tasks)
    times.sort()
    assert max_in_any_window(times) <= 30
    assert times[-1] == pytest.approx(149 / 30)


async def test_pause_holds_everyone_and_drops_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000, clock=clock)
    await bucket.acquire()
    bucket.pause(5)
    await bucket.acquire()
    assert clock.monotonic() == pytest.approx(5.0)
    await bucket.acquire()
    assert clock.monotonic() == pytest.approx(5.0 + bucket.interval)


def start_callers(
    bucket: TokenBucket, clock: FakeClock, n: int
) -> tuple[list[asyncio.Task[None]], list[float]]:
    """`n` tasks that each acquire once; `times` collects when each got through."""
    times: list[float] = []

    async def one() -> None:
        await bucket.acquire()
        times.append(clock.monotonic())

    return [asyncio.create_task(one()) for _ in range(n)], times


async def test_bucket_keeps_the_window_when_wake_ups_come_late() -> None:
    """A stalled event loop wakes many reserved slots at once; the window must still hold."""
    clock = FakeClock()
    bucket = TokenBucket(1000, clock=clock)
    tasks, times = start_callers(bucket, clock, 3000)
    await asyncio.sleep(0)  # every task has reserved its slot and gone to sleep
    clock.advance(1.5)  # the loop was stuck: 1,500 slots are overdue at the same moment
    await asyncio.gather(*tasks)
    times.sort()
    assert max_in_any_window(times) <= 1000
    assert len(times) == 3000


async def test_pause_voids_slots_reserved_by_waiting_callers() -> None:
    clock = FakeClock()
    bucket = TokenBucket(30, clock=clock)
    tasks, times = start_callers(bucket, clock, 10)
    await asyncio.sleep(0)  # the first is through, nine wait for their slots
    bucket.pause(5)
    await asyncio.gather(*tasks)
    times.sort()
    assert times[0] == 0.0
    assert all(t >= 5.0 for t in times[1:])  # nobody was let through during the pause
    assert max_in_any_window(times) <= 30


@pytest.mark.parametrize(
    ("rate", "burst"), [(0, None), (-1, None), (1001, None), (30, 0), (30, 31)]
)
def test_bucket_rejects_bad_settings(rate: float, burst: int | None) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst=burst)


async def test_per_chat_limiter_spaces_one_chat_and_groups_more() -> None:
    clock = FakeClock()
    limiter = PerChatLimiter(clock=clock)
    await limiter.acquire(1)
    await limiter.acquire(2)
    assert clock.monotonic() == 0  # different chats do not wait for each other
    await limiter.acquire(1)
    assert clock.monotonic() == pytest.approx(1.0)
    await limiter.acquire(-500)
    await limiter.acquire(-500)
    assert clock.monotonic() == pytest.approx(4.0)  # groups: 20 per minute


async def test_per_chat_limiter_reserves_slots_for_concurrent_callers() -> None:
    clock = FakeClock()
    limiter = PerChatLimiter(clock=clock)
    times: list[float] = []

    async def one() -> None:
        await limiter.acquire(9)
        times.append(clock.monotonic())

    await asyncio.gather(one(), one(), one())
    assert sorted(times) == pytest.approx([0.0, 1.0, 2.0])


async def test_per_chat_limiter_forgets_old_chats() -> None:
    clock = FakeClock()
    limiter = PerChatLimiter(clock=clock)
    for chat in range(6000):
        await limiter.acquire(chat)
        if chat % 500 == 499:
            clock.advance(2)
    assert len(limiter) < 1100


async def test_send_limiter_applies_both_limits() -> None:
    clock = FakeClock()
    limiter = SendLimiter(1000, clock=clock)
    await limiter.acquire(5)
    await limiter.acquire(5)
    assert clock.monotonic() == pytest.approx(1.0)
    assert limiter.rate == 1000 and limiter.effective_rate >= 950


# -- clocks -------------------------------------------------------------------------------------


async def test_fake_clock() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(hours=1))
    clock.advance(30)
    assert clock.now() == datetime(2026, 1, 1, 1, 0, 30, tzinfo=UTC)
    await asyncio.gather(clock.sleep(5), clock.sleep(5))
    assert clock.now() == datetime(2026, 1, 1, 1, 0, 35, tzinfo=UTC)  # slept side by side
    assert clock.sleeps == [5.0, 5.0]
    assert clock.monotonic() == pytest.approx(3635.0)
    with pytest.raises(ValueError):
        clock.set(datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        FakeClock(datetime(2026, 1, 1))


async def test_system_clock() -> None:
    clock = SystemClock()
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    before = clock.monotonic()
    await clock.sleep(0.001)
    assert clock.monotonic() >= before


class _BlockingLimiter:
    """Never lets a send start: a round cancelled here has nothing in doubt."""

    def __init__(self) -> None:
        self.waiting = asyncio.Event()

    async def acquire(self, chat_id: int) -> None:
        self.waiting.set()
        await asyncio.Event().wait()

    def pause(self, seconds: float) -> None:
        pass


async def test_cancelled_before_any_send_leaves_no_open_claim(backend: Backend) -> None:
    store = await backend.store()
    await bulk_subscribe(store, range(1, 6), [LEAD], region="eu")
    clock = FakeClock(START)
    sender = ScriptedSender(clock)
    limiter = _BlockingLimiter()
    task = asyncio.create_task(
        deliver_round(store, sender, ROUND, compose, clock, limiter, policy=policy())
    )
    await asyncio.wait_for(limiter.waiting.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sender.delivered == []
    # Nothing was sent, so no claim may wait for a lease: a restart sends to everyone at once.
    assert await store.open_claims(DEADLINE.id, LEAD) == []
    report = await run_round(store, sender, clock)
    assert exactly_once(sender.delivered, range(1, 6)) == []
    assert report.sent == 5


# -- /forget during a round -------------------------------------------------------------------


async def test_a_chat_forgotten_while_its_message_is_on_its_way_stores_nothing(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    store = await backend.store()
    await bulk_subscribe(store, [1, 2, 3], [LEAD])
    clock = FakeClock(START)

    class ForgetsDuringSend(ScriptedSender):
        async def send(self, chat_id: int, text: str, buttons: Keyboard) -> None:
            await super().send(chat_id, text, buttons)
            if chat_id == 2:
                await store.forget(2)  # `/forget` arrives while the result is on its way

    sender = ForgetsDuringSend(clock)
    report = await run_round(store, sender, clock, concurrency=1)
    assert exactly_once(sender.delivered, [1, 2, 3]) == []
    assert (report.sent, report.lost_lease) == (2, 1)
    assert await store.get_delivery(2, DEADLINE.id, LEAD) is None  # nothing stored again
    assert await store.get_subscription(2) is None
    assert "the result for chat 2 was not recorded: the claim is no longer ours" in caplog.text
    assert "taken over" not in caplog.text  # it was not


# -- a round over the Bot API stand-in, on both reminder transports ---------------------------


@pytest.mark.parametrize("transport", ["keepalive", "httpx"])
async def test_a_round_over_http_ends_the_same_on_both_transports(
    backend: Backend, standin: BotApiStandIn, transport: str
) -> None:
    """PTB's error mapping (and so each outcome) does not depend on the request backend."""
    store = await backend.store()
    await bulk_subscribe(store, range(1, 7), [LEAD])
    standin.block(3)
    standin.fail_next("sendMessage", 502)
    standin.fail_next("sendMessage", 429, retry_after=4)
    standin.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    app = Application.builder().token(TOKEN).base_url(standin.base_url).build()
    request = (
        KeepAliveRequest(connection_pool_size=4)
        if transport == "keepalive"
        else HTTPXRequest(connection_pool_size=4)
    )
    sender = BotSender(app, paid_broadcast=False, request=request)
    clock = FakeClock(START)
    try:
        report = await deliver_round(
            store,
            sender,
            ROUND,
            compose,
            clock,
            SendLimiter(30, clock=clock),
            policy=policy(concurrency=1, max_parked=0),
        )
    finally:
        await sender.close()

    # Chat 1: 502 then 429 then "chat not found"; chat 3 blocked; the rest sent at once.
    assert (report.sent, report.deactivated, report.retried, report.rate_limited) == (4, 2, 1, 1)
    assert 4.0 in clock.sleeps  # the 429's retry_after, kept exactly
    received = [c.chat_id for c in standin.calls_for("sendMessage")]
    assert sorted(received) == [2, 4, 5, 6]
    assert (await store.get_delivery(1, DEADLINE.id, LEAD)).error == "ChatNotFound"  # type: ignore[union-attr]
    assert (await store.get_delivery(3, DEADLINE.id, LEAD)).error == "Forbidden"  # type: ignore[union-attr]
