"""Where a chat is and what time it keeps: /start with the region buttons, /region, /timezone.

The region changes which objection steps and dates apply, so the welcome asks for it. Every
reply is in the chat's language; region names are gettext messages (bot/knowledge/regions.py)
and /region reads them in any of the eight languages.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import callbacks
from bot.clock import Clock
from bot.core.answers import region_label
from bot.core.commands import Router
from bot.core.context import ChatContext
from bot.core.responder import stale, welcome
from bot.features.language import start_button
from bot.features.timezones import resolve_timezone
from bot.i18n.catalog import N_, translator
from bot.i18n.countries import Place, find_place, fold, place_name, suggest_places
from bot.i18n.formatting import format_list, format_time
from bot.i18n.languages import LANGUAGES
from bot.knowledge.model import DEFAULT_LANGUAGE, REGION_NAMES, REGIONS
from bot.knowledge.regions import region_chain
from bot.render.html import escape
from bot.replies import Button, Keyboard, Reply
from bot.store.repository import Store


def region_buttons(language: str = DEFAULT_LANGUAGE) -> Keyboard:
    buttons = [Button(region_label(r, language), callbacks.encode("r", r)) for r in REGIONS]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def _region_label_keys(region: str) -> set[str]:
    """A region's label in every language, folded: 'eu / ewr', 'ue / eee', 'anderswo'."""
    return {fold(region_label(region, language)) for language in LANGUAGES}


def find_region(text: str) -> tuple[str | None, Place | None]:
    """A region from what follows /region: its key, its name or a country's name or code in
    any language the bot speaks. Returns the region and the country named (None for a
    region, or the EU as a whole). A country's name wins over a translated region label
    that spells it the same ('Brasil')."""
    key = fold(text)
    for region in REGIONS:
        if key in (region, fold(REGION_NAMES[region])):
            return region, None
    place = find_place(text)
    if place is not None:
        region = place.region if place.region in REGIONS else "other"
        return region, None if place.code == "EU" else place
    for region in REGIONS:
        if key in _region_label_keys(region):
            return region, None
    return None, None


def read_region(text: str) -> tuple[str | None, str]:
    """`find_region` with the country's English name ('' for a region)."""
    region, place = find_region(text)
    return region, place.name if place is not None else ""


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
                "region",
                self.region,
                N_("Where you live, e.g. /region Germany: tailors the answers"),
            )
            .command(
                "timezone",
                self.timezone,
                N_("Your time zone for reminders, e.g. /timezone Berlin"),
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
        language = ctx.language
        _ = translator(language).gettext
        greeting = welcome(language)
        if ctx.region:
            where = _("Your region: <b>{region}</b>. Tap to change it:")
            where = where.format(region=region_label(ctx.region, language))
        else:
            where = _("Where do you live? It changes what you can do:")
        buttons = (*greeting.buttons, *region_buttons(language), *start_button(ctx))
        return [Reply(f"{greeting.text}\n\n{where}", buttons)]

    async def region(self, args: str, ctx: ChatContext) -> list[Reply]:
        language = ctx.language
        _ = translator(language).gettext
        wanted = args.strip()[:60]
        if not wanted:
            if ctx.region in REGION_NAMES:
                current = region_label(ctx.region, language)
            else:
                current = _("not set")
            text = _("Your region: <b>{region}</b>. Choose one:").format(region=current)
            return [Reply(text, region_buttons(language))]
        region, place = find_region(wanted)
        if region is None:
            text = _("I don't know the region or country “{wanted}”.").format(wanted=escape(wanted))
            close = [place_name(p.code, language) for p in suggest_places(wanted)]
            if close:
                names = format_list(close, language, style="or")
                text += " " + _("Did you mean {places}?").format(places=names)
            text += " " + _(
                "Type your country, for example <code>/region Germany</code>, or tap your region:"
            )
            return [Reply(text, region_buttons(language))]
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
            return [stale(ctx.language)]
        return [await self._set_region(arg, ctx)]

    async def _set_region(self, region: str, ctx: ChatContext, place: Place | None = None) -> Reply:
        language = ctx.language
        _ = translator(language).gettext
        if ctx.chat_id is None:
            return Reply(_("I can't store a region here."))
        await self.store.set_region(ctx.chat_id, region)
        ctx.region = region
        name = region_label(region, language)
        named = place_name(place.code, language) if place is not None else ""
        if named and named != name:
            text = _("Region set: <b>{region}</b> ({place}).")
            text = text.format(region=name, place=escape(named))
        else:
            text = _("Region set: <b>{region}</b>.").format(region=name)
        note = (
            _("Meta offers no general objection there; I'll show you what you can do instead.")
            if "other" in region_chain(region)
            else _("I'll show the steps and dates that apply there.")
        )
        return Reply(
            f"{text} {note}",
            ((Button(_("🛑 Opt out, step by step"), callbacks.encode("o")),),),
        )

    async def timezone(self, args: str, ctx: ChatContext) -> list[Reply]:
        language = ctx.language
        _ = translator(language).gettext
        wanted = args.strip()
        if not wanted:
            if ctx.timezone:
                text = _("Your time zone: <b>{zone}</b>.").format(zone=escape(ctx.timezone))
            else:
                text = _("Your time zone: <b>{zone}</b> (default).")
                text = text.format(zone=escape(self.default_timezone))
            hint = _(
                "Set it with your city or a name, for example <code>/timezone Berlin</code> "
                "or <code>/timezone UTC+2</code>."
            )
            return [Reply(f"{text} {hint}")]
        now = self.clock.now()
        found = resolve_timezone(wanted[:64], now)
        if found.name is None:
            return [
                Reply(
                    _unknown_zone(wanted[:64], found.how, found.detail, found.suggestions, language)
                )
            ]
        if ctx.chat_id is None:
            return [Reply(_("I can't store a time zone here."))]
        name = found.name
        await self.store.set_timezone(ctx.chat_id, name)
        ctx.timezone = name
        local = format_time(now, language, name)
        if found.how == "offset":
            text = _(
                "Time zone set: <b>{zone}</b>, a fixed {offset} all year (it is {time} there "
                "now). It has no summer time; for that, choose your city, for example "
                "<code>/timezone Berlin</code>."
            )
            return [Reply(text.format(zone=name, offset=found.detail, time=local))]
        if found.how == "link":
            text = _(
                "Time zone set: <b>{zone}</b> ({old} is an old name for it; "
                "it is {time} there now)."
            )
            return [Reply(text.format(zone=name, old=escape(found.detail), time=local))]
        text = _("Time zone set: <b>{zone}</b> (it is {time} there now).")
        return [Reply(text.format(zone=name, time=local))]


def _unknown_zone(
    wanted: str, how: str, detail: str, suggestions: tuple[str, ...], language: str
) -> str:
    """Why a typed time zone was not understood, and what to type instead."""
    _ = translator(language).gettext
    listed = format_list((f"<code>{s}</code>" for s in suggestions), language)
    if how == "offset":
        text = _("There is no fixed time zone for {offset}.").format(offset=detail)
        if suggestions:
            places = _("Places at {offset} now: {zones}.")
            text += " " + places.format(offset=detail, zones=listed)
        return text + " " + _("Choose your city, for example <code>/timezone Kolkata</code>.")
    text = _("I don't know the time zone “{wanted}”.").format(wanted=escape(wanted))
    if suggestions:
        hint = _("Did you mean {zones}?").format(
            zones=format_list((f"<code>{s}</code>" for s in suggestions), language, style="or")
        )
    else:
        hint = _(
            "Use a city or a name like <code>Berlin</code>, <code>Europe/Berlin</code>, "
            "<code>CET</code> or <code>UTC+2</code>."
        )
    return f"{text} {hint}"
