"""What is stored about a chat, and deleting all of it: /privacy and /forget (asks first).

Every reply is in the chat's language; the stored values (region, checklist states, lead
times) are shown as the reader reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import callbacks
from bot.core.answers import region_label
from bot.core.checklist import STATES, state_label
from bot.core.commands import Router
from bot.core.context import ChatContext, LiveKnowledge
from bot.core.responder import stale
from bot.i18n.catalog import translator
from bot.i18n.formatting import format_list, lead_time
from bot.i18n.languages import NATIVE_NAMES
from bot.knowledge.model import REGION_NAMES
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
        language = ctx.language
        trans = translator(language)
        _ = trans.gettext
        if ctx.chat_id is None:
            return [Reply(_("I store nothing for this conversation."))]
        data = await self.store.delivery_context(ctx.chat_id)
        settings, sub, checklist = data.settings, data.subscription, data.checklist
        platforms = self.knowledge.kb.platforms
        ticks = ", ".join(
            f"{platforms[k].name if k in platforms else k}: "
            + (state_label(v, language) if v in STATES else v)
            for k, v in sorted(checklist.items())
        ) or _("nothing ticked yet")
        nudge = await self.store.get_nudge(ctx.chat_id)
        if nudge and nudge.active:
            nudges = trans.ngettext(
                "every {days} day", "every {days} days", nudge.period_days
            ).format(days=nudge.period_days)
        else:
            nudges = _("off")
        if sub is None:
            subscription = _("none")
        else:
            leads = format_list((lead_time(s, language) for s in sub.lead_times), language)
            subscription = (
                _("on, {leads} before each deadline")
                if sub.active
                else _("off, {leads} before each deadline")
            ).format(leads=leads)
        if settings.language:
            name = NATIVE_NAMES.get(settings.language, settings.language)
            chosen = _("{language} (to answer in it)").format(language=name)
        else:
            chosen = _("not chosen (I answer in the language you write in)")
        if settings.region in REGION_NAMES:
            region = region_label(settings.region, language)
        else:
            region = _("not set")
        unset_zone = _("not set, so {zone}").format(zone=self.default_timezone)
        timezone = settings.timezone or unset_zone
        apps = ", ".join(platforms[k].name if k in platforms else k for k in data.platforms)
        apps = apps or _("none chosen")
        lines = [
            _("<b>What I store about this chat</b>"),
            _(
                "• Chat id: <code>{chat_id}</code> (to know where to send replies and reminders)"
            ).format(chat_id=ctx.chat_id),
            _("• Language: {language}").format(language=chosen),
            _("• Region: {region} (to show the steps and dates that apply)").format(region=region),
            _("• Time zone: {zone} (to time your reminders)").format(zone=timezone),
            _("• Reminders: {reminders}").format(reminders=subscription),
            _("• Checklist: {ticks} (so reminders only mention what is left)").format(ticks=ticks),
            _("• Apps you use: {apps} (for /checkup)").format(apps=apps),
            _("• Re-check nudges: {nudges}").format(nudges=nudges),
            _("• A record of which reminders were sent (so none is sent twice)"),
            "",
            _("I never store the text of your messages. /forget deletes all of it."),
        ]
        button = Button(_("🗑 Delete everything"), callbacks.encode("x", "ask"))
        return [Reply("\n".join(lines), ((button,),))]

    async def forget(self, args: str, ctx: ChatContext) -> list[Reply]:
        """Ask first. The "yes" button names who asked: in a group only they (or an admin,
        which the Telegram adapter checks) may confirm."""
        _ = translator(ctx.language).gettext
        yes = "yes" if ctx.user_id is None else f"yes:{_base36(ctx.user_id)}"
        return [
            Reply(
                _(
                    "Delete everything I store about this chat (region, time zone, reminders, "
                    "apps, checklist and the record of sent reminders)? This cannot be undone."
                ),
                (
                    (
                        Button(_("Yes, delete everything"), callbacks.encode("x", yes)),
                        Button(_("No, keep it"), callbacks.encode("x", "no")),
                    ),
                ),
            )
        ]

    async def forget_button(self, arg: str, ctx: ChatContext) -> list[Reply]:
        _ = translator(ctx.language).gettext
        if arg == "ask":
            return await self.forget("", ctx)
        if arg == "no":
            return [Reply(_("Nothing was deleted."), edit=True)]
        if not is_confirmation(arg) or ctx.chat_id is None:
            return [stale(ctx.language)]
        await self.store.forget(ctx.chat_id)
        ctx.region, ctx.timezone = self.default_region, None
        return [
            Reply(
                _(
                    "Done: I deleted everything I stored about this chat. You can keep asking "
                    "questions; nothing is stored unless you set something again."
                ),
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
