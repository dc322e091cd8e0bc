"""What one delivery round sends: its round key, who is due, what each chat gets, and when not.

`delivery.deliver` runs every round the same way (claim -> compose -> send -> record, with
the claims and leases of `bot.store.deliveries`); what differs between a countdown reminder,
a re-check nudge and a change alert is only what a `RoundSpec` holds:

- `key` and `lead_seconds`: the delivery rows' key, so each chat gets the round once (a
  deadline id and a lead time for reminders; `nudge:...`/`alert:...` and 0 otherwise);
- `due_chats`: keyset pages of the chats still due (ascending chat ids);
- `contexts` and `compose`: what a chat's message needs, read a chunk at a time, and the
  message itself (None, or `Skip`, when there is nothing to send it);
- `quiet`: chats that must not get it right now (the night in their time zone): they are not
  claimed, stay due and are picked up by a later pass;
- `stop_at`: nothing is sent from then on (a reminder's deadline).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from bot.reminders.outgoing import ComposeResult
from bot.reminders.plan import Round
from bot.store.repository import DeliveryContext, DueChat, Store

__all__ = ["Due", "DueChats", "RoundSpec", "Skip", "chat_id_of", "reminder_spec"]

C = TypeVar("C")

Due = int | DueChat  # a due chat id, or one with its time zone (for the quiet check)
DueChats = Callable[[int | None, int, datetime, int], Awaitable[Sequence[Due]]]
"""due_chats(after_chat_id, limit, stale_before, max_claims) -> the next page, ascending."""


@dataclass(frozen=True, slots=True)
class Skip:
    """Nothing to send this chat in this round; recorded as skipped, with `reason`."""

    reason: str | None = None


SpecResult = ComposeResult | Skip


@dataclass(frozen=True, slots=True)
class RoundSpec(Generic[C]):
    key: str  # deliveries.deadline_id: a deadline id, or a nudge/alert round key
    lead_seconds: int
    name: str  # for the log
    due_chats: DueChats
    contexts: Callable[[list[int]], Awaitable[Mapping[int, C]]]
    compose: Callable[[C, datetime], SpecResult | Awaitable[SpecResult]]
    quiet: Callable[[DueChat, datetime], bool] | None = None  # True: not now for this chat
    stop_at: datetime | None = None  # nothing is sent at or after this moment
    due_at: datetime | None = None  # when the round was due (for the log)

    def is_late(self, now: datetime) -> bool:
        return self.due_at is not None and now > self.due_at


def chat_id_of(due: Due) -> int:
    return due if isinstance(due, int) else due.chat_id


ReminderCompose = Callable[[DeliveryContext, Round], ComposeResult | Awaitable[ComposeResult]]


def reminder_spec(
    store: Store, round: Round, compose: ReminderCompose
) -> RoundSpec[DeliveryContext]:
    """A countdown reminder round: subscribers with its lead time in the deadline's regions,
    until the deadline; a chat that unsubscribed after it was listed is skipped."""
    deadline = round.deadline
    if deadline.at is None or deadline.at.tzinfo is None:
        raise ValueError("deadline.at must be timezone-aware")

    async def due(
        after: int | None, limit: int, stale_before: datetime, max_claims: int
    ) -> list[int]:
        return await store.due_chats(
            deadline.id,
            round.lead_seconds,
            deadline.regions,
            after_chat_id=after,
            limit=limit,
            stale_before=stale_before,
            max_claims=max_claims,
        )

    def compose_for(
        context: DeliveryContext, now: datetime
    ) -> SpecResult | Awaitable[ComposeResult]:
        if context.subscription is None or not context.subscription.active:
            return Skip("unsubscribed")
        return compose(context, round)

    return RoundSpec(
        deadline.id,
        round.lead_seconds,
        round.job_id,
        due,
        store.delivery_contexts,
        compose_for,
        stop_at=deadline.at,
        due_at=round.due_at,
    )
