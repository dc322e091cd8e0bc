"""The checkup's steps that read or write the store: what start-up, `/reload`, `/remind every`,
the nudge loop and `alerts --dry-run` call. Thin: the rules are in the pure modules beside.

Sending is not here: nudge and alert rounds go through the reminders' delivery loop
(claim -> compose -> send -> record) under their round keys; see docs/checkup.md.
"""

from __future__ import annotations

from datetime import datetime

from bot.checkup.alerts import (
    Change,
    DryRunLine,
    audience_for,
    detect_changes,
    snapshot_of,
)
from bot.checkup.nudges import DEFAULT_QUIET, QuietWindow, next_nudge_at
from bot.knowledge.model import KnowledgeBase
from bot.store.checkup import Nudge
from bot.store.repository import Store

__all__ = ["advance_finished_nudges", "alerts_dry_run", "record_kb", "start_nudges"]


async def record_kb(store: Store, kb: KnowledgeBase, now: datetime) -> list[Change]:
    """At start-up and after `/reload`: store the `changed:` snapshot and the alerts it calls
    for (one transaction). Returns the changes newly planned; their rounds are then in
    `store.alert_rounds()` until the delivery loop finishes them."""
    previous = await store.kb_snapshot()
    changes = detect_changes(previous, kb)
    stored = set(await store.save_kb_changes(snapshot_of(kb), changes, now))
    return [change for change in changes if change.round_key in stored]


async def alerts_dry_run(store: Store, kb: KnowledgeBase) -> list[DryRunLine]:
    """Who would get what, without writing: changes not yet recorded, then open rounds.

    Counts only chats that have not had that alert; never which chats.
    """
    pending = detect_changes(await store.kb_snapshot(), kb)
    seen = {change.round_key for change in pending}
    for stored in await store.alert_rounds():
        if stored.round_key not in seen:
            seen.add(stored.round_key)
            pending.append(Change(stored.kind, stored.entry_id, stored.changed, stored.is_new))
    lines = []
    for change in pending:
        audience = audience_for(change, kb)
        count = (
            0
            if audience is None
            else await store.count_alert_audience(
                platforms=audience.platforms,
                regions=audience.regions,
                round_key=change.round_key,
            )
        )
        lines.append(DryRunLine(change, count))
    return lines


async def start_nudges(
    store: Store,
    chat_id: int,
    period_days: int,
    now: datetime,
    *,
    default_timezone: str,
    quiet: QuietWindow = DEFAULT_QUIET,
) -> Nudge:
    """`/remind every N`: the next nudge `period_days` after the last one (or from now)."""
    settings = await store.get_settings(chat_id)
    existing = await store.get_nudge(chat_id)
    since = (existing.last_sent_at if existing else None) or now
    due = next_nudge_at(
        period_days, since=since, timezone=settings.timezone or default_timezone, quiet=quiet
    )
    return await store.set_nudge(chat_id, period_days, due)


async def advance_finished_nudges(
    store: Store,
    now: datetime,
    *,
    default_timezone: str,
    quiet: QuietWindow = DEFAULT_QUIET,
) -> int:
    """Move every nudge whose round is closed to its next due time; how many moved.

    Call after each nudge round and at start-up (a stop between recording a result and
    advancing leaves such nudges behind; the closed delivery keeps them from being sent
    again meanwhile). The next one counts from when the round closed the chat's delivery.
    """
    moved = 0
    while finished := await store.finished_nudges(now):
        progress = 0
        for item in finished:
            since = item.finished_at or now
            due = next_nudge_at(
                item.period_days,
                since=since,
                timezone=item.timezone or default_timezone,
                quiet=quiet,
            )
            sent_at = since if item.status == "sent" else None
            if await store.advance_nudge(item.chat_id, item.round_key, due, sent_at=sent_at):
                progress += 1
        moved += progress
        if progress == 0:
            break  # another process is advancing the same rows
    return moved
