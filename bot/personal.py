"""What the bot remembers for a chat: region, time zone, reminders, checklist, and forgetting.

Framework-free handlers plugged into the Responder, so the console and Telegram share them.
Everything here reads or writes the Store; nothing stores message text.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process

from bot import callbacks
from bot.clock import Clock
from bot.config import Config
from bot.conversation import ChatContext, Responder
from bot.knowledge.model import REGION_NAMES, REGIONS, KnowledgeBase, Platform
from bot.reminders.plan import DEFAULT_LEAD_TIMES, format_lead, parse_lead_times, reminder_rounds
from bot.render.deadlines import upcoming
from bot.render.html import escape
from bot.render.timefmt import relative
from bot.replies import Button, Keyboard, Reply
from bot.store.repository import Store

log = logging.getLogger(__name__)

STATES = {"done": "✅ done", "later": "⏰ later", "na": "🚫 not for me"}
UNSET = "▫️ not yet"


def checklist_row(platform_id: str) -> tuple[Button, ...]:
    return (
        Button("✅ Done", callbacks.encode("c", f"{platform_id}:done")),
        Button("⏰ Later", callbacks.encode("c", f"{platform_id}:later")),
        Button("🚫 Not for me", callbacks.encode("c", f"{platform_id}:na")),
    )


def region_buttons() -> Keyboard:
    buttons = [Button(REGION_NAMES[r], callbacks.encode("r", r)) for r in REGIONS]
    return (tuple(buttons[:3]), tuple(buttons[3:]))


def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def resolve_timezone(text: str) -> tuple[str | None, list[str]]:
    """An IANA name (case-insensitive), or None plus up to three close suggestions."""
    names = _zone_names()
    key = text.strip().replace(" ", "_").lower()
    if key in names:
        return names[key], []
    found = process.extract(key, list(names), scorer=fuzz.ratio, limit=3, score_cutoff=70)
    return None, [names[k] for k, _, _ in found]


@dataclass
class Personal:
    """Commands and buttons that use stored per-chat data."""

    store: Store
    responder: Responder
    clock: Clock
    default_timezone: str = "Europe/Brussels"
    default_region: str | None = None
    default_leads: tuple[int, ...] = DEFAULT_LEAD_TIMES
    # Called after a subscription changes, so the scheduler can add rounds for new lead times.
    on_subscription_change: Callable[[], Awaitable[None]] | None = None
    _help: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_config(
        cls,
        store: Store,
        responder: Responder,
        clock: Clock,
        config: Config,
        on_subscription_change: Callable[[], Awaitable[None]] | None = None,
    ) -> Personal:
        """Built and installed in the responder, with the operator's defaults."""
        personal = cls(
            store,
            responder,
            clock,
            default_timezone=config.default_timezone,
            default_region=config.default_region,
            on_subscription_change=on_subscription_change,
        )
        personal.install()
        return personal

    @property
    def kb(self) -> KnowledgeBase:
        return self.responder.kb

    def install(self) -> None:
        r = self.responder
        r.extra_commands.update(
            {
                "start": self.start,
                "region": self.region,
                "timezone": self.timezone,
                "remind": self.remind,
                "stop": self.stop,
                "status": self.status,
                "privacy": self.privacy,
                "forget": self.forget,
            }
        )
        r.extra_callbacks.update(
            {"r": self.region_button, "c": self.check_button, "x": self.forget_button}
        )
        r.extra_help.extend(
            [
                ("remind", "Reminders before deadlines: /remind, /remind 3d 1d, /remind off"),
                ("status", "Your opt-out checklist, app by app"),
                ("region", "Where you live (eu, uk, ch, br, other): tailors the answers"),
                ("timezone", "Your time zone for reminders, e.g. /timezone Europe/Berlin"),
                ("privacy", "What I store about this chat"),
                ("forget", "Delete everything I store about this chat"),
            ]
        )
        r.platform_extras = self.platform_extras

    async def context(self, chat_id: int) -> ChatContext:
        """The chat's stored settings, with the operator's defaults where none is set."""
        settings = await self.store.get_settings(chat_id)
        return ChatContext(
            chat_id=chat_id,
            region=settings.region or self.default_region,
            language=settings.language,
            timezone=settings.timezone,
        )

    def platform_extras(self, platform: Platform) -> Keyboard:
        return (checklist_row(platform.id),)

    def tz(self, ctx: ChatContext) -> ZoneInfo:
        return ZoneInfo(ctx.timezone or self.default_timezone)

    # -- start, region, time zone --------------------------------------------------
    async def start(self, args: str, ctx: ChatContext) -> list[Reply]:
        """The welcome, plus the region buttons: the region changes what a user can do."""
        welcome = await self.responder.start(args, ctx)
        where = (
            f"Your region: <b>{REGION_NAMES[ctx.region]}</b>. Tap to change it:"
            if ctx.region
            else "Where do you live? It changes what you can do:"
        )
        return [
            Reply(f"{welcome.text}\n\n{where}", (*welcome.buttons, *region_buttons())),
        ]

    async def region(self, args: str, ctx: ChatContext) -> list[Reply]:
        wanted = args.strip().lower()
        if not wanted:
            current = REGION_NAMES.get(ctx.region or "", "not set")
            return [Reply(f"Your region: <b>{current}</b>. Choose one:", region_buttons())]
        if wanted not in REGIONS:
            return [
                Reply(
                    f"I don't know the region “{escape(wanted[:40])}”. "
                    "Choose one of: eu, uk, ch, br, other.",
                    region_buttons(),
                )
            ]
        return [await self._set_region(wanted, ctx)]

    async def region_button(self, arg: str, ctx: ChatContext) -> list[Reply]:
        if arg not in REGIONS:
            return [self.responder.stale()]
        return [await self._set_region(arg, ctx)]

    async def _set_region(self, region: str, ctx: ChatContext) -> Reply:
        if ctx.chat_id is None:
            return Reply("I can't store a region here.")
        await self.store.set_region(ctx.chat_id, region)
        ctx.region = region
        note = (
            "Meta offers no general objection there; I'll show you what you can do instead."
            if region == "other"
            else "I'll show the steps and dates that apply there."
        )
        return Reply(
            f"Region set: <b>{REGION_NAMES[region]}</b>. {note}",
            ((Button("🛑 Opt out, step by step", callbacks.encode("o")),),),
        )

    async def timezone(self, args: str, ctx: ChatContext) -> list[Reply]:
        wanted = args.strip()
        current = ctx.timezone or f"{self.default_timezone} (default)"
        if not wanted:
            return [
                Reply(
                    f"Your time zone: <b>{escape(current)}</b>. Set it with for example "
                    "<code>/timezone Europe/Berlin</code>."
                )
            ]
        name, suggestions = resolve_timezone(wanted[:64])
        if name is None:
            hint = (
                "Did you mean " + ", ".join(f"<code>{s}</code>" for s in suggestions) + "?"
                if suggestions
                else "Use a name like <code>Europe/Berlin</code> or <code>America/Sao_Paulo</code>."
            )
            return [Reply(f"I don't know the time zone “{escape(wanted[:64])}”. {hint}")]
        if ctx.chat_id is None:
            return [Reply("I can't store a time zone here.")]
        await self.store.set_timezone(ctx.chat_id, name)
        ctx.timezone = name
        local = self.clock.now().astimezone(ZoneInfo(name))
        return [Reply(f"Time zone set: <b>{name}</b> (it is {local:%H:%M} there now).")]

    # -- reminders -----------------------------------------------------------------
    async def remind(self, args: str, ctx: ChatContext) -> list[Reply]:
        if ctx.chat_id is None:
            return [Reply("Reminders need a chat to send them to.")]
        word = args.strip().lower()
        if word in ("off", "stop", "cancel", "unsubscribe"):
            return await self.stop("", ctx)
        if word in ("list", "status", "show"):
            return [await self.remind_list(ctx)]
        current = await self.store.get_subscription(ctx.chat_id)
        if word:
            try:
                leads = parse_lead_times(args)
            except ValueError as exc:
                return [
                    Reply(
                        f"That didn't work: {escape(str(exc))}.\n\nExamples: "
                        "<code>/remind</code>, <code>/remind 3d 1d 2h</code>, "
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
        if sub is None or not sub.active:
            return Reply(
                "You have no reminders. Send /remind to get one before each deadline "
                "that applies to you."
            )
        now = self.clock.now()
        tz = self.tz(ctx)
        leads = ", ".join(format_lead(s) for s in sub.lead_times)
        head = "✅ Reminders are on" if subscribed_now else "Your reminders"
        lines = [f"<b>{head}</b>: {leads} before each deadline."]
        rounds = [
            r
            for r in reminder_rounds(upcoming(self.kb, ctx.region, now), sub.lead_times, now)
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
            for r in rounds[:10]:
                when = r.due_at.astimezone(tz)
                lines.append(
                    f"• {when:%a %d %b %Y, %H:%M} ({relative(r.due_at, now)}): "
                    f"{format_lead(r.lead_seconds)} before “{r.deadline.title}”, with the apps "
                    "you have not ticked off yet and the next step for each."
                )
        lines.append("\nChange: <code>/remind 3d 1d 2h</code> · stop: <code>/remind off</code>")
        return Reply("\n".join(lines))

    async def stop(self, args: str, ctx: ChatContext) -> list[Reply]:
        if ctx.chat_id is None:
            return [Reply("There is nothing to stop here.")]
        had = await self.store.unsubscribe(ctx.chat_id)
        text = (
            "Reminders are off. Send /remind to turn them on again."
            if had
            else "You had no reminders. Send /remind to get one before each deadline."
        )
        return [Reply(text)]

    # -- checklist -----------------------------------------------------------------
    def checklist_platforms(self, checklist: dict[str, str]) -> list[Platform]:
        """Apps named by a deadline, then any other app the user has ticked."""
        wanted = [p for d in self.kb.deadlines.values() for p in d.platforms]
        wanted += [p for p in checklist if p not in wanted]
        return [self.kb.platforms[p] for p in dict.fromkeys(wanted) if p in self.kb.platforms]

    async def status(self, args: str, ctx: ChatContext) -> list[Reply]:
        if ctx.chat_id is None:
            return [Reply("There is no checklist here.")]
        checklist = await self.store.get_checklist(ctx.chat_id)
        platforms = self.checklist_platforms(checklist)
        lines = ["<b>Your opt-out checklist</b>"]
        buttons = []
        for platform in platforms:
            state = checklist.get(platform.id)
            lines.append(f"{platform.name}: {STATES.get(state or '', UNSET)}")
            if state not in ("done", "na"):
                buttons.append(
                    Button(f"Steps for {platform.name}", callbacks.encode("p", platform.id))
                )
        if buttons:
            lines.append("\nTap an app for its steps; mark it done when you have objected.")
        else:
            lines.append("\nAll done. 🎉 Reminders have nothing left to tell you.")
        return [Reply("\n".join(lines), tuple((b,) for b in buttons))]

    async def check_button(self, arg: str, ctx: ChatContext) -> list[Reply]:
        platform_id, _, state = arg.partition(":")
        platform = self.kb.platforms.get(platform_id)
        if platform is None or state not in STATES or ctx.chat_id is None:
            return [self.responder.stale()]
        await self.store.set_check(ctx.chat_id, platform_id, state)
        checklist = await self.store.get_checklist(ctx.chat_id)
        left = [
            p.name
            for p in self.checklist_platforms(checklist)
            if checklist.get(p.id) not in ("done", "na")
        ]
        text = f"{platform.name}: {STATES[state]}."
        if state == "later":
            text += (
                " I'll mention it in your reminders."
                if await self._subscribed(ctx)
                else (" Send /remind and I'll remind you before the next deadline.")
            )
        if left:
            text += f"\nStill open: {', '.join(left)}."
        else:
            text += "\nEverything is done or not for you. 🎉"
            if await self._subscribed(ctx):
                text += " Reminders stop here: there is nothing left to remind you of."
        return [Reply(text, toast=f"{platform.name}: {STATES[state]}")]

    async def _subscribed(self, ctx: ChatContext) -> bool:
        assert ctx.chat_id is not None
        sub = await self.store.get_subscription(ctx.chat_id)
        return bool(sub and sub.active)

    # -- privacy -------------------------------------------------------------------
    async def privacy(self, args: str, ctx: ChatContext) -> list[Reply]:
        if ctx.chat_id is None:
            return [Reply("I store nothing for this conversation.")]
        data = await self.store.delivery_context(ctx.chat_id)
        settings, sub, checklist = data.settings, data.subscription, data.checklist
        ticks = ", ".join(f"{k}: {v}" for k, v in sorted(checklist.items())) or "none"
        subscription = (
            f"{'on' if sub.active else 'off'}, lead times "
            + ", ".join(format_lead(s) for s in sub.lead_times)
            if sub
            else "none"
        )
        text = (
            "<b>What I store about this chat</b>\n"
            f"• Chat id: <code>{ctx.chat_id}</code> (to know where to send replies and reminders)\n"
            f"• Language: {settings.language} (to answer in it)\n"
            f"• Region: {settings.region or 'not set'} (to show the steps and dates that apply)\n"
            f"• Time zone: {settings.timezone or 'not set'} (to time your reminders)\n"
            f"• Reminders: {subscription}\n"
            f"• Checklist: {ticks} (so reminders only mention what is left)\n"
            "• A record of which reminders were sent (so none is sent twice)\n\n"
            "I never store the text of your messages. /forget deletes all of it."
        )
        return [Reply(text, ((Button("🗑 Delete everything", callbacks.encode("x", "ask")),),))]

    async def forget(self, args: str, ctx: ChatContext) -> list[Reply]:
        return [
            Reply(
                "Delete everything I store about this chat (region, time zone, reminders, "
                "checklist and the record of sent reminders)? This cannot be undone.",
                (
                    (
                        Button("Yes, delete everything", callbacks.encode("x", "yes")),
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
        if arg != "yes" or ctx.chat_id is None:
            return [self.responder.stale()]
        await self.store.forget(ctx.chat_id)
        ctx.region, ctx.timezone = self.default_region, None
        return [
            Reply(
                "Done: I deleted everything I stored about this chat. "
                "You can keep asking questions; nothing is stored unless you set something again.",
                edit=True,
            )
        ]
