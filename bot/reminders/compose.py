"""The text of one reminder: only what is still left, the next step, and the buttons.

"Left" means the deadline's apps that the chat has neither ticked off (done, not for me)
nor left out of the apps it uses (`/checkup`); a chat that has not chosen apps is reminded
of all of them.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import callbacks
from bot.core.checklist import FINISHED, checklist_row
from bot.knowledge.model import KnowledgeBase
from bot.reminders.plan import Round
from bot.render.timefmt import relative
from bot.replies import Button, Reply
from bot.store.repository import ChatSettings


def compose_reminder(
    kb: KnowledgeBase,
    settings: ChatSettings,
    checklist: dict[str, str],
    round: Round,
    now: datetime,
    default_timezone: str,
    used: Collection[str] = (),
) -> Reply | None:
    """None when every app of the deadline is done, not for this user, or not one it uses
    (`used`: the apps it chose; empty when it chose none): nothing to remind."""
    deadline = round.deadline
    left = [
        kb.platforms[p]
        for p in deadline.platforms
        if p in kb.platforms and checklist.get(p) not in FINISHED and (not used or p in used)
    ]
    if not left:
        return None
    tz = ZoneInfo(settings.timezone or default_timezone)
    when = deadline.at.astimezone(tz)
    lines = [
        f"⏰ <b>Reminder:</b> {deadline.title}: {when:%a %d %b %Y, %H:%M} "
        f"({relative(deadline.at, now)}).",
    ]
    if round.is_late(now):
        lines.append("<i>(This reminder is late: I was offline when it was due.)</i>")
    lines.append(deadline.before)
    lines.append("Still to do: " + ", ".join(p.name for p in left) + ".")
    first = left[0]
    route = first.route_for(settings.region)
    if route is not None and route[1].steps:
        step = route[1].steps[0]
        link = (
            f'\n🔗 <a href="{route[1].form_url}">Form for {first.name}</a>'
            if route[1].form_url
            else ""
        )
        lines.append(f"Next step for {first.name}: {step}{link}")
    buttons = (
        checklist_row(first.id),
        (Button(f"All steps for {first.name}", callbacks.encode("p", first.id)),),
    )
    return Reply("\n\n".join(lines), buttons)


class ComposeCache:
    """`compose_reminder`, remembered for chats that would get the very same message.

    A round of 100,000 reminders holds only a handful of distinct texts (region x time zone
    x what is left x the wording of "in 3 days"), and at 1,000 messages per second
    composing each one afresh is CPU the round runs short of. The key holds everything the
    text depends on, including the relative-time wording at `now`, so an entry never goes
    stale; a new knowledge base (after /reload) starts an empty cache.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._kb: KnowledgeBase | None = None
        self._entries: dict[tuple[object, ...], Reply | None] = {}

    def __call__(
        self,
        kb: KnowledgeBase,
        settings: ChatSettings,
        checklist: dict[str, str],
        round: Round,
        now: datetime,
        default_timezone: str,
        used: Collection[str] = (),
    ) -> Reply | None:
        if kb is not self._kb:
            self._kb = kb
            self._entries.clear()
        deadline = round.deadline
        key = (
            round,
            settings.language,
            settings.region,
            settings.timezone or default_timezone,
            tuple(checklist.get(p) for p in deadline.platforms),
            tuple(p in used for p in deadline.platforms) if used else None,
            round.is_late(now),
            relative(deadline.at, now),
        )
        try:
            return self._entries[key]
        except KeyError:
            reply = compose_reminder(kb, settings, checklist, round, now, default_timezone, used)
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # a new minute's wording: the old keys are done with
            self._entries[key] = reply
            return reply
