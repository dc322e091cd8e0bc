"""The opt-out checklist: /status, and the tick buttons under an app's steps.

Reminders read the same ticks, so they mention only the apps that are still open.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import callbacks
from bot.clock import Clock
from bot.core.checklist import FINISHED, STATES, checklist_row, state_label
from bot.core.commands import Router
from bot.core.context import ChatContext, LiveKnowledge
from bot.core.responder import stale
from bot.i18n.catalog import translator
from bot.i18n.formatting import format_list
from bot.knowledge.model import Platform
from bot.render.dates import relative_words
from bot.render.deadlines import upcoming
from bot.replies import Button, Keyboard, Reply
from bot.store.repository import Store

SHOWN_OPEN = 3  # apps named after a tick; /status lists them all


@dataclass
class Checklist:
    store: Store
    knowledge: LiveKnowledge
    clock: Clock

    def routes(self) -> Router:
        """/status is the checkup's (bot/features/checkup.py): it shows `status` below for a
        chat that has not chosen its apps."""
        return Router().button("c", self.check_button)

    def platform_extras(self, platform: Platform, language: str) -> Keyboard:
        """Shown above an app's steps: tick it off from there."""
        return (checklist_row(platform.id, language),)

    def checklist_platforms(self, checklist: dict[str, str], region: str | None) -> list[Platform]:
        """Apps named by a last day to act in the chat's region, then any other app it ticked.

        Only `kind: deadline` entries count, as for reminders: the apps of an effective date,
        a standing setting or a watched announcement are not tasks to tick off.
        """
        kb = self.knowledge.kb
        tasks = [d for d in kb.deadlines.values() if d.is_task and d.applies_to(region)]
        wanted = [p for d in tasks for p in d.platforms]
        wanted += [p for p in checklist if p not in wanted]
        return [kb.platforms[p] for p in dict.fromkeys(wanted) if p in kb.platforms]

    async def status(self, args: str, ctx: ChatContext) -> list[Reply]:
        language = ctx.language
        _ = translator(language).gettext
        if ctx.chat_id is None:
            return [Reply(_("There is no checklist here."))]
        checklist = await self.store.get_checklist(ctx.chat_id)
        platforms = self.checklist_platforms(checklist, ctx.region)
        lines = [_("<b>Your opt-out checklist</b>")]
        buttons = []
        for platform in platforms:
            state = checklist.get(platform.id)
            lines.append(f"{platform.name}: {state_label(state, language)}")
            if state not in FINISHED:
                label = _("Steps for {platform}").format(platform=platform.name)
                buttons.append(Button(label, callbacks.encode("p", platform.id)))
        if buttons:
            lines.append("\n" + _("Tap an app for its steps; mark it done when you have objected."))
        else:
            lines.append("\n" + _("All done. 🎉 Reminders have nothing left to tell you."))
        return [Reply("\n".join(lines), tuple((b,) for b in buttons))]

    async def check_button(self, arg: str, ctx: ChatContext) -> list[Reply]:
        platform_id, _, state = arg.partition(":")
        platform = self.knowledge.kb.platforms.get(platform_id)
        language = ctx.language
        _ = translator(language).gettext
        if platform is None or state not in STATES or ctx.chat_id is None:
            return [stale(language)]
        await self.store.set_check(ctx.chat_id, platform_id, state)
        checklist = await self.store.get_checklist(ctx.chat_id)
        left = [
            p.name
            for p in self.checklist_platforms(checklist, ctx.region)
            if checklist.get(p.id) not in FINISHED
        ]
        ticked = f"{platform.name}: {state_label(state, language)}"
        text = f"{ticked}."
        if state == "later":
            text += " " + await self._later(platform, ctx)
        if len(left) > SHOWN_OPEN:
            more = len(left) - SHOWN_OPEN
            still = translator(language).ngettext(
                "Still open: {apps} and {count} more (/status).",
                "Still open: {apps} and {count} more (/status).",
                more,
            )
            text += "\n" + still.format(apps=", ".join(left[:SHOWN_OPEN]), count=more)
        elif left:
            text += "\n" + _("Still open: {apps}.").format(apps=format_list(left, language))
        else:
            text += "\n" + _("Everything is done or not for you. 🎉")
            if await self._subscribed(ctx.chat_id):
                text += " " + _("Reminders stop here: there is nothing left to remind you of.")
        return [Reply(text, toast=ticked)]

    async def _later(self, platform: Platform, ctx: ChatContext) -> str:
        """What "later" will bring: a reminder only if a deadline for this app is ahead."""
        assert ctx.chat_id is not None
        language = ctx.language
        _ = translator(language).gettext
        now = self.clock.now()
        ahead = [
            d
            for d in upcoming(self.knowledge.kb, ctx.region, now)
            if not d.platforms or platform.id in d.platforms
        ]
        subscribed = await self._subscribed(ctx.chat_id)
        if ahead:
            nxt = ahead[0]
            assert nxt.at is not None
            title = nxt.for_language(language).title
            when = relative_words(nxt.at, now, language)
            if subscribed:
                text = _("I'll mention it in your reminders before “{deadline}” ({when}).")
            else:
                text = _("Send /remind and I'll remind you before “{deadline}” ({when}).")
            return text.format(deadline=title, when=when)
        if subscribed:
            return _(
                "No deadline is coming up, so no reminder is due; I'll mention it if a new "
                "deadline is announced. /status shows what is left."
            )
        return _(
            "No deadline is coming up, so there is nothing to remind you of: an objection "
            "counts from the day you send it. /status shows what is left."
        )

    async def _subscribed(self, chat_id: int) -> bool:
        sub = await self.store.get_subscription(chat_id)
        return bool(sub and sub.active)
