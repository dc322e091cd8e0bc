"""Reminders as a chat sets them: /remind with its lead times, /remind list, /remind off, /stop.

`/remind every 90d` (re-check nudges) is the checkup's (`every`, bot/features/checkup.py);
`/remind off` stops countdowns, nudges and alerts alike.

Sending them is `bot.reminders`' job; this module only stores the subscription and tells
the scheduler when the lead times in use may have changed. Replies are in the chat's language,
and lead times may be typed with the units of any of the eight languages ("3 Tage", "2 horas").
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot.clock import Clock
from bot.core.answers import region_label
from bot.core.commands import Router
from bot.core.context import ChatContext, LiveKnowledge
from bot.i18n.catalog import N_, translator
from bot.i18n.formatting import babel_locale, format_time, lead_time
from bot.knowledge.model import DEFAULT_LANGUAGE
from bot.reminders.plan import (
    DEFAULT_LEAD_TIMES,
    MAX_LEAD_TIMES,
    parse_lead_times,
    reminder_rounds,
)
from bot.render.dates import relative_words
from bot.render.deadlines import upcoming
from bot.render.html import escape
from bot.replies import Reply
from bot.store.repository import Store

SHOWN_ROUNDS = 10  # coming reminders listed by /remind list
# Unit words people type after /remind, in the eight languages, as the parser's letters.
_UNITS_BY_LETTER = {
    "w": "week weeks woche wochen semaine semaines semana semanas settimana settimane "
    "weken tydzien tydzień tygodnie tygodni",
    "d": "day days tag tage tagen jour jours dia dias día días giorno giorni dag dagen "
    "dzien dzień dni",
    "h": "hour hours hr hrs std stunde stunden heure heures hora horas ora ore uur uren "
    "godzina godziny godzin",
    "m": "minute minutes min mins minuten minuto minutos minuti minuut minuten minuta minuty minut",
}
_UNIT_WORDS = {word: unit for unit, words in _UNITS_BY_LETTER.items() for word in words.split()}
_UNIT_SIZE = {"w": 4, "d": 3, "h": 2, "m": 1}
_SPELLED = re.compile(
    r"(?<![\w\-−])([\-−]?[0-9]+)\s*("
    + "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
    + r")(?!\w)",
    re.IGNORECASE,
)
_AND = re.compile(r"\b(?:and|und|et|y|e|en|i)\b", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;]+")
_LEAD_TOKEN = re.compile(r"(?:[0-9]+[wdhm])+", re.IGNORECASE | re.ASCII)
_OFF_WORDS = frozenset({"off", "stop", "cancel", "unsubscribe"})
_LIST_WORDS = frozenset({"list", "status", "show"})
# How to write a lead time, as the parser (bot/reminders/plan.py) reads them.
UNIT_HINT = N_(
    "use a number and a unit: m (minutes), h (hours), d (days) or w (weeks), for example 3d 1d 2h"
)


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


def lead_time_problem(compact: str, language: str) -> str | None:
    """Why `parse_lead_times` refuses `compact`, in `language`; None when it accepts it.

    The parser's own message is English; this says the same in the reader's language,
    judging each lead time by the parser itself.
    """
    try:
        parse_lead_times(compact)
    except ValueError as exc:
        error = str(exc)
    else:
        return None
    if language == DEFAULT_LANGUAGE:
        return error
    trans = translator(language)
    _ = trans.gettext
    tokens = [t for t in _SEPARATORS.split(compact.strip()) if t]
    if len(tokens) > MAX_LEAD_TIMES:
        text = trans.ngettext(
            "at most {count} lead time, you gave {given}",
            "at most {count} lead times, you gave {given}",
            MAX_LEAD_TIMES,
        )
        return text.format(count=MAX_LEAD_TIMES, given=len(tokens))
    seen: set[int] = set()
    for token in tokens:
        shown = escape(token if len(token) <= 20 else token[:19] + "…")
        try:
            (seconds,) = parse_lead_times(token)
        except ValueError:
            return _token_problem(token, shown, language)
        if seconds in seen:
            return _("“{token}” is there twice: give each lead time once").format(token=shown)
        seen.add(seconds)
    return _(UNIT_HINT)


def _token_problem(token: str, shown: str, language: str) -> str:
    """What is wrong with one lead time the parser refused (`shown`: the token, escaped)."""
    _ = translator(language).gettext
    if token.startswith(("-", "−")):
        text = _("“{token}” is negative: lead times count back from the deadline")
    elif not _LEAD_TOKEN.fullmatch(token):
        text = _("“{token}” is not a lead time") + ": " + _(UNIT_HINT)
    elif all(int(n) == 0 for n in re.findall(r"[0-9]+", token)):
        text = _("“{token}” is zero: a reminder must come at least 1 minute before the deadline")
    else:
        text = _("“{token}” is more than 365 days before the deadline")
    return text.format(token=shown)


def round_time(moment: datetime, language: str, tz: str) -> str:
    """When a reminder goes out, in the chat's time zone: 'Sat 05 Dec 2026, 14:00'."""
    local = moment.astimezone(ZoneInfo(tz))
    if language == DEFAULT_LANGUAGE:
        return f"{local:%a %d %b %Y, %H:%M}"
    day = format_skeleton("yMMMEd", local, locale=babel_locale(language))
    return f"{day}, {format_time(moment, language, tz)}"


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
                N_("Reminders: /remind 3d 1d before deadlines, /remind every 90d, /remind off"),
            )
            .command("stop", self.stop)
        )

    async def remind(self, args: str, ctx: ChatContext) -> list[Reply]:
        _ = translator(ctx.language).gettext
        if ctx.chat_id is None:
            return [Reply(_("Reminders need a chat to send them to."))]
        word = args.strip().lower()
        if word in _OFF_WORDS:
            return await self.stop("", ctx)
        if word in _LIST_WORDS:
            return [await self.remind_list(ctx)]
        if self.every is not None and word.split(" ", 1)[0] == "every":
            return await self.every(args, ctx)
        current = await self.store.get_subscription(ctx.chat_id)
        if word:
            compact = compact_lead_times(args)
            problem = lead_time_problem(compact, ctx.language)
            if problem is not None:
                text = _(
                    "That didn't work: {problem}.\n\nExamples: "
                    "<code>/remind</code>, <code>/remind 3d 1d 2h</code>, "
                    "<code>/remind 2 hours 30 min</code>, "
                    "<code>/remind list</code>, <code>/remind off</code>."
                )
                if ctx.language == DEFAULT_LANGUAGE:
                    problem = escape(problem)
                return [Reply(text.format(problem=problem))]
            leads = parse_lead_times(compact)
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
        language = ctx.language
        _ = translator(language).gettext
        sub = await self.store.get_subscription(ctx.chat_id)
        nudges = await self.every_status(ctx) if self.every_status is not None else None
        if sub is None or not sub.active:
            if nudges:
                none = _("No reminders before deadlines: send /remind for them.")
                return Reply(f"{nudges}\n\n{none}")
            return Reply(
                _(
                    "You have no reminders. Send /remind to get one before each deadline "
                    "that applies to you."
                )
            )
        now = self.clock.now()
        tz = ctx.timezone or self.default_timezone
        leads = ", ".join(lead_time(s, language) for s in sub.lead_times)
        if subscribed_now:
            head = _("<b>✅ Reminders are on</b>: {leads} before each deadline.")
        else:
            head = _("<b>Your reminders</b>: {leads} before each deadline.")
        lines = [head.format(leads=leads)]
        rounds = [
            r
            for r in reminder_rounds(
                upcoming(self.knowledge.kb, ctx.region, now), sub.lead_times, now
            )
            if r.due_at > now
        ]
        if not rounds:
            if ctx.region:
                text = _(
                    "Right now no deadline is coming up for {region}. An objection still counts "
                    "from the day you send it, so there is no reason to wait: /optout."
                ).format(region=region_label(ctx.region, language))
            else:
                text = _(
                    "Right now no deadline is coming up for any region. An objection still "
                    "counts from the day you send it, so there is no reason to wait: /optout."
                )
            kept = _("I keep your subscription and will remind you if a new deadline is announced.")
            lines.append(f"{text}\n\n{kept}")
        else:
            lines.append(_("Coming up (your time zone):"))
            item = _(
                "• {when} ({relative}): {lead} before “{deadline}”, with the apps you have not "
                "ticked off yet and the next step for each."
            )
            for r in rounds[:SHOWN_ROUNDS]:
                lines.append(
                    item.format(
                        when=round_time(r.due_at, language, tz),
                        relative=relative_words(r.due_at, now, language),
                        lead=lead_time(r.lead_seconds, language),
                        deadline=r.deadline.for_language(language).title,
                    )
                )
        if nudges:
            lines.append(nudges)
        change = _("Change: <code>/remind 3d 1d 2h</code> · stop: <code>/remind off</code>")
        lines.append(f"\n{change}")
        return Reply("\n".join(lines))

    async def stop(self, args: str, ctx: ChatContext) -> list[Reply]:
        _ = translator(ctx.language).gettext
        if ctx.chat_id is None:
            return [Reply(_("There is nothing to stop here."))]
        had = await self.store.unsubscribe(ctx.chat_id)
        text = (
            _(
                "Reminders are off: no countdowns, re-check nudges or alerts any more. "
                "Send /remind to turn them on again."
            )
            if had
            else _("You had no reminders. Send /remind to get one before each deadline.")
        )
        return [Reply(text)]
