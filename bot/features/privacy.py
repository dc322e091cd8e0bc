"""What is stored about a chat, and deleting all of it: /privacy and /forget (asks first)."""

from __future__ import annotations

from dataclasses import dataclass

from bot import callbacks
from bot.core.checklist import STATES
from bot.core.commands import Router
from bot.core.context import ChatContext, LiveKnowledge
from bot.core.responder import stale
from bot.i18n.formatting import format_list
from bot.i18n.languages import NATIVE_NAMES
from bot.knowledge.model import REGION_NAMES
from bot.reminders.plan import format_lead
from bot.replies import Button, Reply
from bot.store.repository import Store


@dataclass
class Privacy:
    store: Store
    knowledge: LiveKnowledge  # app names for the checklist, as people read them
    default_region: str | None = None  # what a chat's region falls back to once forgotten
    default_timezone: str = "Europe/Brussels"

    def routes(self) -> Router:
        return (
            Router()
            .command("privacy", self.privacy, "What I store about this chat")
            .command("forget", self.forget, "Delete everything I store about this chat")
            .button("x", self.forget_button)
        )

    async def privacy(self, args: str, ctx: ChatContext) -> list[Reply]:
        if ctx.chat_id is None:
            return [Reply("I store nothing for this conversation.")]
        data = await self.store.delivery_context(ctx.chat_id)
        settings, sub, checklist = data.settings, data.subscription, data.checklist
        platforms = self.knowledge.kb.platforms
        ticks = (
            ", ".join(
                f"{platforms[k].name if k in platforms else k}: {STATES.get(v, v)}"
                for k, v in sorted(checklist.items())
            )
            or "nothing ticked yet"
        )
        nudge = await self.store.get_nudge(ctx.chat_id)
        nudges = f"every {nudge.period_days} days" if nudge and nudge.active else "off"
        if sub is None:
            subscription = "none"
        else:
            leads = format_list((format_lead(s) for s in sub.lead_times), ctx.language)
            subscription = f"{'on' if sub.active else 'off'}, {leads} before each deadline"
        language = (
            f"{NATIVE_NAMES.get(settings.language, settings.language)} (to answer in it)"
            if settings.language
            else "not chosen (I answer in the language you write in)"
        )
        region = REGION_NAMES.get(settings.region or "", "not set")
        timezone = settings.timezone or f"not set, so {self.default_timezone}"
        text = (
            "<b>What I store about this chat</b>\n"
            f"• Chat id: <code>{ctx.chat_id}</code> (to know where to send replies and reminders)\n"
            f"• Language: {language}\n"
            f"• Region: {region} (to show the steps and dates that apply)\n"
            f"• Time zone: {timezone} (to time your reminders)\n"
            f"• Reminders: {subscription}\n"
            f"• Checklist: {ticks} (so reminders only mention what is left)\n"
            f"• Apps you use: {', '.join(data.platforms) or 'none chosen'} (for /checkup)\n"
            f"• Re-check nudges: {nudges}\n"
            "• A record of which reminders were sent (so none is sent twice)\n\n"
            "I never store the text of your messages. /forget deletes all of it."
        )
        return [Reply(text, ((Button("🗑 Delete everything", callbacks.encode("x", "ask")),),))]

    async def forget(self, args: str, ctx: ChatContext) -> list[Reply]:
        """Ask first. The "yes" button names who asked: in a group only they (or an admin,
        which the Telegram adapter checks) may confirm."""
        yes = "yes" if ctx.user_id is None else f"yes:{_base36(ctx.user_id)}"
        return [
            Reply(
                "Delete everything I store about this chat (region, time zone, reminders, "
                "apps, checklist and the record of sent reminders)? This cannot be undone.",
                (
                    (
                        Button("Yes, delete everything", callbacks.encode("x", yes)),
                        Button("No, keep it", callbacks.encode("x", "no")),
                    ),
                ),
            )
        ]

    async def forget_button(self, arg: str, ctx: ChatContext) -> list[Reply]:
        if arg == "ask":
            return await self.forget("", ctx)
        if arg == "no":
            return [Reply("Nothing was deleted.", edit=True)]
        if not is_confirmation(arg) or ctx.chat_id is None:
            return [stale()]
        await self.store.forget(ctx.chat_id)
        ctx.region, ctx.timezone = self.default_region, None
        return [
            Reply(
                "Done: I deleted everything I stored about this chat. "
                "You can keep asking questions; nothing is stored unless you set something again.",
                edit=True,
            )
        ]


def is_confirmation(arg: str) -> bool:
    """The argument of a "Yes, delete everything" button (`yes`, or `yes:<who asked>`)."""
    return arg == "yes" or (arg.startswith("yes:") and confirming_user(arg) is not None)


def confirming_user(arg: str) -> int | None:
    """Who asked to delete, from a "yes" button's argument; None if it does not say."""
    _, sep, who = arg.partition(":")
    if not sep or not who:
        return None
    try:
        return int(who, 36)
    except ValueError:
        return None


def _base36(number: int) -> str:
    """Telegram ids have up to 52 bits: at most 11 characters here (callback data is short)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out
