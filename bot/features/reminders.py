"""Reminders as a chat sets them: /remind with its lead times, /remind list, /remind off, /stop.

`/remind every 90d` (re-check nudges) is the checkup's (`every`, bot/features/checkup.py);
`/remind off` stops countdowns, nudges and alerts alike.

Sending them is `bot.reminders`' job; this module only stores the subscription and tells
the scheduler when the lead times in use may have changed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.core.commands import Router
from bot.core.context import ChatContext, LiveKnowledge
from bot.knowledge.model import REGION_NAMES
from bot.reminders.plan import DEFAULT_LEAD_TIMES, format_lead, parse_lead_times, reminder_rounds
from bot.render.deadlines import upcoming
from bot.render.html import escape
from bot.render.timefmt import relative
from bot.replies import Reply
from bot.store.repository import Store

SHOWN_ROUNDS = 10  # coming reminders listed by /remind list
_UNIT_WORDS = {
    "week": "w",
    "weeks": "w",
    "day": "d",
    "days": "d",
    "hour": "h",
    "hours": "h",
    "hr": "h",
    "hrs": "h",
    "minute": "m",
    "minutes": "m",
    "min": "m",
    "mins": "m",
}
_UNIT_SIZE = {"w": 4, "d": 3, "h": 2, "m": 1}
_SPELLED = re.compile(
    r"(?<![\w\-−])([\-−]?[0-9]+)\s*("
    + "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE | re.ASCII,
)
_AND = re.compile(r"\band\b", re.IGNORECASE)


def compact_lead_times(text: str) -> str:
    """'3 days, 1 day' -> '3d, 1d'; '2 hours 30 min' -> '2h30m': the form /remind reads.

    Spelled-out units in a row from larger to smaller are one lead time, as /remind list
    writes them ("1 day 12 hours"); a comma, or a unit that is not smaller, starts the next.
    Anything else is left as typed, so the error for it quotes what the user wrote.
    """
    out: list[str] = []
    last_size = 0  # size of the last unit of the lead time being built; 0: none
    pos = 0
    for match in _SPELLED.finditer(text):
        between = text[pos : match.start()]
        unit = _UNIT_WORDS[match.group(2).lower()]
        token = f"{match.group(1)}{unit}"
        if last_size and not _AND.sub("", between).strip() and _UNIT_SIZE[unit] < last_size:
            out[-1] += token
        else:
            out.extend((_AND.sub(" ", between), token))
        last_size = _UNIT_SIZE[unit]
        pos = match.end()
    out.append(text[pos:])
    return " ".join(part for part in out if part.strip())


@dataclass
class Reminders:
    store: Store
    clock: Clock
    knowledge: LiveKnowledge
    default_timezone: str = "Europe/Brussels"
    default_leads: tuple[int, ...] = DEFAULT_LEAD_TIMES
    # Called after a subscription changes, so the scheduler can add rounds for new lead times.
    on_subscription_change: Callable[[], Awaitable[object]] | None = None
    # `/remind every [N]`, and the line /remind list shows for it (re-check nudges).
    every: Callable[[str, ChatContext], Awaitable[list[Reply]]] | None = None
    every_status: Callable[[ChatContext], Awaitable[str | None]] | None = None

    def routes(self) -> Router:
        return (
            Router()
            .command(
                "remind",
                self.remind,
                "Reminders: /remind 3d 1d before deadlines, /remind every 90d, /remind off",
            )
            .command("stop", self.stop)
        )

    async def remind(self, args: str, ctx: ChatContext) -> list[Reply]:
        if ctx.chat_id is None:
            return [Reply("Reminders need a chat to send them to.")]
        word = args.strip().lower()
        if word in ("off", "stop", "cancel", "unsubscribe"):
            return await self.stop("", ctx)
        if word in ("list", "status", "show"):
            return [await self.remind_list(ctx)]
        if self.every is not None and word.split(" ", 1)[0] == "every":
            return await self.every(args, ctx)
        current = await self.store.get_subscription(ctx.chat_id)
        if word:
            try:
                leads = parse_lead_times(compact_lead_times(args))
            except ValueError as exc:
                return [
                    Reply(
                        f"That didn't work: {escape(str(exc))}.\n\nExamples: "
                        "<code>/remind</code>, <code>/remind 3d 1d 2h</code>, "
                        "<code>/remind 2 hours 30 min</code>, "
                        "<code>/remind list</code>, <code>/remind off</code>."
                    )
                ]
        elif current and current.active:
            leads = current.lead_times
        else:
            leads = self.default_leads
        await self.store.subscribe(ctx.chat_id, leads)
        if self.on_subscription_change:
            await self.on_subscription_change()
        return [await self.remind_list(ctx, subscribed_now=True)]

    async def remind_list(self, ctx: ChatContext, subscribed_now: bool = False) -> Reply:
        assert ctx.chat_id is not None
        sub = await self.store.get_subscription(ctx.chat_id)
        nudges = await self.every_status(ctx) if self.every_status is not None else None
        if sub is None or not sub.active:
            if nudges:
                return Reply(f"{nudges}\n\nNo reminders before deadlines: send /remind for them.")
            return Reply(
                "You have no reminders. Send /remind to get one before each deadline "
                "that applies to you."
            )
        now = self.clock.now()
        tz = ZoneInfo(ctx.timezone or self.default_timezone)
        leads = ", ".join(format_lead(s) for s in sub.lead_times)
        head = "✅ Reminders are on" if subscribed_now else "Your reminders"
        lines = [f"<b>{head}</b>: {leads} before each deadline."]
        rounds = [
            r
            for r in reminder_rounds(
                upcoming(self.knowledge.kb, ctx.region, now), sub.lead_times, now
            )
            if r.due_at > now
        ]
        if not rounds:
            lines.append(
                "Right now no deadline is coming up for "
                f"{REGION_NAMES.get(ctx.region or '', 'any region')}. An objection still counts "
                "from the day you send it, so there is no reason to wait: /optout.\n\n"
                "I keep your subscription and will remind you if a new deadline is announced."
            )
        else:
            lines.append("Coming up (your time zone):")
            for r in rounds[:SHOWN_ROUNDS]:
                when = r.due_at.astimezone(tz)
                lines.append(
                    f"• {when:%a %d %b %Y, %H:%M} ({relative(r.due_at, now)}): "
                    f"{format_lead(r.lead_seconds)} before “{r.deadline.title}”, with the apps "
                    "you have not ticked off yet and the next step for each."
                )
        if nudges:
            lines.append(nudges)
        lines.append("\nChange: <code>/remind 3d 1d 2h</code> · stop: <code>/remind off</code>")
        return Reply("\n".join(lines))

    async def stop(self, args: str, ctx: ChatContext) -> list[Reply]:
        if ctx.chat_id is None:
            return [Reply("There is nothing to stop here.")]
        had = await self.store.unsubscribe(ctx.chat_id)
        text = (
            "Reminders are off: no countdowns, re-check nudges or alerts any more. "
            "Send /remind to turn them on again."
            if had
            else "You had no reminders. Send /remind to get one before each deadline."
        )
        return [Reply(text)]
