"""Store reads and writes that only tests need, so the bot's `Store` does not carry them.

`StoreForTests` is the `Store` every storage fixture hands out (tests/support/store_fixtures.py):
the bot's own methods, plus a few helpers that look at or set up rows directly. The helpers
use the table definitions, not the store's statements, so that they check the store rather
than repeat it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, func, or_, select

from bot.store.repository import (
    DeliveryResult,
    Outcome,
    Store,
    chats,
    checklist,
    deliveries,
    subscription_leads,
    subscriptions,
)


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One row of `deliveries`, as a test inspects it."""

    chat_id: int
    deadline_id: str
    lead_seconds: int
    status: str
    claimed_at: datetime
    claims: int
    attempts: int
    claimed_by: str | None
    finished_at: datetime | None
    error: str | None


class StoreForTests(Store):
    """`Store` with helpers for tests (not named Test* so that pytest does not collect it)."""

    async def get_delivery(
        self, chat_id: int, deadline_id: str, lead_seconds: int
    ) -> DeliveryRecord | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(deliveries).where(
                        deliveries.c.chat_id == chat_id,
                        deliveries.c.deadline_id == deadline_id,
                        deliveries.c.lead_seconds == lead_seconds,
                    )
                )
            ).first()
        return None if row is None else DeliveryRecord(**row._mapping)

    async def clear_check(self, chat_id: int, platform: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(checklist).where(
                    checklist.c.chat_id == chat_id, checklist.c.platform == platform
                )
            )
        return result.rowcount > 0

    async def count_subscribers(self, lead_seconds: int, regions: list[str]) -> int:
        """One lead time's audience, counted on its own (to check `count_subscribers_by_lead`)."""
        stmt = (
            select(func.count())
            .select_from(
                subscription_leads.join(
                    subscriptions, subscriptions.c.chat_id == subscription_leads.c.chat_id
                ).join(chats, chats.c.chat_id == subscription_leads.c.chat_id)
            )
            .where(
                subscription_leads.c.lead_seconds == lead_seconds,
                subscriptions.c.active,
                or_(chats.c.region.is_(None), chats.c.region.in_(regions)),
            )
        )
        async with self.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def claim_delivery(
        self, chat_id: int, deadline_id: str, lead_seconds: int, **options: Any
    ) -> bool:
        """`claim_deliveries` for one chat: whether we won it."""
        return bool(await self.claim_deliveries([chat_id], deadline_id, lead_seconds, **options))

    async def record_delivery_result(
        self,
        chat_id: int,
        deadline_id: str,
        lead_seconds: int,
        outcome: Outcome | str,
        *,
        owner: str | None = None,
        attempts: int = 1,
        error: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """`record_delivery_results` for one claim: whether it was recorded.

        `outcome` is passed on unchecked, so that a bad one is refused by the store itself.
        """
        result = DeliveryResult(
            chat_id, deadline_id, lead_seconds, cast(Outcome, outcome), attempts, error
        )
        return (await self.record_delivery_results([result], owner=owner, now=now))[0]
