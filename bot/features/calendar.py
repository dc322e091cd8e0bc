"""/calendar: the chat's dated events and its re-check as an .ics file to import.

The file is built by `bot.checkup.calendar` (the icalendar library): the deadlines and
effective dates for the chat's region (and its apps, once it chose some), and the recurring
re-check when nudges are on, with the events' texts and the caption in the chat's language.
`python -m bot calendar` writes the same for a region.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.checkup import texts
from bot.checkup.calendar import Recheck, build_calendar, dated_deadlines
from bot.checkup.checklist import ordered_platforms
from bot.clock import Clock
from bot.core.commands import Router
from bot.core.context import ChatContext, LiveKnowledge
from bot.i18n.catalog import N_
from bot.replies import Document, Reply
from bot.store.repository import Store

ICS_MIME = "text/calendar"


@dataclass
class Calendar:
    store: Store
    clock: Clock
    knowledge: LiveKnowledge
    default_timezone: str = "Europe/Brussels"

    def routes(self) -> Router:
        return Router().command(
            "calendar", self.calendar, N_("Key dates and your re-checks as a calendar file")
        )

    async def calendar(self, args: str, ctx: ChatContext) -> list[Reply]:
        kb = self.knowledge.kb
        platforms: tuple[str, ...] | None = None
        recheck: Recheck | None = None
        if ctx.chat_id is not None:
            used = set(await self.store.get_platforms(ctx.chat_id))
            platforms = tuple(p.id for p in ordered_platforms(kb) if p.id in used) or None
            nudge = await self.store.get_nudge(ctx.chat_id)
            if nudge is not None and nudge.active:
                recheck = Recheck(
                    nudge.next_due_at,
                    nudge.period_days,
                    ctx.timezone or self.default_timezone,
                    tuple(kb.platforms[p].name for p in platforms or ()),
                )
        content = build_calendar(
            kb,
            region=ctx.region,
            now=self.clock.now(),
            platforms=platforms,
            recheck=recheck,
            language=ctx.language,
        )
        events = len(dated_deadlines(kb, ctx.region, platforms))
        caption = texts.calendar_caption(
            ctx.region, events, recheck.period_days if recheck else None, ctx.language
        )
        return [Reply(caption, document=Document(texts.CALENDAR_FILE, content, ICS_MIME))]
