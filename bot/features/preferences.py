"""Where a chat is and what time it keeps: /start with the region buttons, /region, /timezone.

The region changes which objection steps and dates apply, so the welcome asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot import callbacks
from bot.clock import Clock
from bot.core.commands import Router
from bot.core.context import ChatContext
from bot.core.responder import stale, welcome
from bot.features.language import start_button
from bot.features.timezones import resolve_timezone
from bot.i18n.countries import find_place, fold, suggest_places
from bot.knowledge.model import DEFAULT_LANGUAGE, REGION_NAMES, REGIONS
from bot.knowledge.regions import region_chain
from bot.render.html import escape
from bot.replies import Button, Keyboard, Reply
from bot.store.repository import Store


def region_buttons() -> Keyboard:
    buttons = [Button(REGION_NAMES[r], callbacks.encode("r", r)) for r in REGIONS]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def read_region(text: str) -> tuple[str | None, str]:
    """A region from what follows /region: its key, its name, a country name or code in any
    language the bot speaks. Returns the region and the place named ('' for a region)."""
    key = fold(text)
    for region in REGIONS:
        if key in (region, fold(REGION_NAMES[region])):
            return region, ""
    place = find_place(text)
    if place is None:
        return None, ""
    region = place.region if place.region in REGIONS else "other"
    return region, "" if place.code == "EU" else place.name


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
                "region", self.region, "Where you live, e.g. /region Germany: tailors the answers"
            )
            .command(
                "timezone",
                self.timezone,
                "Your time zone for reminders, e.g. /timezone Berlin",
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
        wanted = args.strip()[:60]
        if not wanted:
            current = REGION_NAMES.get(ctx.region or "", "not set")
            return [Reply(f"Your region: <b>{current}</b>. Choose one:", region_buttons())]
        region, place = read_region(wanted)
        if region is None:
            close = suggest_places(wanted)
            hint = "Did you mean " + " or ".join(p.name for p in close) + "? " if close else ""
            return [
                Reply(
                    f"I don't know the region or country “{escape(wanted)}”. {hint}"
                    "Type your country, for example <code>/region Germany</code>, "
                    "or tap your region:",
                    region_buttons(),
                )
            ]
        return [await self._set_region(region, ctx, place)]

    async def remember(self, region: str, ctx: ChatContext) -> bool:
        """The region a reader tapped under an answer that asked "Where do you live?";
        False when there is no chat to store it for."""
        if ctx.chat_id is not None:
            await self.store.set_region(ctx.chat_id, region)
        ctx.region = region
        return ctx.chat_id is not None

    async def region_button(self, arg: str, ctx: ChatContext) -> list[Reply]:
        if arg not in REGIONS:
            return [stale()]
        return [await self._set_region(arg, ctx)]

    async def _set_region(self, region: str, ctx: ChatContext, place: str = "") -> Reply:
        if ctx.chat_id is None:
            return Reply("I can't store a region here.")
        await self.store.set_region(ctx.chat_id, region)
        ctx.region = region
        where = f" ({escape(place)})" if place and place != REGION_NAMES[region] else ""
        note = (
            "Meta offers no general objection there; I'll show you what you can do instead."
            if "other" in region_chain(region)
            else "I'll show the steps and dates that apply there."
        )
        return Reply(
            f"Region set: <b>{REGION_NAMES[region]}</b>{where}. {note}",
            ((Button("🛑 Opt out, step by step", callbacks.encode("o")),),),
        )

    async def timezone(self, args: str, ctx: ChatContext) -> list[Reply]:
        wanted = args.strip()
        current = ctx.timezone or f"{self.default_timezone} (default)"
        if not wanted:
            return [
                Reply(
                    f"Your time zone: <b>{escape(current)}</b>. Set it with your city or a name, "
                    "for example <code>/timezone Berlin</code> or <code>/timezone UTC+2</code>."
                )
            ]
        now = self.clock.now()
        found = resolve_timezone(wanted[:64], now)
        if found.name is None:
            return [
                Reply(self._unknown_zone(wanted[:64], found.how, found.detail, found.suggestions))
            ]
        if ctx.chat_id is None:
            return [Reply("I can't store a time zone here.")]
        name = found.name
        await self.store.set_timezone(ctx.chat_id, name)
        ctx.timezone = name
        local = now.astimezone(ZoneInfo(name))
        clock = f"it is {local:%H:%M} there now"
        if found.how == "offset":
            return [
                Reply(
                    f"Time zone set: <b>{name}</b>, a fixed {found.detail} all year ({clock}). "
                    "It has no summer time; for that, choose your city, for example "
                    "<code>/timezone Berlin</code>."
                )
            ]
        if found.how == "link":
            return [
                Reply(
                    f"Time zone set: <b>{name}</b> ({escape(found.detail)} is an old name for it; "
                    f"{clock})."
                )
            ]
        return [Reply(f"Time zone set: <b>{name}</b> ({clock}).")]

    @staticmethod
    def _unknown_zone(wanted: str, how: str, detail: str, suggestions: tuple[str, ...]) -> str:
        listed = ", ".join(f"<code>{s}</code>" for s in suggestions)
        if how == "offset":
            places = f" Places at {detail} now: {listed}." if suggestions else ""
            return (
                f"There is no fixed time zone for {detail}.{places} "
                "Choose your city, for example <code>/timezone Kolkata</code>."
            )
        hint = (
            f"Did you mean {listed}?"
            if suggestions
            else "Use a city or a name like <code>Berlin</code>, <code>Europe/Berlin</code>, "
            "<code>CET</code> or <code>UTC+2</code>."
        )
        return f"I don't know the time zone “{escape(wanted)}”. {hint}"
