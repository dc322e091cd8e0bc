"""The checkup's words (Telegram HTML) in the reader's language, in one place.

Messages and button labels of `/checkup`, `/status`, `/remind every`, `/calendar`, `/letter`,
👍/👎, nudges and alerts: plain functions of the planning results, the constants below and
the reader's `language`. The English source strings are the msgids of the gettext catalogues
(bot/i18n/locale; `make messages` extracts them), counts go through ngettext and dates
through Babel, so each language gets its own plural forms and date words. The keyboards
themselves (callback data) are in `buttons.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time, get_datetime_format

from bot.checkup.alerts import Change, change_note
from bot.checkup.checklist import Action, ChecklistItem, Progress
from bot.checkup.nudges import NudgePlan, PeriodError
from bot.i18n.catalog import N_, translator
from bot.i18n.formatting import babel_locale
from bot.knowledge.model import DEFAULT_LANGUAGE, REGION_NAMES, KnowledgeBase
from bot.render.platforms import render_steps
from bot.store.schema import DONE, LATER, NOT_FOR_ME

__all__ = [
    "action_text",
    "alert_text",
    "calendar_caption",
    "checklist_text",
    "local_moment",
    "nudge_text",
    "nudges_on_text",
    "picker_text",
    "progress_text",
    "region_label",
    "state_text",
    "tr",
    "unknown_letter_target",
]

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def _gettext(language: str) -> Gettext:
    return translator(language).gettext


def _words(language: str) -> tuple[Gettext, Ngettext]:
    found = translator(language)
    return found.gettext, found.ngettext


def tr(message: str, language: str = DEFAULT_LANGUAGE) -> str:
    """One of the constants below (marked with N_) in `language`."""
    return translator(language).gettext(message)


def region_label(region: str, language: str = DEFAULT_LANGUAGE) -> str:
    return tr(REGION_NAMES[region], language)


def local_moment(moment: datetime, timezone: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A moment in the reader's time zone: 'Fri 12 Jun 2026, 14:00', 'Fr., 12. Juni 2026, 14:00'.

    English keeps the bot's own short form; the other languages get CLDR's abbreviated
    weekday-date skeleton and 24-hour time, joined as the language joins them.
    """
    local = moment.astimezone(ZoneInfo(timezone))
    if language == DEFAULT_LANGUAGE:
        return f"{local:%a %d %b %Y, %H:%M}"
    locale = babel_locale(language)
    day = format_skeleton("yMMMEd", local, locale=locale)
    time = format_time(local, "HH:mm", tzinfo=local.tzinfo, locale=locale)
    glue = get_datetime_format("medium", locale=locale).replace("'", "")
    return glue.replace("{1}", day).replace("{0}", time)


_STATES = {DONE: N_("✅ done"), LATER: N_("⏰ later"), NOT_FOR_ME: N_("🚫 not for me")}
_NOT_YET = N_("▫️ not yet")


def action_text(item: ChecklistItem, language: str = DEFAULT_LANGUAGE) -> str:
    """The one thing to do for this app in the chat's region."""
    _ = _gettext(language)
    if item.action == Action.OBJECT:
        return _("object through {company}'s form").format(company=item.company)
    if item.action == Action.SWITCH_OFF:
        return _("switch off the AI-training setting")
    if item.action == Action.NOTHING_TO_SWITCH:
        return _("nothing can be switched off here; the steps say what helps")
    return _("choose your region (/region) to see what applies")


def state_text(state: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    return tr(_STATES.get(state or "", _NOT_YET), language)


def progress_text(progress: Progress, language: str = DEFAULT_LANGUAGE) -> str:
    """`"4 of 6 done"`, with the apps marked "not for me" left out of the count."""
    _, ngettext = _words(language)
    if progress.total == 0 and progress.not_for_me == 0:
        return _("No apps chosen yet: /checkup")
    text = ngettext("{done} of {total} done", "{done} of {total} done", progress.total).format(
        done=progress.done, total=progress.total
    )
    if progress.not_for_me:
        text += " " + ngettext(
            "({count} not for me)", "({count} not for me)", progress.not_for_me
        ).format(count=progress.not_for_me)
    return text


def checklist_text(
    items: list[ChecklistItem], progress: Progress, language: str = DEFAULT_LANGUAGE
) -> str:
    """The personal checklist: one line per app, what to do and where it stands."""
    _ = _gettext(language)
    if not items:
        return "\n".join(
            (
                _("<b>Your AI-privacy checklist</b>"),
                _("You have not chosen any apps yet. Send /checkup to pick the ones you use."),
            )
        )
    lines = [
        _("<b>Your AI-privacy checklist</b>: {progress}").format(
            progress=progress_text(progress, language)
        )
    ]
    for item in items:
        action, state = action_text(item, language), state_text(item.state, language)
        lines.append(f"• <b>{item.name}</b>: {action}. {state}")
    if progress.complete:
        lines.append("\n" + _("Everything is done or not for you. 🎉"))
    else:
        lines.append("\n" + _("Tap an app for its steps, then mark it done."))
    return "\n".join(lines)


def nudge_text(plan: NudgePlan, language: str = DEFAULT_LANGUAGE) -> str:
    """A re-check nudge: the apps still open, those with something to switch first."""
    _, ngettext = _words(language)
    n = len(plan.items)
    # Translators: goes into {apps} of "{open} of {apps} is still open:", so write it in the
    # form that sentence needs (German "deinen 3 Apps", Portuguese "dos seus 3 apps").
    apps = ngettext("your {total} app", "your {total} apps", plan.total).format(total=plan.total)
    # Translators: {apps} is "your {total} app(s)" as translated for this sentence.
    still_open = ngettext(
        "{open} of {apps} is still open:", "{open} of {apps} are still open:", n
    ).format(open=n, apps=apps)
    lines = [
        _("<b>Time to re-check your AI-training settings</b>"),
        _("Platforms change their settings without warning.") + " " + still_open,
    ]
    lines.extend(f"• <b>{item.name}</b>: {action_text(item, language)}" for item in plan.items)
    lines.append(
        "\n"
        + _(
            "Tap an app for its steps. /remind every changes how often I ask; /remind off stops it."
        )
    )
    return "\n".join(lines)


def alert_text(
    change: Change, kb: KnowledgeBase, region: str | None, language: str = DEFAULT_LANGUAGE
) -> str | None:
    """The alert for one change, with the note and the current steps; None if it is gone."""
    _ = _gettext(language)
    if change.kind == "platform":
        platform = kb.platforms.get(change.entry_id)
        if platform is None:
            return None
        note = change_note(platform.for_language(language), language)
        head = (
            _("<b>New in the guide: {platform}</b>")
            if change.is_new
            else _("<b>{platform} changed</b>")
        ).format(platform=platform.name)
        body = render_steps(platform, region, language)
    else:
        deadline = kb.deadlines.get(change.entry_id)
        if deadline is None:
            return None
        deadline = deadline.for_language(language)
        note = change_note(deadline, language)
        head = (_("<b>New: {title}</b>") if change.is_new else _("<b>Changed: {title}</b>")).format(
            title=deadline.title
        )
        body = _("See /deadline for the dates that apply to you.")
    parts = [head]
    if note:
        parts.append(note)
    parts.append(body)
    parts.append(_("<i>You get this because your reminders are on; /remind off stops them.</i>"))
    return "\n\n".join(parts)


# -- /checkup ----------------------------------------------------------------------------------

NO_CHAT = N_("The checkup needs a chat to keep your checklist in.")
ASK_REGION = N_(
    "<b>Your AI-privacy checkup</b>\n"
    "First: where do you live? What you can do about AI training depends on it."
)
PICKER_DONE = N_("Done ✔️")
CHANGE_APPS = N_("✏️ Change my apps")
OPEN_CHECKLIST = N_("📋 My checklist")
SEE_DEADLINES = N_("⏰ Key dates")
NOTHING_CHOSEN = N_("Choose at least one app (tap it), then tap Done.")
NO_REMINDER_CHAT = N_("Reminders need a chat to send them to.")


def toggle_label(name: str, chosen: bool) -> str:
    return f"✅ {name}" if chosen else f"▫️ {name}"


def steps_label(name: str, language: str = DEFAULT_LANGUAGE) -> str:
    return tr(N_("📖 {name}: steps"), language).format(name=name)


_TICK_LABELS = {DONE: N_("✅ Done"), LATER: N_("⏰ Later"), NOT_FOR_ME: N_("🚫 Not for me")}


def tick_label(state: str, language: str = DEFAULT_LANGUAGE) -> str:
    return tr(_TICK_LABELS[state], language)


def picker_text(
    chosen: list[str], note: str | None = None, language: str = DEFAULT_LANGUAGE
) -> str:
    """ "Which of these do you use?" with the apps chosen so far (`note`: already translated)."""
    _ = _gettext(language)
    lines = [
        _("<b>Which of these do you use?</b>"),
        _(
            "Tap an app to choose it, tap it again to remove it, then tap Done. "
            "Meta's apps come first."
        ),
        "",
        _("Chosen: {apps}.").format(apps=", ".join(chosen)) if chosen else _("Chosen: none yet."),
    ]
    if note:
        lines.append(f"\n<i>{note}</i>")
    return "\n".join(lines)


def tick_toast(name: str, state: str, language: str = DEFAULT_LANGUAGE) -> str:
    return f"{name}: {state_text(state, language)}"


NO_APPS_STATUS_HINT = N_("<i>For a checklist of just the apps you use: /checkup</i>")


def no_apps_status_hint(language: str = DEFAULT_LANGUAGE) -> str:
    return "\n" + tr(NO_APPS_STATUS_HINT, language)


# -- /remind every -----------------------------------------------------------------------------

REMIND_EVERY_EXAMPLES = N_(
    "Examples: <code>/remind every 90d</code>, <code>/remind every 12w</code>, "
    "<code>/remind off</code>."
)


def period_error(error: PeriodError, language: str = DEFAULT_LANGUAGE) -> str:
    """Why a period was refused, in words (`error.text` is what the user typed)."""
    _ = _gettext(language)
    how = _(
        "give a number of days or weeks between {min} and {max} days, for example 90d or 12w"
    ).format(min=error.low, max=error.high)
    if error.days is None:
        return _("'{text}' is not a period: {how}").format(text=error.text, how=how)
    return _("{days} days is out of range: {how}").format(days=error.days, how=how)


def bad_period(error: str, language: str = DEFAULT_LANGUAGE) -> str:
    """`error`: the reason, already in `language` and escaped."""
    _ = _gettext(language)
    return _("That didn't work: {error}.").format(error=error) + "\n\n" + _(REMIND_EVERY_EXAMPLES)


def nudges_on_text(
    period_days: int, when: str, apps: list[str], language: str = DEFAULT_LANGUAGE
) -> str:
    """The answer to `/remind every N`: when the next nudge comes, and what it will list."""
    _, ngettext = _words(language)
    lines = [
        ngettext(
            "✅ <b>Re-check nudges are on</b>: every {days} day, never at night.",
            "✅ <b>Re-check nudges are on</b>: every {days} days, never at night.",
            period_days,
        ).format(days=period_days),
        _("The next one: {when} (your time zone).").format(when=when),
    ]
    if apps:
        lines.append(
            _(
                "I'll list what is still open of your apps ({apps}), "
                "those with something to switch off first."
            ).format(apps=", ".join(apps))
        )
    else:
        lines.append(
            _(
                "You have not told me which apps you use yet: send /checkup, "
                "or the nudge will have nothing to list."
            )
        )
    lines.append(
        "\n" + _("Change: <code>/remind every 30d</code> · stop: <code>/remind off</code>")
    )
    return "\n".join(lines)


def nudge_status_line(period_days: int, when: str, language: str = DEFAULT_LANGUAGE) -> str:
    _, ngettext = _words(language)
    return ngettext(
        "🔁 Re-check nudges: every {days} day; the next one {when}.",
        "🔁 Re-check nudges: every {days} days; the next one {when}.",
        period_days,
    ).format(days=period_days, when=when)


# -- /calendar ---------------------------------------------------------------------------------

CALENDAR_FILE = "optout.ics"


def calendar_caption(
    region: str | None, events: int, recheck_days: int | None, language: str = DEFAULT_LANGUAGE
) -> str:
    _, ngettext = _words(language)
    where = region_label(region, language) if region else _("every region")
    text = ngettext(
        "📅 <b>Your AI-privacy calendar</b>: {count} dated event for {where}",
        "📅 <b>Your AI-privacy calendar</b>: {count} dated events for {where}",
        events,
    ).format(count=events, where=where)
    if recheck_days:
        text += ngettext(
            ", and your re-check every {days} day",
            ", and your re-check every {days} days",
            recheck_days,
        ).format(days=recheck_days)
    text += ". " + _(
        "Open the file to add it to your calendar; a newer file updates the events "
        "instead of adding copies."
    )
    if region is None:
        text += " " + _("Set your region (/region) for only the dates that apply to you.")
    return text


# -- /letter -----------------------------------------------------------------------------------

LETTERS_UNAVAILABLE = N_("Objection texts are not available right now. Please try again later.")


def unknown_letter_target(wanted: str, names: list[str], language: str = DEFAULT_LANGUAGE) -> str:
    _ = _gettext(language)
    return (
        _("I don't know an app called “{wanted}”. I have objection texts for: {names}.").format(
            wanted=wanted, names=", ".join(names)
        )
        + "\n\n"
        + _(
            "For example <code>/letter instagram</code>, or <code>/letter</code> alone "
            "for a text you can send to any company."
        )
    )


# -- 👍 / 👎 ------------------------------------------------------------------------------------

VOTE_UP = N_("👍 Helpful")
VOTE_DOWN = N_("👎 Not helpful")
THANKS_UP = N_("Thanks! Glad it helped.")
THANKS_DOWN = N_("Thanks: answers with many 👎 are fixed first.")
