"""Deliver one reminder round: every due subscriber gets exactly one message, within limits.

Per chat, strictly in this order::

    claim (DB, atomic) -> compose -> wait for the rate limiters -> send -> record (DB)

A claim is unique per (chat, deadline, lead time) in the database, so neither a restart nor a
second bot process started by mistake sends anything twice. Chats are claimed a chunk
(`claim_batch`) at a time in one round trip, into a queue all workers send from (`_Queue`,
kept one to two chunks ahead); a worker sends to one chat and records the result (committed)
before its next send, so at most one send per worker is ever in the unknown state (plus
messages waiting aside for a retry, below). Results of all workers are committed together
when they arrive together (group commit); that and the chunked claims are what let a round
run at 1,000 messages per second instead of being bound by three transactions per message.
A transient failure (timeout, 5xx) waits out its backoff aside, in a task of its own, so its
worker goes on.
Claims still queued are released when the round stops (deadline, cancellation, a crash in a
worker); after a hard kill they wait for the lease below.

The claim/lease rule (what happens to a claim whose process died)
-----------------------------------------------------------------
Between "claim" and "record" lies one Telegram request. If the process dies there, the
database cannot know whether Telegram got the message. We chose:

* A claim carries `claimed_at` and `claimed_by`. The holder renews it during long waits
  (RetryAfter, backoff) whenever a third of the lease has passed since the claim or its last
  renewal, so a live process never loses it.
* A claim still open `lease` seconds after it was last renewed is treated as abandoned by a
  crashed process. The next pass of any `deliver_round` for that round (this run, a restarted
  process, or a second process) takes it over with a conditional UPDATE, which only one
  caller can win, and delivers it. A claim is taken over at most once (`max_claims=2`);
  after that it is closed as failed (`lease_expired`) rather than retried forever.
* A round does not finish while claims of others are open: it waits (on the injected clock)
  until they are recorded or their lease runs out, then takes them over.
* A hard kill also strands the claims still queued, never started; they are
  recovered by the same takeover (they were never sent, so no duplicate can come of them).

Trade-off: if the process died after Telegram accepted the message but before the result was
written - a window of one HTTP response per crashed worker - that chat receives the reminder
twice. The alternative ("a claim is final") would instead silently drop the reminder for the
chat whose send was cut short, which for a deadline is the worse failure. A graceful stop
(task cancellation, SIGTERM) does not hit this window: the result of a send that completed is
still written (shielded) before the cancellation propagates.

Errors: RetryAfter -> pause the global limiter and wait exactly `retry_after`, then resend;
Forbidden and BadRequest "chat not found" -> deactivate the subscription; ChatMigrated -> move
the chat to its new id and resend; TimedOut / NetworkError (which includes 5xx) -> bounded
exponential backoff, then record the failure; other BadRequest -> record the failure (the
payload is wrong, retrying would not help); InvalidToken / EndPointNotFound -> raise (a
configuration error must not be written into a million delivery records). Nothing is sent
once `clock.now() >= deadline.at`: the round stops.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import secrets
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from telegram import InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.clock import Clock
from bot.reminders.plan import Round
from bot.store.repository import (
    ChatSettings,
    DeliveryContext,
    DeliveryResult,
    Outcome,
    Store,
)

__all__ = [
    "Compose",
    "DeliveryPolicy",
    "Limiter",
    "OutgoingMessage",
    "RoundReport",
    "Sender",
    "deliver_round",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

CHAT_GONE_MARKERS = ("chat not found", "user not found", "peer_id_invalid")


class Sender(Protocol):
    """Sends one message; raises `telegram.error` exceptions as python-telegram-bot does."""

    async def send(self, chat_id: int, text: str, buttons: InlineKeyboardMarkup | None) -> None: ...


class Limiter(Protocol):
    """`ratelimit.SendLimiter` or anything shaped like it."""

    async def acquire(self, chat_id: int) -> None: ...

    def pause(self, seconds: float) -> None: ...


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    text: str
    buttons: InlineKeyboardMarkup | None = None


ComposeResult = OutgoingMessage | str | None
Compose = Callable[[ChatSettings, dict[str, str], Round], ComposeResult | Awaitable[ComposeResult]]
"""compose(settings, checklist, round) -> the message, or None when nothing is left to remind."""


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    concurrency: int = 8  # workers; each one claims, sends and records strictly in turn
    batch_size: int = 500  # chat ids fetched per keyset page
    claim_batch: int = 16  # chats claimed per round trip
    lease: float = 120.0  # seconds before an unrenewed open claim counts as abandoned
    max_claims: int = 2  # a claim is taken over at most once
    max_retries: int = 3  # transient errors (timeouts, network, 5xx) per message
    backoff_base: float = 1.0  # seconds; doubles per retry
    backoff_max: float = 30.0
    max_rate_limited: int = 10  # RetryAfter answers for one message before giving up on it
    poll_interval: float = 5.0  # how often to look at claims other processes hold
    max_parked: int = 256  # messages waiting out a backoff aside, so their worker goes on

    @classmethod
    def for_rate(cls, rate: float) -> DeliveryPolicy:
        """Enough workers to keep `rate` messages per second in flight, and claims to match.

        Each worker has one request in flight at a time. At 30/s eight are plenty; at 1,000/s
        a request to Telegram taking up to 0.1 s needs about a hundred, and bigger claim
        chunks keep the database round trips per message low.
        """
        concurrency = max(8, min(128, math.ceil(rate * 0.1)))
        if rate <= 100:
            return cls(concurrency=concurrency, claim_batch=16)
        # A round this fast is over in minutes: retry a 5xx sooner (0.5 s, 1 s, 2 s), or the
        # retries of its last failures would keep it going long after everyone else is done.
        return cls(concurrency=concurrency, batch_size=2000, claim_batch=128, backoff_base=0.5)

    @property
    def connections(self) -> int:
        """HTTP connections the sender should keep: one per worker, a few for parked retries."""
        return self.concurrency + 16

    def __post_init__(self) -> None:
        if min(self.concurrency, self.batch_size, self.claim_batch, self.max_claims) < 1:
            raise ValueError("concurrency, batch sizes and max_claims must be at least 1")
        if self.max_parked < 0:
            raise ValueError("max_parked must not be negative")
        if self.lease <= 0 or self.poll_interval <= 0:
            raise ValueError("lease and poll_interval must be positive")


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
    lost_lease: int = 0  # our claim was taken over while we waited (should not happen)
    rate_limited: int = 0  # RetryAfter answers received
    retried: int = 0  # transient-error retries
    stopped_at_deadline: bool = False
    duration: float = 0.0  # seconds, on the injected clock
    errors: dict[str, int] = field(default_factory=dict)  # error class -> count

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.deactivated + self.failed + self.expired


@dataclass(frozen=True, slots=True)
class _Result:
    outcome: Outcome
    attempts: int
    chat_id: int  # may differ from the claimed id after ChatMigrated
    error: str | None = None


class _LostClaim(Exception):
    """Our lease was taken over while we waited: the other holder finishes this chat."""


@dataclass(slots=True)
class _Sending:
    """One message on its way, with what its retries have used up so far."""

    chat_id: int
    message: OutgoingMessage
    renewed_at: datetime  # when our claim was taken or last renewed (the lease counts from it)
    attempts: int = 0
    transient: int = 0
    rate_limited: int = 0
    migrations: int = 0


@dataclass(frozen=True, slots=True)
class _Ready:
    """A claimed chat with what its message needs, waiting for a worker."""

    chat_id: int
    context: DeliveryContext
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class _Parked:
    """A transient failure: retry after `delay`, aside, while the worker goes on."""

    sending: _Sending
    delay: float


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 deprecates the int form; either form is fine here
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_gone(exc: BadRequest) -> bool:
    message = exc.message.lower()
    return any(marker in message for marker in CHAT_GONE_MARKERS)


class _Feed:
    """Hands out due chat ids to be claimed, fetching keyset pages on demand."""

    def __init__(self, run: _RoundRun) -> None:
        self._run = run
        self._buffer: deque[int] = deque()
        self._after: int | None = None
        self._exhausted = False
        self._lock = asyncio.Lock()

    async def take(self, n: int) -> list[int]:
        """Up to `n` due chat ids; an empty list when this pass has seen them all."""
        async with self._lock:
            if len(self._buffer) < n and not self._exhausted:
                run = self._run
                batch = await run.store.due_chats(
                    run.round.deadline.id,
                    run.round.lead_seconds,
                    run.round.deadline.regions,
                    after_chat_id=self._after,
                    limit=max(run.policy.batch_size, n),
                    stale_before=run.clock.now() - run.lease,
                    max_claims=run.policy.max_claims,
                )
                if batch:
                    self._after = batch[-1]
                    self._buffer.extend(batch)
                if len(batch) < max(run.policy.batch_size, n):
                    self._exhausted = True
            return [self._buffer.popleft() for _ in range(min(n, len(self._buffer)))]


class _Queue:
    """Claimed chats ready to send, shared by all workers, kept one to two chunks ahead.

    Whichever worker finds the queue short claims the next chunk (`claim`: one database
    round trip for `chunk` chats, and one read of what their messages need) while the
    others go on sending what is left. A chunk being claimed counts as on its way, so
    normally one claim runs at a time; a second starts only when less than a chunk is left
    while the first is still running (a slow database moment must not leave a hundred
    workers with nothing to send).

    Before, each worker claimed and sent a chunk of its own: sending ramped up only as the
    workers' first claims went through the database one after another (the first half
    second of a 1,000/s round), a message could wait behind its worker's hung send, and
    the end of a round needed idle workers to take over others' queues.
    """

    def __init__(
        self, claim: Callable[[], Awaitable[list[_Ready] | None]], chunk: int, stop: asyncio.Event
    ) -> None:
        self._claim = claim
        self._chunk = chunk
        self._stop = stop
        self._ready: deque[_Ready] = deque()
        self._refilling = 0  # claims running
        self._exhausted = False
        self._refilled = asyncio.Event()

    async def next(self) -> _Ready | None:
        """The next chat to send to; None when the pass has no more or the round stops."""
        while not self._stop.is_set():
            coming = len(self._ready) + self._chunk * self._refilling
            if coming < 2 * self._chunk and not self._exhausted:
                await self._refill()
            elif self._ready:
                return self._ready.popleft()
            elif self._exhausted and not self._refilling:
                return None
            else:  # another worker is claiming: wait for it
                self._refilled.clear()
                await self._refilled.wait()
        return None

    def drain(self) -> list[int]:
        """The chats claimed but never handed out (to be released when the pass ends)."""
        ids = [ready.chat_id for ready in self._ready]
        self._ready.clear()
        return ids

    async def _refill(self) -> None:
        self._refilling += 1
        try:
            claimed = await self._claim()
            if claimed is None:
                self._exhausted = True
            else:
                self._ready.extend(claimed)
        finally:
            self._refilling -= 1
            self._refilled.set()


class _Recorder:
    """Group commit: results that arrive while a commit runs go into the next one together.

    Each worker still waits until its own result is committed before it sends again; under
    load one transaction simply covers several workers, which is what lets SQLite keep up.
    """

    MAX_BATCH = 256

    def __init__(self, run: _RoundRun) -> None:
        self._run = run
        self._queue: list[tuple[DeliveryResult, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    def submit(self, result: DeliveryResult) -> asyncio.Future[bool]:
        """Queue a result; the future says whether it was recorded (False: not our claim)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((result, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return future

    async def _flush(self) -> None:
        run = self._run
        while self._queue:
            batch = self._queue[: self.MAX_BATCH]
            del self._queue[: self.MAX_BATCH]
            try:
                recorded = await run.store.record_delivery_results(
                    [item for item, _ in batch], owner=run.owner, now=run.clock.now()
                )
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), ok in zip(batch, recorded, strict=True):
                if not future.done():
                    future.set_result(ok)


class _RoundRun:
    def __init__(
        self,
        store: Store,
        sender: Sender,
        round: Round,
        compose: Compose,
        clock: Clock,
        limiter: Limiter,
        policy: DeliveryPolicy,
        owner: str,
    ) -> None:
        self.store = store
        self.sender = sender
        self.round = round
        self.compose = compose
        self.clock = clock
        self.limiter = limiter
        self.policy = policy
        self.owner = owner
        self.lease = timedelta(seconds=policy.lease)
        self._sent_to: set[int] = set()  # chats whose send was started (may have arrived)
        self.report = RoundReport(round.deadline.id, round.lead_seconds)
        self._stop = asyncio.Event()
        self._recorder = _Recorder(self)
        self._group: asyncio.TaskGroup | None = None  # the current pass's workers and retries
        self._parked = 0

    # -- the round ----------------------------------------------------------------------

    async def run(self) -> RoundReport:
        started = self.clock.now()
        deadline = self.round.deadline
        log.info(
            "round %s: starting (due %s, deadline %s, late=%s)",
            self.round.job_id,
            self.round.due_at.isoformat(),
            deadline.at.isoformat(),
            self.round.is_late(started),
        )
        try:
            if not self._past_deadline():
                await self.store.analyze()
            while True:
                if self._past_deadline():
                    self.report.stopped_at_deadline = True
                    break
                pass_start = self.clock.now()
                await self._one_pass()
                if self._stop.is_set():
                    break
                self.report.abandoned += await self.store.close_abandoned_claims(
                    deadline.id,
                    self.round.lead_seconds,
                    stale_before=pass_start - self.lease,
                    now=self.clock.now(),
                )
                open_claims = await self.store.open_claims(deadline.id, self.round.lead_seconds)
                if not open_claims:
                    break
                # Claims of another worker or process: wait for them to be recorded, or for
                # their lease to run out so the next pass can take them over.
                oldest = open_claims[0].claimed_at
                until_stale = (oldest + self.lease - self.clock.now()).total_seconds() + 0.01
                await self.clock.sleep(min(max(until_stale, 0.01), self.policy.poll_interval))
        finally:
            self.report.duration = (self.clock.now() - started).total_seconds()
        log.info("round %s: finished %s", self.round.job_id, self.report)
        return self.report

    def _past_deadline(self) -> bool:
        return self.clock.now() >= self.round.deadline.at

    def _would_pass_deadline(self, wait: float) -> bool:
        return self.clock.now() + timedelta(seconds=wait) >= self.round.deadline.at

    def _stop_at_deadline(self) -> None:
        self.report.stopped_at_deadline = True
        self._stop.set()

    async def _one_pass(self) -> None:
        feed = _Feed(self)
        size = self.policy.claim_batch
        queue = _Queue(lambda: self._claim_ready(feed, size), size, self._stop)
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                for _ in range(self.policy.concurrency):
                    group.create_task(self._worker(queue))
        except BaseExceptionGroup as group_error:
            # Callers see the crash itself, not an ExceptionGroup; other workers that failed
            # in the same instant are named in a note.
            first, *others = group_error.exceptions
            if others:
                first.add_note(
                    f"{len(others)} other delivery worker(s) failed too: "
                    + ", ".join(repr(e) for e in others)
                )
            raise first from None
        finally:
            # Claims not yet started when the round stops (deadline, cancellation, a crash)
            # are given back, so a restart need not wait for their lease.
            if unsent := queue.drain():
                await self._release(unsent)

    async def _worker(self, queue: _Queue) -> None:
        while (ready := await queue.next()) is not None:
            await self._deliver(ready)

    async def _claim_ready(self, feed: _Feed, n: int) -> list[_Ready] | None:
        """Claim the next up to `n` due chats and read what their messages need.

        None when this pass has no more (or the round stops).
        """
        while not self._stop.is_set():
            if self._past_deadline():
                self._stop_at_deadline()
                return None
            chunk = await feed.take(n)
            if not chunk:
                return None
            claimed_at = self.clock.now()
            won = await self._claim(chunk, claimed_at)
            self.report.claimed_elsewhere += len(chunk) - len(won)
            if not won:
                continue
            try:
                contexts = await self.store.delivery_contexts(won)
            except BaseException:
                await self._release(won)
                raise
            return [_Ready(chat_id, contexts[chat_id], claimed_at) for chat_id in won]
        return None

    # -- one chat -----------------------------------------------------------------------

    async def _deliver(self, ready: _Ready) -> None:
        """Send to one claimed chat and record the result before the worker goes on.

        Recording each result right after its send keeps the unknown window of a crash at
        one request per worker.
        """
        chat_id = ready.chat_id
        try:
            result = await self._attempt(chat_id, ready.context, ready.claimed_at)
        except _LostClaim:
            self.report.lost_lease += 1
            log.warning("round %s: a claim was taken over while waiting", self.round.job_id)
            return
        except BaseException:
            if chat_id not in self._sent_to:  # stopped before sending: nothing is in doubt
                await self._release([chat_id])
            raise
        if isinstance(result, _Parked):
            self._park(result)
            return
        # A crash or cancellation after the send started leaves this one claim open: the
        # lease rule (module docstring) decides what happens to it.
        await self._record(result)

    async def _release(self, chat_ids: list[int]) -> None:
        """Give back claims never started (the round is stopping), even if cancelled."""
        await self._finish_despite_cancel(
            self.store.release_claims(
                chat_ids, self.round.deadline.id, self.round.lead_seconds, owner=self.owner
            )
        )

    async def _claim(self, chunk: list[int], now: datetime) -> list[int]:
        """Claim `chunk`; if the round is cancelled meanwhile, give back what was won."""
        claim = asyncio.ensure_future(
            self.store.claim_deliveries(
                chunk,
                self.round.deadline.id,
                self.round.lead_seconds,
                owner=self.owner,
                now=now,
                stale_before=now - self.lease,
                max_claims=self.policy.max_claims,
            )
        )
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            won = await claim  # the transaction runs to its end either way
            if won:
                await self._release(won)
            raise

    @staticmethod
    async def _finish_despite_cancel(work: Awaitable[T]) -> T:
        """Run bookkeeping to the end even if the round is being cancelled meanwhile."""
        task = asyncio.ensure_future(work)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            await task
            raise

    async def _record(self, result: _Result) -> None:
        # If the round is being stopped, the message went out all the same: write it down.
        recorded = await self._finish_despite_cancel(
            self._recorder.submit(
                DeliveryResult(
                    result.chat_id,
                    self.round.deadline.id,
                    self.round.lead_seconds,
                    result.outcome,
                    result.attempts,
                    result.error,
                )
            )
        )
        if not recorded:
            self.report.lost_lease += 1
            log.warning(
                "round %s: result not recorded, the claim was taken over", self.round.job_id
            )
            return
        report = self.report
        match result.outcome:
            case Outcome.SENT:
                report.sent += 1
            case Outcome.SKIPPED:
                report.skipped += 1
            case Outcome.DEACTIVATED:
                report.deactivated += 1
            case Outcome.EXPIRED:
                report.expired += 1
            case Outcome.FAILED:
                report.failed += 1
        if result.error:
            report.errors[result.error] = report.errors.get(result.error, 0) + 1

    async def _compose(
        self, chat_id: int, context: DeliveryContext
    ) -> OutgoingMessage | _Result | None:
        if context.subscription is None or not context.subscription.active:
            return _Result(Outcome.SKIPPED, 0, chat_id, "unsubscribed")
        try:
            message = self.compose(context.settings, context.checklist, self.round)
            if inspect.isawaitable(message):
                message = await message
        except Exception as exc:  # a bug for one chat must not stop the round
            log.exception("round %s: compose failed", self.round.job_id)
            return _Result(Outcome.FAILED, 0, chat_id, f"compose:{type(exc).__name__}")
        if isinstance(message, str):
            return OutgoingMessage(message)
        return message

    async def _attempt(
        self, chat_id: int, context: DeliveryContext, claimed_at: datetime
    ) -> _Result | _Parked:
        composed = await self._compose(chat_id, context)
        if isinstance(composed, _Result):
            return composed
        if composed is None:
            return _Result(Outcome.SKIPPED, 0, chat_id)
        return await self._send(_Sending(chat_id, composed, claimed_at), may_park=True)

    def _park(self, parked: _Parked) -> None:
        """Retry a transiently failed message in a task of its own, after its backoff.

        With 5% of sends failing and a one-second backoff, workers that waited out their own
        backoffs would spend most of a 1,000-per-second round asleep. The claim stays ours
        (renewed while it waits); the pass does not end before the retry is recorded.
        """
        assert self._group is not None
        self._parked += 1
        self._group.create_task(self._retry_parked(parked))

    async def _retry_parked(self, parked: _Parked) -> None:
        sending = parked.sending
        try:
            try:
                await self._hold(sending, parked.delay)
                result = await self._send(sending, may_park=False)
            except _LostClaim:
                self.report.lost_lease += 1
                log.warning("round %s: a claim was taken over while waiting", self.round.job_id)
                return
            assert isinstance(result, _Result)
            await self._record(result)
        finally:
            self._parked -= 1

    async def _send(self, sending: _Sending, *, may_park: bool) -> _Result | _Parked:
        """Send until it is done, failed for good, or (if allowed) parked for a retry."""
        message = sending.message
        while True:
            chat_id = sending.chat_id
            await self.limiter.acquire(chat_id)
            started = self.clock.now()
            if started >= self.round.deadline.at:
                self._stop_at_deadline()
                return _Result(Outcome.EXPIRED, sending.attempts, chat_id)
            sending.attempts += 1
            attempts = sending.attempts
            self._sent_to.add(chat_id)  # from here on Telegram may have the message
            try:
                await self.sender.send(chat_id, message.text, message.buttons)
                return _Result(Outcome.SENT, attempts, chat_id)
            except RetryAfter as exc:
                # Everyone waits (the limiter is paused), so this worker may as well wait too.
                wait = _retry_after_seconds(exc)
                self.report.rate_limited += 1
                sending.rate_limited += 1
                self.limiter.pause(wait)
                if sending.rate_limited > self.policy.max_rate_limited:
                    return _Result(Outcome.FAILED, attempts, chat_id, "RetryAfter")
                if self._would_pass_deadline(wait):
                    self._stop_at_deadline()
                    return _Result(Outcome.EXPIRED, attempts, chat_id, "RetryAfter")
                await self._hold(sending, wait)
            except Forbidden:
                await self.store.deactivate(chat_id, "blocked")
                return _Result(Outcome.DEACTIVATED, attempts, chat_id, "Forbidden")
            except ChatMigrated as exc:
                sending.migrations += 1
                if sending.migrations > 1:
                    return _Result(Outcome.FAILED, attempts, chat_id, "ChatMigrated")
                new_id = int(exc.new_chat_id)
                await self.store.migrate_chat(chat_id, new_id)
                sending.chat_id = new_id
                if not await self._renew(sending):
                    raise _LostClaim from None  # the new id already had this reminder
            except BadRequest as exc:  # before NetworkError: BadRequest is a subclass of it
                if _chat_gone(exc):
                    await self.store.deactivate(chat_id, "chat_not_found")
                    return _Result(Outcome.DEACTIVATED, attempts, chat_id, "ChatNotFound")
                return _Result(Outcome.FAILED, attempts, chat_id, "BadRequest")
            except NetworkError as exc:  # TimedOut, connection errors, 5xx
                sending.transient += 1
                if sending.transient > self.policy.max_retries:
                    return _Result(Outcome.FAILED, attempts, chat_id, type(exc).__name__)
                self.report.retried += 1
                backoff = min(
                    self.policy.backoff_max, self.policy.backoff_base * 2 ** (sending.transient - 1)
                )
                # The backoff counts from when the failed attempt started: a connection that
                # hung for seconds before it failed has waited that long already. (At the end
                # of a 1,000/s round, retries of stalled sends were the last half second.)
                delay = max(0.0, backoff - (self.clock.now() - started).total_seconds())
                if self._would_pass_deadline(delay):
                    return _Result(Outcome.FAILED, attempts, chat_id, type(exc).__name__)
                if may_park and self._parked < self.policy.max_parked:
                    return _Parked(sending, delay)
                await self._hold(sending, delay)
            except (InvalidToken, EndPointNotFound):
                raise
            except TelegramError as exc:
                return _Result(Outcome.FAILED, attempts, chat_id, type(exc).__name__)

    async def _renew(self, sending: _Sending) -> bool:
        now = self.clock.now()
        renewed = await self.store.renew_claim(
            sending.chat_id,
            self.round.deadline.id,
            self.round.lead_seconds,
            owner=self.owner,
            now=now,
        )
        if renewed:
            sending.renewed_at = now
        return renewed

    async def _hold(self, sending: _Sending, seconds: float) -> None:
        """Wait while keeping our claim: renew it whenever a third of the lease has passed.

        A short wait (a one-second backoff) needs no write at all: nobody may take over a
        claim younger than the lease. At 1,000 messages per second with 5% failing, a
        renewal per retry was a write transaction too many for SQLite's single writer.
        """
        remaining = max(0.0, seconds)
        step = self.policy.lease / 3
        while True:
            chunk = min(remaining, step)
            if chunk > 0:
                await self.clock.sleep(chunk)
            remaining -= chunk
            due = (self.clock.now() - sending.renewed_at).total_seconds() >= step
            if due and not await self._renew(sending):
                raise _LostClaim
            if remaining <= 0:
                return


async def deliver_round(
    store: Store,
    sender: Sender,
    round: Round,
    compose: Compose,
    clock: Clock,
    limiter: Limiter,
    *,
    policy: DeliveryPolicy | None = None,
    owner: str | None = None,
) -> RoundReport:
    """Send `round` to every due subscriber that has not had it, and report what happened.

    Safe to call again after a crash, and safe to run in two processes at once (see the module
    docstring for the claim/lease rule). `owner` names this run's claims (random by default).
    Unexpected exceptions from `sender` (not `telegram.error`) propagate; the claim in
    flight stays open and is recovered by the lease rule.
    """
    if round.deadline.at.tzinfo is None:
        raise ValueError("deadline.at must be timezone-aware")
    run = _RoundRun(
        store,
        sender,
        round,
        compose,
        clock,
        limiter,
        policy or DeliveryPolicy(),
        owner or secrets.token_hex(8),
    )
    return await run.run()
