"""Deliver one round: every due chat gets exactly one message, within limits.

A round is a countdown reminder (`deliver_round`), a re-check nudge or a change alert
(`deliver` with a `spec.RoundSpec`: its round key, who is due, the message, the quiet hours).

Per chat, strictly in this order::

    claim (DB, atomic) -> compose -> wait for the rate limiters -> send -> record (DB)

A claim is unique per (chat, deadline, lead time) in the database, so neither a restart nor a
second bot process started by mistake sends anything twice. Chats are claimed a chunk
(`claim_batch`) at a time in one round trip, into a queue all workers send from
(`pipeline.ClaimQueue`, kept one to two chunks ahead); a worker sends to one chat and
records the result (committed) before its next send, so at most one send per worker is ever
in the unknown state (plus messages waiting aside for a retry, below). Results of all
workers are committed together when they arrive together (group commit); that and the
chunked claims are what let a round run at 1,000 messages per second instead of being bound
by three transactions per message.
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

Errors: `classify.classify` turns each failed send into an action (wait out a RetryAfter
with the whole bot paused, deactivate a chat that is gone, follow a migration, back off and
retry a transient error, record a failure, or stop the round on a configuration error).
Nothing is sent once `clock.now() >= deadline.at` (the spec's `stop_at`): the round stops.
Chats inside their quiet hours (the spec's `quiet`) are not claimed: they stay due for a
later pass (counted in `RoundReport.quiet`).

The pieces: `outgoing` (the message, the sender and limiter a round calls, its report),
`policy` (workers, claim sizes, lease, retries), `spec` (what a round sends to whom),
`pipeline` (the feed of due chats, the shared queue of claimed ones, the group commit of
results), `classify` (errors), and this module, which runs the round.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from telegram.error import TelegramError

from bot.clock import Clock
from bot.reminders.classify import Action, Verdict, classify
from bot.reminders.outgoing import Compose, Limiter, OutgoingMessage, RoundReport, Sender
from bot.reminders.pipeline import ClaimQueue, Feed, Ready, Recorder
from bot.reminders.plan import Round
from bot.reminders.policy import DeliveryPolicy
from bot.reminders.spec import Due, RoundSpec, Skip, chat_id_of, reminder_spec
from bot.store.repository import DeliveryResult, Outcome, Store

__all__ = [
    "Compose",
    "DeliveryPolicy",
    "Limiter",
    "OutgoingMessage",
    "RoundReport",
    "Sender",
    "deliver",
    "deliver_round",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Result:
    outcome: Outcome
    attempts: int
    chat_id: int  # may differ from the claimed id after ChatMigrated
    error: str | None = None


class _LostClaim(Exception):
    """Our claim is gone: taken over by another process, or the chat was deleted."""

    def __init__(self, chat_id: int) -> None:
        super().__init__(chat_id)
        self.chat_id = chat_id


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
class _Parked:
    """A transient failure: retry after `delay`, aside, while the worker goes on."""

    sending: _Sending
    delay: float


class _RoundRun:
    def __init__(
        self,
        store: Store,
        sender: Sender,
        spec: RoundSpec[Any],
        clock: Clock,
        limiter: Limiter,
        policy: DeliveryPolicy,
        owner: str,
    ) -> None:
        self.store = store
        self.sender = sender
        self.spec = spec
        self.clock = clock
        self.limiter = limiter
        self.policy = policy
        self.owner = owner
        self.lease = timedelta(seconds=policy.lease)
        self._sent_to: set[int] = set()  # chats whose send was started (may have arrived)
        self.report = RoundReport(spec.key, spec.lead_seconds)
        self._stop = asyncio.Event()
        self._recorder = Recorder(self._write_results)
        self._group: asyncio.TaskGroup | None = None  # the current pass's workers and retries
        self._parked = 0

    # -- the round ----------------------------------------------------------------------

    async def run(self) -> RoundReport:
        started = self.clock.now()
        spec = self.spec
        log.info(
            "round %s: starting (due %s, deadline %s, late=%s)",
            spec.name,
            spec.due_at.isoformat() if spec.due_at else "-",
            spec.stop_at.isoformat() if spec.stop_at else "-",
            spec.is_late(started),
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
                    spec.key,
                    spec.lead_seconds,
                    stale_before=pass_start - self.lease,
                    now=self.clock.now(),
                )
                open_claims = await self.store.open_claims(spec.key, spec.lead_seconds)
                if not open_claims:
                    break
                # Claims of another worker or process: wait for them to be recorded, or for
                # their lease to run out so the next pass can take them over.
                oldest = open_claims[0].claimed_at
                until_stale = (oldest + self.lease - self.clock.now()).total_seconds() + 0.01
                await self.clock.sleep(min(max(until_stale, 0.01), self.policy.poll_interval))
        finally:
            self.report.duration = (self.clock.now() - started).total_seconds()
        log.info("round %s: finished %s", spec.name, self.report)
        return self.report

    def _past_deadline(self) -> bool:
        stop_at = self.spec.stop_at
        return stop_at is not None and self.clock.now() >= stop_at

    def _would_pass_deadline(self, wait: float) -> bool:
        stop_at = self.spec.stop_at
        return stop_at is not None and self.clock.now() + timedelta(seconds=wait) >= stop_at

    def _stop_at_deadline(self) -> None:
        self.report.stopped_at_deadline = True
        self._stop.set()

    async def _one_pass(self) -> None:
        feed = Feed(self._due_chats, self.policy.batch_size)
        size = self.policy.claim_batch
        queue = ClaimQueue(lambda: self._claim_ready(feed, size), size, self._stop)
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

    async def _worker(self, queue: ClaimQueue) -> None:
        while (ready := await queue.next()) is not None:
            await self._deliver(ready)

    async def _claim_ready(self, feed: Feed, n: int) -> list[Ready] | None:
        """Claim the next up to `n` due chats and read what their messages need.

        None when this pass has no more (or the round stops).
        """
        while not self._stop.is_set():
            if self._past_deadline():
                self._stop_at_deadline()
                return None
            due = await feed.take(n)
            if not due:
                return None
            claimed_at = self.clock.now()
            quiet = self.spec.quiet
            chunk = [
                chat_id_of(chat)
                for chat in due
                if quiet is None or isinstance(chat, int) or not quiet(chat, claimed_at)
            ]
            self.report.quiet += len(due) - len(chunk)
            if not chunk:
                continue
            won = await self._claim(chunk, claimed_at)
            self.report.claimed_elsewhere += len(chunk) - len(won)
            if not won:
                continue
            try:
                contexts = await self.spec.contexts(won)
            except BaseException:
                await self._release(won)
                raise
            return [Ready(chat_id, contexts[chat_id], claimed_at) for chat_id in won]
        return None

    async def _due_chats(self, after: int | None, limit: int) -> Sequence[Due]:
        """The next page of due chats: never delivered, or claimed by a crashed process."""
        return await self.spec.due_chats(
            after, limit, self.clock.now() - self.lease, self.policy.max_claims
        )

    async def _write_results(self, results: list[DeliveryResult]) -> list[bool]:
        return await self.store.record_delivery_results(
            results, owner=self.owner, now=self.clock.now()
        )

    # -- one chat -----------------------------------------------------------------------

    async def _deliver(self, ready: Ready) -> None:
        """Send to one claimed chat and record the result before the worker goes on.

        Recording each result right after its send keeps the unknown window of a crash at
        one request per worker.
        """
        chat_id = ready.chat_id
        try:
            result = await self._attempt(chat_id, ready.context, ready.claimed_at)
        except _LostClaim as lost:
            self._not_ours(f"the claim for chat {lost.chat_id} could not be renewed")
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

    def _not_ours(self, what: str) -> None:
        """Our claim was gone: taken over after our lease ran out, or the chat deleted."""
        self.report.lost_lease += 1
        log.warning("round %s: %s: the claim is no longer ours", self.spec.name, what)

    async def _release(self, chat_ids: list[int]) -> None:
        """Give back claims never started (the round is stopping), even if cancelled."""
        await self._finish_despite_cancel(
            self.store.release_claims(
                chat_ids, self.spec.key, self.spec.lead_seconds, owner=self.owner
            )
        )

    async def _claim(self, chunk: list[int], now: datetime) -> list[int]:
        """Claim `chunk`; if the round is cancelled meanwhile, give back what was won."""
        claim = asyncio.ensure_future(
            self.store.claim_deliveries(
                chunk,
                self.spec.key,
                self.spec.lead_seconds,
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
                    self.spec.key,
                    self.spec.lead_seconds,
                    result.outcome,
                    result.attempts,
                    result.error,
                )
            )
        )
        if not recorded:
            self._not_ours(f"the result for chat {result.chat_id} was not recorded")
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

    async def _compose(self, chat_id: int, context: Any) -> OutgoingMessage | _Result | None:
        try:
            message = self.spec.compose(context, self.clock.now())
            if inspect.isawaitable(message):
                message = await message
        except Exception as exc:  # a bug for one chat must not stop the round
            log.exception("round %s: compose failed", self.spec.name)
            return _Result(Outcome.FAILED, 0, chat_id, f"compose:{type(exc).__name__}")
        if isinstance(message, Skip):
            return _Result(Outcome.SKIPPED, 0, chat_id, message.reason)
        if isinstance(message, str):
            return OutgoingMessage(message)
        return message

    async def _attempt(self, chat_id: int, context: Any, claimed_at: datetime) -> _Result | _Parked:
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
                self._not_ours(f"the claim for chat {sending.chat_id} could not be renewed")
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
            if self._past_deadline():
                self._stop_at_deadline()
                return _Result(Outcome.EXPIRED, sending.attempts, chat_id)
            sending.attempts += 1
            self._sent_to.add(chat_id)  # from here on Telegram may have the message
            try:
                await self.sender.send(chat_id, message.text, message.buttons)
            except TelegramError as exc:
                verdict = classify(exc)
                if verdict.action is Action.RAISE:
                    raise
            else:
                return _Result(Outcome.SENT, sending.attempts, chat_id)
            decided = await self._after_failure(sending, verdict, started, may_park=may_park)
            if decided is not None:
                return decided

    async def _after_failure(
        self, sending: _Sending, verdict: Verdict, started: datetime, *, may_park: bool
    ) -> _Result | _Parked | None:
        """Act on a failed send: the result, a parked retry, or None to send again now."""
        chat_id, attempts, error = sending.chat_id, sending.attempts, verdict.error
        match verdict.action:
            case Action.RETRY_AFTER:
                # Everyone waits (the limiter is paused), so this worker may as well wait too.
                wait = verdict.seconds
                self.report.rate_limited += 1
                sending.rate_limited += 1
                self.limiter.pause(wait)
                if sending.rate_limited > self.policy.max_rate_limited:
                    return _Result(Outcome.FAILED, attempts, chat_id, error)
                if self._would_pass_deadline(wait):
                    self._stop_at_deadline()
                    return _Result(Outcome.EXPIRED, attempts, chat_id, error)
                await self._hold(sending, wait)
            case Action.CHAT_GONE:
                await self.store.deactivate(chat_id, verdict.reason)
                return _Result(Outcome.DEACTIVATED, attempts, chat_id, error)
            case Action.MIGRATE:
                sending.migrations += 1
                if sending.migrations > 1 or verdict.new_chat_id is None:
                    return _Result(Outcome.FAILED, attempts, chat_id, error)
                await self.store.migrate_chat(chat_id, verdict.new_chat_id)
                sending.chat_id = verdict.new_chat_id
                if not await self._renew(sending):
                    raise _LostClaim(sending.chat_id)  # the new id already had this reminder
            case Action.RETRY:
                sending.transient += 1
                if sending.transient > self.policy.max_retries:
                    return _Result(Outcome.FAILED, attempts, chat_id, error)
                self.report.retried += 1
                # The backoff counts from when the failed attempt started: a connection that
                # hung for seconds before it failed has waited that long already.
                backoff = self.policy.backoff(sending.transient)
                delay = max(0.0, backoff - (self.clock.now() - started).total_seconds())
                if self._would_pass_deadline(delay):
                    return _Result(Outcome.FAILED, attempts, chat_id, error)
                if may_park and self._parked < self.policy.max_parked:
                    return _Parked(sending, delay)
                await self._hold(sending, delay)
            case _:  # GIVE_UP (RAISE never gets here)
                return _Result(Outcome.FAILED, attempts, chat_id, error)
        return None

    async def _renew(self, sending: _Sending) -> bool:
        now = self.clock.now()
        renewed = await self.store.renew_claim(
            sending.chat_id,
            self.spec.key,
            self.spec.lead_seconds,
            owner=self.owner,
            now=now,
        )
        if renewed:
            sending.renewed_at = now
        return renewed

    async def _hold(self, sending: _Sending, seconds: float) -> None:
        """Wait while keeping our claim: renew it whenever a third of the lease has passed.

        A short wait (a one-second backoff) needs no write at all: nobody may take over a
        claim younger than the lease, and at 1,000 messages per second with 5% failing a
        renewal per retry would be a write transaction too many for SQLite's single writer.
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
                raise _LostClaim(sending.chat_id)
            if remaining <= 0:
                return


async def deliver(
    store: Store,
    sender: Sender,
    spec: RoundSpec[Any],
    clock: Clock,
    limiter: Limiter,
    *,
    policy: DeliveryPolicy | None = None,
    owner: str | None = None,
) -> RoundReport:
    """Send the round `spec` describes to every chat still due, and report what happened.

    Safe to call again after a crash, and safe to run in two processes at once (see the module
    docstring for the claim/lease rule). `owner` names this run's claims (random by default).
    Unexpected exceptions from `sender` (not `telegram.error`) propagate; the claim in
    flight stays open and is recovered by the lease rule.
    """
    run = _RoundRun(
        store,
        sender,
        spec,
        clock,
        limiter,
        policy or DeliveryPolicy(),
        owner or secrets.token_hex(8),
    )
    return await run.run()


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
    """`deliver` a countdown reminder round; `compose(settings, checklist, round)`."""
    spec = reminder_spec(
        store, round, lambda context, rnd: compose(context.settings, context.checklist, rnd)
    )
    return await deliver(store, sender, spec, clock, limiter, policy=policy, owner=owner)
