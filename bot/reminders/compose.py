"""The text of one reminder: only what is still left, the next step, and the buttons.

"Left" means the deadline's apps that the chat has neither ticked off (done, not for me)
nor left out of the apps it uses (`/checkup`); a chat that has not chosen apps is reminded
of all of them.

A reminder is written in the recipient chat's stored language (`ChatSettings.language`);
a chat that never chose one (None) gets `default_language`, English unless the operator
says otherwise: a round sends to many chats, each in its own language.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot import callbacks
from bot.checkup.buttons import tick_row
from bot.checkup.texts import local_moment
from bot.core.checklist import FINISHED
from bot.i18n import formatting
from bot.i18n.catalog import translator
from bot.knowledge.model import DEFAULT_LANGUAGE, KnowledgeBase
from bot.reminders.plan import Round
from bot.render import timefmt
from bot.replies import Button, Reply
from bot.store.repository import ChatSettings


def recipient_language(settings: ChatSettings, default: str = DEFAULT_LANGUAGE) -> str:
    """The language to write to a chat in: its choice, else `default`."""
    return settings.language or default


def _relative(moment: datetime, now: datetime, language: str) -> str:
    """'in 23 hours and 59 minutes', 'in 23 Stunden und 59 Minuten'."""
    if language == DEFAULT_LANGUAGE:
        return timefmt.relative(moment, now)
    return formatting.relative(moment, now, language)


def _relative_key(moment: datetime, now: datetime, language: str) -> object:
    """What the relative wording depends on, cheaper than the wording: Babel's words are a
    function of the one or two units `duration_parts` picks and the direction."""
    if language == DEFAULT_LANGUAGE:
        return timefmt.relative(moment, now)
    if moment >= now:
        return (1, *formatting.duration_parts(now, moment))
    return (-1, *formatting.duration_parts(moment, now))


def compose_reminder(
    kb: KnowledgeBase,
    settings: ChatSettings,
    checklist: dict[str, str],
    round: Round,
    now: datetime,
    default_timezone: str,
    used: Collection[str] = (),
    default_language: str = DEFAULT_LANGUAGE,
) -> Reply | None:
    """None when every app of the deadline is done, not for this user, or not one it uses
    (`used`: the apps it chose; empty when it chose none): nothing to remind."""
    deadline = round.deadline
    left = [
        kb.platforms[p]
        for p in deadline.platforms
        if p in kb.platforms and checklist.get(p) not in FINISHED and (not used or p in used)
    ]
    if not left:
        return None
    language = recipient_language(settings, default_language)
    _ = translator(language).gettext
    text = deadline.for_language(language)
    when = local_moment(deadline.at, settings.timezone or default_timezone, language)
    lines = [
        _("⏰ <b>Reminder:</b> {title}: {when} ({relative}).").format(
            title=text.title, when=when, relative=_relative(deadline.at, now, language)
        ),
    ]
    if round.is_late(now):
        lines.append(_("<i>(This reminder is late: I was offline when it was due.)</i>"))
    lines.append(text.before)
    lines.append(_("Still to do: {apps}.").format(apps=", ".join(p.name for p in left)))
    first = left[0]
    route = first.for_language(language).route_for(settings.region)
    if route is not None and route[1].steps:
        step = route[1].steps[0]
        link = ""
        if route[1].form_url:
            form = _('🔗 <a href="{url}">Form for {platform}</a>')
            link = "\n" + form.format(url=route[1].form_url, platform=first.name)
        lines.append(
            _("Next step for {platform}: {step}").format(platform=first.name, step=step) + link
        )
    buttons = (
        tick_row(first.id, "c", language),
        (
            Button(
                _("All steps for {platform}").format(platform=first.name),
                callbacks.encode("p", first.id),
            ),
        ),
    )
    return Reply("\n\n".join(lines), buttons)


class ComposeCache:
    """`compose_reminder`, remembered for chats that would get the very same message.

    A round of 100,000 reminders holds only a handful of distinct texts (region x time zone
    x language x what is left x the wording of "in 3 days"), and at 1,000 messages per second
    composing each one afresh is CPU the round runs short of. The key holds everything the
    text depends on, including the relative-time wording at `now`, so an entry never goes
    stale; a new knowledge base (after /reload) starts an empty cache.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._kb: KnowledgeBase | None = None
        self._entries: dict[tuple[object, ...], Reply | None] = {}

    def __call__(
        self,
        kb: KnowledgeBase,
        settings: ChatSettings,
        checklist: dict[str, str],
        round: Round,
        now: datetime,
        default_timezone: str,
        used: Collection[str] = (),
        default_language: str = DEFAULT_LANGUAGE,
    ) -> Reply | None:
        if kb is not self._kb:
            self._kb = kb
            self._entries.clear()
        deadline = round.deadline
        language = recipient_language(settings, default_language)
        key = (
            round,
            language,
            settings.region,
            settings.timezone or default_timezone,
            tuple(checklist.get(p) for p in deadline.platforms),
            tuple(p in used for p in deadline.platforms) if used else None,
            round.is_late(now),
            _relative_key(deadline.at, now, language),
        )
        try:
            return self._entries[key]
        except KeyError:
            reply = compose_reminder(
                kb, settings, checklist, round, now, default_timezone, used, default_language
            )
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # a new minute's wording: the old keys are done with
            self._entries[key] = reply
            return reply
