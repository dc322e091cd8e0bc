"""Where a chat is and what time it keeps: /start with the region buttons, /region, /timezone.

The region changes which objection steps and dates apply, so the welcome asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process

from bot import callbacks
from bot.clock import Clock
from bot.core.commands import Router
from bot.core.context import ChatContext
from bot.core.responder import stale, welcome
from bot.features.language import start_button
from bot.knowledge.model import DEFAULT_LANGUAGE, REGION_NAMES, REGIONS
from bot.render.html import escape
from bot.replies import Button, Keyboard, Reply
from bot.store.repository import Store


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
class Preferences:
    """A chat's stored region and time zone, with the operator's defaults where none is set."""

    store: Store
    clock: Clock
    default_timezone: str = "Europe/Brussels"
    default_region: str | None = None

    def routes(self) -> Router:
        return (
            Router()
            .command("start", self.start)
            .command(
                "region", self.region, "Where you live (eu, uk, ch, br, other): tailors the answers"
            )
            .command(
                "timezone",
                self.timezone,
                "Your time zone for reminders, e.g. /timezone Europe/Berlin",
            )
            .button("r", self.region_button)
        )

    async def context(self, chat_id: int) -> ChatContext:
        """The chat's stored settings, with the operator's defaults where none is set."""
        settings = await self.store.get_settings(chat_id)
        return ChatContext(
            chat_id=chat_id,
            region=settings.region or self.default_region,
            language=settings.language or DEFAULT_LANGUAGE,
            chosen_language=settings.language,
            timezone=settings.timezone,
        )

    async def start(self, args: str, ctx: ChatContext) -> list[Reply]:
        """The welcome, plus the region buttons: the region changes what a user can do."""
        greeting = welcome()
        where = (
            f"Your region: <b>{REGION_NAMES[ctx.region]}</b>. Tap to change it:"
            if ctx.region
            else "Where do you live? It changes what you can do:"
        )
        buttons = (*greeting.buttons, *region_buttons(), *start_button(ctx))
        return [Reply(f"{greeting.text}\n\n{where}", buttons)]

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
            return [stale()]
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
