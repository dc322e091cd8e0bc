"""Re-check nudges and change alerts, delivered as reminder rounds are (`delivery.deliver`).

Same claims, leases, retries and share of the send budget as countdown reminders; what
differs is in their `RoundSpec`: a round key instead of a deadline id, who is due, the
message, and the quiet hours (no nudge or alert at night in the chat's time zone). A pass
(every few minutes, at start-up and after `/reload`) runs, one at a time:

1. nudges: one round per round key with nudges due (`due_nudge_keys`), then
   `advance_finished_nudges` moves each nudge whose round closed to its next due time;
2. alerts: one round per open alert round (`record_kb` plans them from the `changed:` dates
   at start-up and on `/reload`); a round that left no chat behind in its quiet hours is
   finished, one that did runs again at the next pass.

A chat in its quiet hours is not claimed: it stays due and a later pass picks it up. Each
message is composed in the recipient chat's stored language (its `/language` choice, else
`default_language`). See docs/checkup.md for the whole design.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.checkup.alerts import Audience, Change, audience_for
from bot.checkup.buttons import alert_buttons, nudge_buttons
from bot.checkup.nudges import DEFAULT_QUIET, QuietWindow, plan_nudge
from bot.checkup.service import advance_finished_nudges, record_kb
from bot.checkup.texts import alert_text, nudge_text
from bot.clock import Clock
from bot.knowledge.model import DEFAULT_LANGUAGE, KnowledgeBase
from bot.reminders.compose import recipient_language
from bot.reminders.delivery import deliver
from bot.reminders.outgoing import Limiter, OutgoingMessage, RoundReport, Sender
from bot.reminders.policy import DeliveryPolicy
from bot.reminders.spec import RoundSpec, Skip
from bot.store.repository import ROUND_LEAD, DeliveryContext, DueChat, Store

__all__ = ["CheckupPass", "CheckupRounds"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CheckupPass:
    """What one pass did: its rounds' reports and the alert rounds it finished."""

    nudges: list[RoundReport] = field(default_factory=list)
    alerts: list[RoundReport] = field(default_factory=list)
    finished_alerts: list[str] = field(default_factory=list)
    advanced: int = 0  # nudges moved to their next due time

    @property
    def sent(self) -> int:
        return sum(r.sent for r in (*self.nudges, *self.alerts))


@dataclass
class CheckupRounds:
    store: Store
    knowledge: Callable[[], KnowledgeBase]  # the current knowledge base (it can be reloaded)
    clock: Clock
    sender: Sender
    limiter: Limiter
    default_timezone: str = "Europe/Brussels"
    quiet_window: QuietWindow = DEFAULT_QUIET
    default_language: str = DEFAULT_LANGUAGE  # for chats that never chose one
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    reports: list[RoundReport] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def quiet(self, chat: DueChat, now: datetime) -> bool:
        """Inside the chat's quiet hours (its /timezone, else the bot's default) at `now`."""
        return not self.quiet_window.allows(now, chat.timezone or self.default_timezone)

    async def record_changes(self) -> list[Change]:
        """Start-up and `/reload`: store the `changed:` snapshot and the alerts it calls for."""
        changes = await record_kb(self.store, self.knowledge(), self.clock.now())
        for change in changes:
            log.info("alert planned: %s", change.change_id)
        return changes

    async def run_pass(self) -> CheckupPass:
        """Nudges due, then open alert rounds; one pass at a time (a second one waits)."""
        async with self._lock:
            done = CheckupPass()
            await self._nudges(done)
            await self._alerts(done)
            return done

    # -- nudges ---------------------------------------------------------------------------

    async def _nudges(self, done: CheckupPass) -> None:
        for key in await self.store.due_nudge_keys(self.clock.now()):
            report = await self._deliver(self.nudge_spec(key))
            done.nudges.append(report)
        done.advanced = await advance_finished_nudges(
            self.store,
            self.clock.now(),
            default_timezone=self.default_timezone,
            quiet=self.quiet_window,
        )

    def nudge_spec(self, key: str) -> RoundSpec[DeliveryContext]:
        """The nudge round `key`: chats whose nudge under that key is due now."""
        store = self.store

        async def due(
            after: int | None, limit: int, stale_before: datetime, max_claims: int
        ) -> list[DueChat]:
            return await store.due_nudge_chats(
                key,
                self.clock.now(),
                after,
                limit,
                stale_before=stale_before,
                max_claims=max_claims,
            )

        def compose(context: DeliveryContext, now: datetime) -> OutgoingMessage | None:
            plan = plan_nudge(
                self.knowledge(), context.platforms, context.checklist, context.settings.region
            )
            if plan is None:  # every app done or not for me: nothing to re-check
                return None
            language = recipient_language(context.settings, self.default_language)
            return OutgoingMessage(nudge_text(plan, language), nudge_buttons(plan.items, language))

        return RoundSpec(
            key,
            ROUND_LEAD,
            key,
            due,
            store.delivery_contexts,
            compose,
            quiet=self.quiet,
        )

    # -- alerts ---------------------------------------------------------------------------

    async def _alerts(self, done: CheckupPass) -> None:
        for stored in await self.store.alert_rounds():
            change = Change(stored.kind, stored.entry_id, stored.changed, stored.is_new)
            audience = audience_for(change, self.knowledge())
            if audience is None:  # the entry is gone from faq/: nothing to tell
                await self.store.finish_alert_round(stored.round_key, self.clock.now(), "dropped")
                continue
            report = await self._deliver(self.alert_spec(change, audience))
            done.alerts.append(report)
            # Chats in their quiet hours are still due: the round stays open for them.
            finished = report.quiet == 0 and await self.store.finish_alert_round(
                stored.round_key, self.clock.now()
            )
            if finished:
                done.finished_alerts.append(stored.round_key)

    def alert_spec(self, change: Change, audience: Audience) -> RoundSpec[DeliveryContext]:
        """The alert round of one change: its audience, each chat once."""
        store = self.store

        async def due(
            after: int | None, limit: int, stale_before: datetime, max_claims: int
        ) -> list[DueChat]:
            return await store.due_alert_chats(
                change.round_key,
                platforms=audience.platforms,
                regions=audience.regions,
                after_chat_id=after,
                limit=limit,
                stale_before=stale_before,
                max_claims=max_claims,
            )

        def compose(context: DeliveryContext, now: datetime) -> OutgoingMessage | Skip:
            kb = self.knowledge()
            settings = context.settings
            language = recipient_language(settings, self.default_language)
            text = alert_text(change, kb, settings.region, language)
            if text is None:
                return Skip("entry_gone")
            return OutgoingMessage(text, alert_buttons(change, kb, language))

        return RoundSpec(
            change.round_key,
            ROUND_LEAD,
            change.round_key,
            due,
            store.delivery_contexts,
            compose,
            quiet=self.quiet,
        )

    async def _deliver(self, spec: RoundSpec[DeliveryContext]) -> RoundReport:
        report = await deliver(
            self.store, self.sender, spec, self.clock, self.limiter, policy=self.policy
        )
        self.reports.append(report)
        log.info(
            "checkup round %s done: sent=%d skipped=%d quiet=%d deactivated=%d failed=%d in %.1f s",
            spec.name,
            report.sent,
            report.skipped,
            report.quiet,
            report.deactivated,
            report.failed,
            report.duration,
        )
        return report
