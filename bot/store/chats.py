"""What a chat chose: settings, reminder subscription and checklist; and `/forget`.

The checkup's per-chat rows (apps used, nudges) are in checkup.py; `forget` and
`migrate_chat` here cover them too, through `CHAT_TABLES`.

`ChatQueries` is one part of `Store` (see repository.py); every method is one short
transaction on the store's `Database`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.knowledge.model import LANGUAGES, REGIONS
from bot.store.db import Database
from bot.store.schema import (
    CHAT_TABLES,
    CHECK_STATES,
    chat_platforms,
    chats,
    checklist,
    deliveries,
    nudges,
    subscription_leads,
    subscriptions,
)

__all__ = [
    "MAX_LEAD_TIMES",
    "ChatQueries",
    "ChatSettings",
    "DeliveryContext",
    "Subscription",
    "check_short",
]

MAX_LEAD_TIMES = 10  # lead times per subscription (`/remind` accepts as many)
# `chats.language` of a chat that has not chosen one (the column is NOT NULL since v1).
NO_LANGUAGE = ""


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """Per-chat preferences. `None` means "not chosen": the language then comes from each
    message and Telegram's language_code, region and time zone from the defaults."""

    chat_id: int
    language: str | None = None
    region: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    chat_id: int
    active: bool
    lead_times: tuple[int, ...]  # seconds, largest first
    reason: str | None = None  # why it is inactive: "user", "blocked", "chat_not_found", ...


@dataclass(frozen=True, slots=True)
class DeliveryContext:
    """What composing one reminder, nudge or alert needs, read in one round trip."""

    settings: ChatSettings
    checklist: dict[str, str]
    subscription: Subscription | None
    platforms: tuple[str, ...] = ()  # the apps the chat uses (/checkup), sorted; () if none


def check_short(name: str, value: str, limit: int) -> str:
    if not value or len(value) > limit:
        raise ValueError(f"{name} must be 1-{limit} characters, got {value!r}")
    return value


def _check_region(region: str | None) -> str | None:
    if region is not None and region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)} or None, got {region!r}")
    return region


def _check_language(language: str | None) -> str:
    if language is not None and language not in LANGUAGES:
        raise ValueError(
            f"language must be one of {', '.join(LANGUAGES)} or None, got {language!r}"
        )
    return language or NO_LANGUAGE


def _settings(row: Any) -> ChatSettings:
    return ChatSettings(row.chat_id, row.language or None, row.region, row.timezone)


def _check_timezone(timezone: str | None) -> str | None:
    if timezone is None:
        return None
    try:
        if len(timezone) > 64:
            raise ValueError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"timezone must be an IANA time zone such as Europe/Berlin, got {timezone!r}"
        ) from None
    return timezone


def _check_lead_times(lead_times: Iterable[int]) -> tuple[int, ...]:
    leads = tuple(lead_times)
    if not leads:
        raise ValueError("a subscription needs at least one lead time")
    if len(leads) > MAX_LEAD_TIMES:
        raise ValueError(f"at most {MAX_LEAD_TIMES} lead times, got {len(leads)}")
    for lead in leads:
        if isinstance(lead, bool) or not isinstance(lead, int) or lead <= 0:
            raise ValueError(f"lead times are positive whole seconds, got {lead!r}")
    if len(set(leads)) != len(leads):
        raise ValueError(f"lead times must not repeat, got {leads}")
    return tuple(sorted(leads, reverse=True))


# `delivery_contexts` runs these for every chunk of a round, so they are built once; "ids"
# expands to an IN list at execution.
_IDS = bindparam("ids", expanding=True)
_CONTEXT_CHATS = select(chats).where(chats.c.chat_id.in_(_IDS))
_CONTEXT_CHECKLIST = (
    select(checklist)
    .where(checklist.c.chat_id.in_(_IDS))
    .order_by(checklist.c.chat_id, checklist.c.platform)
)
_CONTEXT_LEADS = (
    select(subscription_leads)
    .where(subscription_leads.c.chat_id.in_(_IDS))
    .order_by(subscription_leads.c.chat_id, subscription_leads.c.lead_seconds.desc())
)
_CONTEXT_SUBSCRIPTIONS = select(subscriptions).where(subscriptions.c.chat_id.in_(_IDS))
_CONTEXT_PLATFORMS = (
    select(chat_platforms)
    .where(chat_platforms.c.chat_id.in_(_IDS))
    .order_by(chat_platforms.c.chat_id, chat_platforms.c.platform)
)


class ChatQueries:
    """Settings, subscription, checklist and identity of chats."""

    _db: Database

    # -- settings -----------------------------------------------------------------------

    async def _ensure_chat(self, conn: AsyncConnection, chat_id: int) -> None:
        await conn.execute(
            self._db.insert(chats)
            .values(chat_id=chat_id, language=NO_LANGUAGE)
            .on_conflict_do_nothing(index_elements=[chats.c.chat_id])
        )

    async def _upsert_chat(self, chat_id: int, **values: Any) -> None:
        row = {"chat_id": chat_id, "language": NO_LANGUAGE, **values}
        stmt = self._db.insert(chats).values(**row)
        stmt = stmt.on_conflict_do_update(index_elements=[chats.c.chat_id], set_=values)
        async with self._db.write() as conn:
            await conn.execute(stmt)

    async def get_settings(self, chat_id: int) -> ChatSettings:
        """The chat's settings; defaults for a chat never seen (nothing is written)."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(
                        chats.c.chat_id, chats.c.language, chats.c.region, chats.c.timezone
                    ).where(chats.c.chat_id == chat_id)
                )
            ).first()
        return ChatSettings(chat_id) if row is None else _settings(row)

    async def set_language(self, chat_id: int, language: str | None) -> None:
        """The language the chat chose with /language; None forgets the choice."""
        await self._upsert_chat(chat_id, language=_check_language(language))

    async def set_region(self, chat_id: int, region: str | None) -> None:
        await self._upsert_chat(chat_id, region=_check_region(region))

    async def set_timezone(self, chat_id: int, timezone: str | None) -> None:
        await self._upsert_chat(chat_id, timezone=_check_timezone(timezone))

    # -- subscription -------------------------------------------------------------------

    async def subscribe(self, chat_id: int, lead_times: Sequence[int]) -> Subscription:
        """Switch reminders on with exactly these lead times (replacing any earlier ones)."""
        leads = _check_lead_times(lead_times)
        async with self._db.write() as conn:
            await self._ensure_chat(conn, chat_id)
            await conn.execute(
                self._db.insert(subscriptions)
                .values(chat_id=chat_id, active=True, reason=None)
                .on_conflict_do_update(
                    index_elements=[subscriptions.c.chat_id], set_={"active": True, "reason": None}
                )
            )
            await conn.execute(
                delete(subscription_leads).where(subscription_leads.c.chat_id == chat_id)
            )
            await conn.execute(
                subscription_leads.insert(),
                [{"chat_id": chat_id, "lead_seconds": lead} for lead in leads],
            )
            # A chat that comes back after being switched off (blocked) gets its nudges too.
            await conn.execute(
                update(nudges).where(nudges.c.chat_id == chat_id).values(active=True)
            )
        return Subscription(chat_id, True, leads, None)

    async def unsubscribe(self, chat_id: int) -> bool:
        """`/remind off`: delete the subscription, its lead times and the re-check nudge.

        Everything stops, countdowns, nudges and alerts alike (data minimisation). Delivery
        records stay until `forget`, so re-subscribing mid-round does not resend.
        Returns whether there was a subscription or a nudge.
        """
        async with self._db.write() as conn:
            await conn.execute(
                delete(subscription_leads).where(subscription_leads.c.chat_id == chat_id)
            )
            result = await conn.execute(
                delete(subscriptions).where(subscriptions.c.chat_id == chat_id)
            )
            nudge = await conn.execute(delete(nudges).where(nudges.c.chat_id == chat_id))
        return result.rowcount > 0 or nudge.rowcount > 0

    async def deactivate(self, chat_id: int, reason: str) -> bool:
        """Stop reminders for a chat Telegram says we cannot reach (blocked, not found).

        Keeps the lead times and the nudge period so the chat can be re-activated if the
        user comes back. Returns whether there was a subscription or a nudge to switch off.
        """
        check_short("reason", reason, 32)
        async with self._db.write() as conn:
            result = await conn.execute(
                update(subscriptions)
                .where(subscriptions.c.chat_id == chat_id)
                .values(active=False, reason=reason)
            )
            nudge = await conn.execute(
                update(nudges).where(nudges.c.chat_id == chat_id).values(active=False)
            )
        return result.rowcount > 0 or nudge.rowcount > 0

    async def get_subscription(self, chat_id: int) -> Subscription | None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(subscriptions.c.active, subscriptions.c.reason).where(
                        subscriptions.c.chat_id == chat_id
                    )
                )
            ).first()
            if row is None:
                return None
            leads = (
                await conn.execute(
                    select(subscription_leads.c.lead_seconds)
                    .where(subscription_leads.c.chat_id == chat_id)
                    .order_by(subscription_leads.c.lead_seconds.desc())
                )
            ).scalars()
            return Subscription(chat_id, bool(row.active), tuple(leads), row.reason)

    async def lead_times_in_use(self) -> tuple[int, ...]:
        """Distinct lead times of active subscriptions, largest first: the rounds to plan."""
        stmt = (
            select(subscription_leads.c.lead_seconds)
            .join(subscriptions, subscriptions.c.chat_id == subscription_leads.c.chat_id)
            .where(subscriptions.c.active)
            .distinct()
            .order_by(subscription_leads.c.lead_seconds.desc())
        )
        async with self._db.read() as conn:
            return tuple((await conn.execute(stmt)).scalars())

    async def count_subscribers_by_lead(self, regions: Sequence[str]) -> dict[int, int]:
        """How many chats each round would reach: {lead_seconds: chats}.

        Active subscribers whose region is unset or among `regions`, in one grouped scan
        (`reschedule` runs on every `/remind`, and with 100,000 subscribers each count is a
        join over the whole audience). Used to start long rounds early enough.
        """
        stmt = (
            select(subscription_leads.c.lead_seconds, func.count())
            .select_from(
                subscription_leads.join(
                    subscriptions, subscriptions.c.chat_id == subscription_leads.c.chat_id
                ).join(chats, chats.c.chat_id == subscription_leads.c.chat_id)
            )
            .where(
                subscriptions.c.active,
                or_(chats.c.region.is_(None), chats.c.region.in_(list(regions))),
            )
            .group_by(subscription_leads.c.lead_seconds)
        )
        async with self._db.read() as conn:
            return {int(lead): int(n) for lead, n in await conn.execute(stmt)}

    # -- checklist ----------------------------------------------------------------------

    async def set_check(self, chat_id: int, platform: str, state: str) -> None:
        if state not in CHECK_STATES:
            raise ValueError(
                f"checklist state must be one of {', '.join(CHECK_STATES)}, got {state!r}"
            )
        check_short("platform", platform, 64)
        async with self._db.write() as conn:
            await self._ensure_chat(conn, chat_id)
            await conn.execute(
                self._db.insert(checklist)
                .values(chat_id=chat_id, platform=platform, state=state)
                .on_conflict_do_update(
                    index_elements=[checklist.c.chat_id, checklist.c.platform],
                    set_={"state": state},
                )
            )

    async def get_checklist(self, chat_id: int) -> dict[str, str]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(checklist.c.platform, checklist.c.state)
                .where(checklist.c.chat_id == chat_id)
                .order_by(checklist.c.platform)
            )
            return {row.platform: row.state for row in rows}

    # -- what a reminder needs ----------------------------------------------------------

    async def delivery_context(self, chat_id: int) -> DeliveryContext:
        """Settings, checklist and subscription of a chat, in one connection."""
        return (await self.delivery_contexts([chat_id]))[chat_id]

    async def delivery_contexts(self, chat_ids: Sequence[int]) -> dict[int, DeliveryContext]:
        """`delivery_context` for several chats in five queries (one per table)."""
        ids = list(dict.fromkeys(chat_ids))
        if not ids:
            return {}
        async with self._db.read() as conn:
            params = {"ids": ids}
            settings = {
                row.chat_id: _settings(row) for row in await conn.execute(_CONTEXT_CHATS, params)
            }
            ticks: dict[int, dict[str, str]] = {chat_id: {} for chat_id in ids}
            for row in await conn.execute(_CONTEXT_CHECKLIST, params):
                ticks[row.chat_id][row.platform] = row.state
            leads: dict[int, list[int]] = {chat_id: [] for chat_id in ids}
            for row in await conn.execute(_CONTEXT_LEADS, params):
                leads[row.chat_id].append(row.lead_seconds)
            subs = {
                row.chat_id: Subscription(
                    row.chat_id, bool(row.active), tuple(leads[row.chat_id]), row.reason
                )
                for row in await conn.execute(_CONTEXT_SUBSCRIPTIONS, params)
            }
            used: dict[int, list[str]] = {chat_id: [] for chat_id in ids}
            for row in await conn.execute(_CONTEXT_PLATFORMS, params):
                used[row.chat_id].append(row.platform)
        return {
            chat_id: DeliveryContext(
                settings.get(chat_id, ChatSettings(chat_id)),
                ticks[chat_id],
                subs.get(chat_id),
                tuple(used[chat_id]),
            )
            for chat_id in ids
        }

    # -- privacy and chat identity ------------------------------------------------------

    async def forget(self, chat_id: int) -> None:
        """`/forget`: delete every row about this chat, pending deliveries included.

        Explicit deletes (children first) rather than trusting ON DELETE CASCADE, so it holds
        even on a SQLite connection opened without foreign keys.
        """
        async with self._db.write() as conn:
            for table in CHAT_TABLES:
                await conn.execute(delete(table).where(table.c.chat_id == chat_id))

    async def migrate_chat(self, old_id: int, new_id: int) -> bool:
        """A group became a supergroup: move everything from `old_id` to `new_id`.

        If the new id already has rows (the bot saw the supergroup first), the new id's
        settings, subscription, nudge, apps and ticks win; the old id's rows are moved only
        where they do not collide. Returns False if nothing was stored under `old_id`.
        """
        if old_id == new_id:
            return True
        async with self._db.write() as conn:
            old = (await conn.execute(select(chats).where(chats.c.chat_id == old_id))).first()
            if old is None:
                return False
            await conn.execute(
                self._db.insert(chats)
                .values(
                    chat_id=new_id, language=old.language, region=old.region, timezone=old.timezone
                )
                .on_conflict_do_nothing(index_elements=[chats.c.chat_id])
            )
            # One row per chat: the new id's wins, with what belongs to it.
            for tables in ((subscriptions, subscription_leads), (nudges,)):
                new_has = (
                    await conn.execute(select(exists().where(tables[0].c.chat_id == new_id)))
                ).scalar_one()
                if not new_has:
                    for table in tables:
                        await conn.execute(
                            update(table).where(table.c.chat_id == old_id).values(chat_id=new_id)
                        )
            # Rows per chat and key: the old id's move where the new id has none for that key.
            for table, keys in (
                (chat_platforms, ("platform",)),
                (checklist, ("platform",)),
                (deliveries, ("deadline_id", "lead_seconds")),
            ):
                other = table.alias("other")
                await conn.execute(
                    update(table)
                    .where(
                        table.c.chat_id == old_id,
                        ~exists().where(
                            other.c.chat_id == new_id, *(other.c[k] == table.c[k] for k in keys)
                        ),
                    )
                    .values(chat_id=new_id)
                )
            for table in CHAT_TABLES:
                await conn.execute(delete(table).where(table.c.chat_id == old_id))
        return True
