"""Alerts when an entry changes: which changes, who gets each, and a dry-run summary. Pure.

Platforms and deadlines in `faq/` may carry `changed: YYYY-MM-DD` and a one-line `change:`
note for users. At start-up and on `/reload` the bot compares each entry's `changed:` date
with the one it saw last (a snapshot in the store, `kb_entries`):
- a newer date (or a first one) is a change of that entry;
- an entry the snapshot does not know is new (but an empty snapshot, the very first start,
  only records what is there: nothing is new to a bot that never saw anything);
- an older date, or none where there was one, is recorded without an alert.
Who gets an alert (`Audience`): subscribed chats (reminders or nudges on) that use the
platform that changed and have not marked it "not for me"; for a changed deadline, those
using one of its platforms in its regions; for a new platform or deadline, every subscribed
chat in the regions it applies to. A chat without a region counts as in every region.

The knowledge model keeps `changed:`/`change:` as `entry.change` (`Change(on, text)`); they
are read with `getattr`, so this also works with entries that carry `changed` and `change`
as separate attributes, with a `change` text per language, and with none (no change then).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.checkup.regions import expand_regions, region_applies
from bot.knowledge.model import DEFAULT_LANGUAGE, KnowledgeBase
from bot.store.rounds import alert_round_key
from bot.store.schema import NOT_FOR_ME

__all__ = [
    "Audience",
    "Change",
    "DryRunLine",
    "EntryKey",
    "audience_for",
    "change_note",
    "changed_on",
    "detect_changes",
    "dry_run_summary",
    "snapshot_of",
]

EntryKey = tuple[str, str]  # ("platform" | "deadline", entry id)


def changed_on(entry: Any) -> date | None:
    """The entry's `changed:` date, if the entry has one."""
    value = getattr(entry, "changed", None)
    if not isinstance(value, date):
        value = getattr(getattr(entry, "change", None), "on", None)
    return value if isinstance(value, date) else None


def change_note(entry: Any, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The entry's one-line `change:` note in `language` (English, if not translated)."""
    note = getattr(entry, "change", None)
    if hasattr(note, "text"):  # the knowledge model's Change(on, text)
        note = note.text
    if isinstance(note, Mapping):
        note = note.get(language) or note.get(DEFAULT_LANGUAGE)
    return note if isinstance(note, str) and note.strip() else None


def snapshot_of(kb: KnowledgeBase) -> dict[EntryKey, date | None]:
    """What the store keeps between starts: each platform's and deadline's `changed:` date."""
    snapshot: dict[EntryKey, date | None] = {}
    for platform in kb.platforms.values():
        snapshot["platform", platform.id] = changed_on(platform)
    for deadline in kb.deadlines.values():
        snapshot["deadline", deadline.id] = changed_on(deadline)
    return snapshot


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # "platform" or "deadline"
    entry_id: str
    changed: date | None  # the new `changed:` date (None: a new entry without one)
    is_new: bool
    note: str | None = None  # the English `change:` note; composing picks the chat's language

    @property
    def round_key(self) -> str:
        """The delivery key: one alert per chat per change."""
        return alert_round_key(self.kind, self.entry_id, self.changed)

    @property
    def change_id(self) -> str:
        return self.round_key.removeprefix("alert:")


def detect_changes(previous: Mapping[EntryKey, date | None], kb: KnowledgeBase) -> list[Change]:
    """The changes between the snapshot the bot saw last and this knowledge base."""
    if not previous:
        return []
    changes = []
    entries: list[tuple[str, Any]] = [("platform", p) for p in kb.platforms.values()]
    entries += [("deadline", d) for d in kb.deadlines.values()]
    for kind, entry in entries:
        key = (kind, entry.id)
        now_changed = changed_on(entry)
        if key not in previous:
            changes.append(Change(kind, entry.id, now_changed, True, change_note(entry)))
            continue
        before = previous[key]
        if now_changed is not None and (before is None or now_changed > before):
            changes.append(Change(kind, entry.id, now_changed, False, change_note(entry)))
    return changes


@dataclass(frozen=True, slots=True)
class Audience:
    """Who gets an alert. `None` means "any"; see the module docstring.

    The store runs the same rule in SQL (`Store.due_alert_chats`); `includes` is the rule
    for one chat, to test and explain it.
    """

    platforms: tuple[str, ...] | None
    regions: tuple[str, ...] | None

    def includes(
        self,
        *,
        subscribed: bool,
        region: str | None,
        platforms_used: Iterable[str],
        checklist: Mapping[str, str],
    ) -> bool:
        if not subscribed:
            return False
        if self.regions is not None and not region_applies(self.regions, region):
            return False
        if self.platforms is None:
            return True
        return any(
            p in self.platforms and checklist.get(p) != NOT_FOR_ME for p in set(platforms_used)
        )


def audience_for(change: Change, kb: KnowledgeBase) -> Audience | None:
    """Who should get this change's alert; None if the entry is no longer in the knowledge base."""
    if change.kind == "platform":
        platform = kb.platforms.get(change.entry_id)
        if platform is None:
            return None
        if not change.is_new:
            return Audience((platform.id,), None)
        if "default" in platform.routes:
            return Audience(None, None)
        return Audience(None, expand_regions(platform.routes))
    deadline = kb.deadlines.get(change.entry_id)
    if deadline is None:
        return None
    regions = expand_regions(deadline.regions)
    if change.is_new or not deadline.platforms:
        return Audience(None, regions)
    return Audience(tuple(sorted(deadline.platforms)), regions)


@dataclass(frozen=True, slots=True)
class DryRunLine:
    change: Change
    chats: int  # how many chats would get it (never which)


def dry_run_summary(lines: Iterable[DryRunLine]) -> str:
    """`alerts --dry-run`: one line per change with its count of chats, and the total."""
    rows = list(lines)
    if not rows:
        return "No entry changed since the bot last looked: no alerts to send."
    out = []
    for row in rows:
        change = row.change
        what = "new" if change.is_new else f"changed {change.changed}"
        note = f" ({change.note})" if change.note else ""
        out.append(
            f"{change.kind} {change.entry_id}: {what}{note}: "
            f"{row.chats} chat{'' if row.chats == 1 else 's'}"
        )
    total = sum(row.chats for row in rows)
    out.append(f"{len(rows)} change{'' if len(rows) == 1 else 's'}, {total} alerts in all.")
    return "\n".join(out)
