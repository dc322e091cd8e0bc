"""Reminder rounds on PTB's JobQueue (APScheduler), recreated from data at every start.

Jobs are not persisted (PTB cannot pickle them); the database and `faq/deadlines.yaml` are
the truth, so at start-up and after every change the rounds are computed again and
scheduled with stable ids and `replace_existing`: restarts never duplicate a job, and a
round missed while the bot was down runs at once if its deadline is still ahead.

The checkup's nudges and alerts (`checkup_rounds.py`) run in one repeating job, at start-up
and every `CHECKUP_EVERY` seconds, and once more right after `/reload`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import Application, ContextTypes, Job

from bot.checkup.alerts import Change
from bot.checkup.nudges import DEFAULT_QUIET, QuietWindow
from bot.clock import Clock
from bot.knowledge.model import DEFAULT_LANGUAGE, KnowledgeBase
from bot.reminders.checkup_rounds import CheckupPass, CheckupRounds
from bot.reminders.compose import ComposeCache
from bot.reminders.delivery import (
    DeliveryPolicy,
    OutgoingMessage,
    RoundReport,
    Sender,
    deliver,
)
from bot.reminders.plan import Round, reminder_rounds, round_start
from bot.reminders.ratelimit import SendLimiter
from bot.reminders.spec import reminder_spec
from bot.reminders.transport import BotSender
from bot.store.errors import StorageUnavailable
from bot.store.repository import ChatSettings, DeliveryContext, Store

__all__ = [
    "CHECKUP_EVERY",
    "CHECKUP_JOB",
    "JOB_PREFIX",
    "BotSender",
    "ReminderScheduler",
    "collapse_late",
]

log = logging.getLogger(__name__)

JOB_PREFIX = "remind:"
CHECKUP_JOB = "checkup"
CHECKUP_EVERY = 300.0  # seconds between passes of nudges and alerts
ROUND_RETRY_AFTER = 60.0  # seconds before a round stopped by a database outage runs again


def collapse_late(rounds: list[Round], now: datetime) -> list[Round]:
    """Of the rounds missed while the bot was down, keep only the latest per deadline.

    Someone offline through the 3-day and the 1-day reminder needs one late message, not two.
    """
    latest_late: dict[str, Round] = {}
    for rnd in rounds:
        if rnd.is_late(now):
            kept = latest_late.get(rnd.deadline.id)
            if kept is None or rnd.due_at > kept.due_at:
                latest_late[rnd.deadline.id] = rnd
    return [r for r in rounds if not r.is_late(now) or latest_late[r.deadline.id] is r]


@dataclass
class ReminderScheduler:
    application: Application
    store: Store
    knowledge: Callable[[], KnowledgeBase]  # the current knowledge base (it can be reloaded)
    clock: Clock
    limiter: SendLimiter
    sender: Sender
    default_timezone: str = "Europe/Brussels"
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    quiet_window: QuietWindow = DEFAULT_QUIET  # no nudge or alert at night (NUDGE_QUIET_HOURS)
    default_language: str = DEFAULT_LANGUAGE  # for chats that never chose one (DEFAULT_LANGUAGE)
    reports: list[RoundReport] = field(default_factory=list)
    checkup: CheckupRounds = field(init=False)
    _running: set[asyncio.Task[Any]] = field(default_factory=set)
    _compose_cache: ComposeCache = field(default_factory=ComposeCache)

    def __post_init__(self) -> None:
        self.checkup = CheckupRounds(
            self.store,
            self.knowledge,
            self.clock,
            self.sender,
            self.limiter,
            default_timezone=self.default_timezone,
            quiet_window=self.quiet_window,
            default_language=self.default_language,
            policy=self.policy,
            reports=self.reports,
        )

    def cancel_running(self) -> set[asyncio.Task[Any]]:
        """Cancel the rounds in progress (safe: `deliver_round` checkpoints); return them."""
        running = {t for t in self._running if not t.done()}
        for task in running:
            task.cancel()
        return running

    def compose(
        self,
        settings: ChatSettings,
        checklist: dict[str, str],
        rnd: Round,
        used: tuple[str, ...] = (),
    ) -> OutgoingMessage | None:
        """A reminder: what is left of the deadline's apps (of those the chat uses, if any)."""
        reply = self._compose_cache(
            self.knowledge(),
            settings,
            checklist,
            rnd,
            self.clock.now(),
            self.default_timezone,
            used,
            self.default_language,
        )
        if reply is None:
            return None
        return OutgoingMessage(reply.text, reply.buttons)

    def _compose_context(self, context: DeliveryContext, rnd: Round) -> OutgoingMessage | None:
        return self.compose(context.settings, context.checklist, rnd, context.platforms)

    async def reschedule(self) -> list[Round]:
        """Make the JobQueue hold exactly the rounds the data asks for; log the plan."""
        now = self.clock.now()
        leads = await self.store.lead_times_in_use()
        rounds = collapse_late(reminder_rounds(self.knowledge().deadlines, leads, now), now)
        job_queue = self.application.job_queue
        wanted = {r.job_id for r in rounds}
        for job in job_queue.jobs():
            if job.name and job.name.startswith(JOB_PREFIX) and job.name not in wanted:
                job.schedule_removal()
        counts: dict[tuple[str, ...], dict[int, int]] = {}  # one grouped count per region set
        for rnd in rounds:
            regions = tuple(rnd.deadline.regions)
            if regions not in counts:
                counts[regions] = await self.store.count_subscribers_by_lead(regions)
            n = counts[regions].get(rnd.lead_seconds, 0)
            start = round_start(rnd.due_at, n, self.limiter.effective_rate)
            delay = max((start - now).total_seconds(), 0.0)
            self._schedule(rnd, delay, now)
            log.info(
                "reminder round %s: %d subscriber(s), due %s, starts in %.0f s%s",
                rnd.job_id,
                n,
                rnd.due_at.isoformat(),
                delay,
                " (late: runs now)" if rnd.is_late(now) else "",
            )
        return rounds

    def _schedule(self, rnd: Round, delay: float, now: datetime) -> None:
        grace = max(int((rnd.deadline.at - now).total_seconds()), 1)
        self.application.job_queue.run_once(
            self._run,
            when=timedelta(seconds=delay),
            data=rnd,
            name=rnd.job_id,
            job_kwargs={
                "id": rnd.job_id,
                "replace_existing": True,
                # Late is better than never, until the deadline itself.
                "misfire_grace_time": grace,
                "coalesce": True,
            },
        )

    async def _run(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        job: Job = context.job  # type: ignore[assignment]
        rnd: Round = job.data  # type: ignore[assignment]
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            report = await deliver(
                self.store,
                self.sender,
                reminder_spec(self.store, rnd, self._compose_context),
                self.clock,
                self.limiter,
                policy=self.policy,
            )
        except StorageUnavailable as exc:
            # What was sent is recorded, the rest unclaimed or recovered by the lease rule:
            # the same round run again later sends only what is left.
            now = self.clock.now()
            if rnd.deadline.at > now:
                self._schedule(rnd, ROUND_RETRY_AFTER, now)
            log.warning(
                "reminder round %s interrupted: the database is unavailable (%s); %s",
                rnd.job_id,
                exc.reason,
                f"trying again in {ROUND_RETRY_AFTER:.0f} s"
                if rnd.deadline.at > now
                else "its deadline has passed",
            )
            return
        finally:
            self._running.discard(task)  # type: ignore[arg-type]
        self.reports.append(report)
        log.info(
            "reminder round %s done: sent=%d skipped=%d deactivated=%d failed=%d in %.1f s",
            rnd.job_id,
            report.sent,
            report.skipped,
            report.deactivated,
            report.failed,
            report.duration,
        )

    # -- the checkup's nudges and alerts ------------------------------------------------

    def start_checkup(self, every: float = CHECKUP_EVERY) -> None:
        """Run the checkup's pass now (start-up: what is due, what a restart left) and every
        `every` seconds. Call `record_changes` first, so that alerts planned by this start
        are in its first pass."""
        self.application.job_queue.run_repeating(
            self._checkup_job,
            interval=every,
            first=0,
            name=CHECKUP_JOB,
            job_kwargs={"id": CHECKUP_JOB, "replace_existing": True, "coalesce": True},
        )

    async def record_changes(self) -> list[Change]:
        return await self.checkup.record_changes()

    async def after_reload(self) -> None:
        """`/reload`: reschedule reminders, plan the alerts of what changed, send them now."""
        await self.reschedule()
        await self.record_changes()
        self.application.job_queue.run_once(self._checkup_job, when=0, name=f"{CHECKUP_JOB}-now")

    async def _checkup_job(self, context: ContextTypes.DEFAULT_TYPE) -> CheckupPass:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)  # cancelled at shutdown like a reminder round
        try:
            return await self.checkup.run_pass()
        finally:
            self._running.discard(task)  # type: ignore[arg-type]
