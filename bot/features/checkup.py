"""The privacy checkup as a chat uses it: /checkup, /status, and re-check nudges (/remind every).

/checkup asks for the region if the chat has none, then "Which of these do you use?" as a
toggle per app (Meta's first) with Done, then the personal checklist: per app the one action
for the chat's region, its steps, and Done / Later / Not for me. Every step edits the message
it was tapped on, and every choice is stored at once, so the flow survives a restart and
reads the same in the console (numbered buttons). Every message and button is in the chat's
language (`ctx.language`). The rules are in `bot.checkup`; the words in `bot.checkup.texts`,
the buttons in `bot.checkup.buttons`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.checkup import buttons, texts
from bot.checkup.checklist import checklist_items, ordered_platforms, progress
from bot.checkup.nudges import (
    DEFAULT_PERIOD_DAYS,
    DEFAULT_QUIET,
    PeriodError,
    QuietWindow,
    parse_period,
)
from bot.checkup.service import start_nudges
from bot.clock import Clock
from bot.core.commands import Router
from bot.core.context import ChatContext, LiveKnowledge
from bot.core.responder import stale
from bot.i18n.catalog import N_
from bot.knowledge.model import REGIONS
from bot.render.html import escape
from bot.replies import Reply
from bot.store.repository import CHECK_STATES, Store

StatusFallback = Callable[[str, ChatContext], Awaitable[list[Reply]]]


@dataclass
class Checkup:
    store: Store
    clock: Clock
    knowledge: LiveKnowledge
    default_timezone: str = "Europe/Brussels"
    quiet: QuietWindow = DEFAULT_QUIET
    # /status for a chat that has not chosen apps: the checklist of the deadlines' apps.
    status_fallback: StatusFallback | None = None

    def routes(self) -> Router:
        return (
            Router()
            .command("checkup", self.checkup, N_("Your AI-privacy checkup: the apps you use"))
            .command("status", self.status, N_("Your checklist, app by app, and your progress"))
            .button("k", self.checkup_button)
            .button("u", self.use_button)
            .button("y", self.tick_button)
        )

    # -- /checkup -----------------------------------------------------------------------

    async def checkup(self, args: str, ctx: ChatContext) -> list[Reply]:
        return [await self._start(ctx, edit=False)]

    async def _start(self, ctx: ChatContext, *, edit: bool) -> Reply:
        if ctx.chat_id is None:
            return Reply(texts.tr(texts.NO_CHAT, ctx.language))
        if ctx.region is None:
            return Reply(
                texts.tr(texts.ASK_REGION, ctx.language),
                buttons.region_buttons(ctx.language),
                edit=edit,
            )
        return await self._picker(ctx, edit=edit)

    async def _chosen(self, chat_id: int) -> list[str]:
        """The apps the chat uses that the knowledge base knows, in the picker's order."""
        used = set(await self.store.get_platforms(chat_id))
        return [p.id for p in ordered_platforms(self.knowledge.kb) if p.id in used]

    async def _picker(self, ctx: ChatContext, *, edit: bool, note: str | None = None) -> Reply:
        assert ctx.chat_id is not None
        kb = self.knowledge.kb
        chosen = await self._chosen(ctx.chat_id)
        names = [kb.platforms[p].name for p in chosen]
        return Reply(
            texts.picker_text(names, note, ctx.language),
            buttons.picker_buttons(kb, chosen, ctx.language),
            edit=edit,
        )

    async def checkup_button(self, arg: str, ctx: ChatContext) -> list[Reply]:
        if ctx.chat_id is None:
            return [Reply(texts.tr(texts.NO_CHAT, ctx.language))]
        what, _, value = arg.partition(":")
        if what == "":
            return [await self._start(ctx, edit=True)]
        if what == buttons.REGION and value in REGIONS:
            await self.store.set_region(ctx.chat_id, value)
            ctx.region = value
            return [await self._picker(ctx, edit=True)]
        if what == buttons.FINISH:
            if not await self._chosen(ctx.chat_id):
                note = texts.tr(texts.NOTHING_CHOSEN, ctx.language)
                return [await self._picker(ctx, edit=True, note=note)]
            return [await self._checklist(ctx, edit=True)]
        if what == buttons.LIST:
            return [await self._checklist(ctx, edit=False)]
        return [stale(ctx.language)]

    async def use_button(self, arg: str, ctx: ChatContext) -> list[Reply]:
        platform = self.knowledge.kb.platforms.get(arg)
        if platform is None or ctx.chat_id is None:
            return [stale(ctx.language)]
        chosen = await self.store.toggle_platform(ctx.chat_id, platform.id)
        reply = await self._picker(ctx, edit=True)
        return [
            Reply(
                reply.text,
                reply.buttons,
                edit=True,
                toast=texts.toggle_label(platform.name, chosen),
            )
        ]

    # -- the checklist and /status -------------------------------------------------------

    async def _checklist(self, ctx: ChatContext, *, edit: bool) -> Reply:
        assert ctx.chat_id is not None
        data = await self.store.checkup_context(ctx.chat_id)
        items = checklist_items(self.knowledge.kb, data.platforms, data.checklist, ctx.region)
        return Reply(
            texts.checklist_text(items, progress(items), ctx.language),
            buttons.checklist_buttons(items, ctx.language),
            edit=edit,
        )

    async def tick_button(self, arg: str, ctx: ChatContext) -> list[Reply]:
        platform_id, _, state = arg.partition(":")
        platform = self.knowledge.kb.platforms.get(platform_id)
        if platform is None or state not in CHECK_STATES or ctx.chat_id is None:
            return [stale(ctx.language)]
        await self.store.set_check(ctx.chat_id, platform.id, state)
        reply = await self._checklist(ctx, edit=True)
        return [
            Reply(
                reply.text,
                reply.buttons,
                edit=True,
                toast=texts.tick_toast(platform.name, state, ctx.language),
            )
        ]

    async def status(self, args: str, ctx: ChatContext) -> list[Reply]:
        """The checklist of the apps the chat uses with its progress ("1 of 3 done"); without
        chosen apps, the checklist of the deadlines' apps and a pointer to /checkup."""
        if ctx.chat_id is not None and await self._chosen(ctx.chat_id):
            return [await self._checklist(ctx, edit=False)]
        if self.status_fallback is None:
            return [Reply(texts.checklist_text([], progress([]), ctx.language))]
        replies = await self.status_fallback(args, ctx)
        if ctx.chat_id is None or not replies:
            return replies
        first = replies[0]
        hint = texts.no_apps_status_hint(ctx.language)
        return [Reply(first.text + hint, first.buttons), *replies[1:]]

    # -- /remind every ---------------------------------------------------------------------

    async def remind_every(self, args: str, ctx: ChatContext) -> list[Reply]:
        """`/remind every [N]`: re-check nudges every N days (default 90)."""
        if ctx.chat_id is None:
            return [Reply(texts.tr(texts.NO_REMINDER_CHAT, ctx.language))]
        wanted = args.strip()
        try:
            period = DEFAULT_PERIOD_DAYS if wanted.lower() == "every" else parse_period(wanted[:40])
        except PeriodError as exc:
            reason = escape(texts.period_error(exc, ctx.language))
            return [Reply(texts.bad_period(reason, ctx.language))]
        nudge = await start_nudges(
            self.store,
            ctx.chat_id,
            period,
            self.clock.now(),
            default_timezone=self.default_timezone,
            quiet=self.quiet,
        )
        kb = self.knowledge.kb
        apps = [kb.platforms[p].name for p in await self._chosen(ctx.chat_id)]
        when = self._local(nudge.next_due_at, ctx)
        return [Reply(texts.nudges_on_text(period, when, apps, ctx.language))]

    async def nudge_status(self, ctx: ChatContext) -> str | None:
        """One line for /remind list: the chat's re-check nudges, if on."""
        if ctx.chat_id is None:
            return None
        nudge = await self.store.get_nudge(ctx.chat_id)
        if nudge is None or not nudge.active:
            return None
        when = self._local(nudge.next_due_at, ctx)
        return texts.nudge_status_line(nudge.period_days, when, ctx.language)

    def _local(self, moment: datetime, ctx: ChatContext) -> str:
        return texts.local_moment(moment, ctx.timezone or self.default_timezone, ctx.language)
