"""The checkup's words in English (Telegram HTML), in one place for translation.

Messages and button labels of `/checkup`, `/status`, `/remind every`, `/calendar`, `/letter`,
👍/👎, nudges and alerts: plain functions of the planning results and constants. The
keyboards themselves (callback data) are in `buttons.py`.
"""

from __future__ import annotations

from bot.checkup.alerts import Change, change_note
from bot.checkup.checklist import Action, ChecklistItem, Progress
from bot.checkup.nudges import NudgePlan
from bot.knowledge.model import DEFAULT_LANGUAGE, REGION_NAMES, KnowledgeBase
from bot.render.platforms import render_steps
from bot.store.schema import DONE, LATER, NOT_FOR_ME

__all__ = [
    "action_text",
    "alert_text",
    "calendar_caption",
    "checklist_text",
    "nudge_text",
    "nudges_on_text",
    "picker_text",
    "progress_text",
    "state_text",
    "unknown_letter_target",
]

_STATES = {DONE: "✅ done", LATER: "⏰ later", NOT_FOR_ME: "🚫 not for me"}
_NOT_YET = "▫️ not yet"


def action_text(item: ChecklistItem) -> str:
    """The one thing to do for this app in the chat's region."""
    if item.action == Action.OBJECT:
        return f"object through {item.company}'s form"
    if item.action == Action.SWITCH_OFF:
        return "switch off the AI-training setting"
    if item.action == Action.NOTHING_TO_SWITCH:
        return "nothing can be switched off here; the steps say what helps"
    return "choose your region (/region) to see what applies"


def state_text(state: str | None) -> str:
    return _STATES.get(state or "", _NOT_YET)


def progress_text(progress: Progress) -> str:
    """`"4 of 6 done"`, with the apps marked "not for me" left out of the count."""
    if progress.total == 0 and progress.not_for_me == 0:
        return "No apps chosen yet: /checkup"
    text = f"{progress.done} of {progress.total} done"
    if progress.not_for_me:
        text += f" ({progress.not_for_me} not for me)"
    return text


def checklist_text(items: list[ChecklistItem], progress: Progress) -> str:
    """The personal checklist: one line per app, what to do and where it stands."""
    if not items:
        return (
            "<b>Your AI-privacy checklist</b>\n"
            "You have not chosen any apps yet. Send /checkup to pick the ones you use."
        )
    lines = [f"<b>Your AI-privacy checklist</b>: {progress_text(progress)}"]
    for item in items:
        lines.append(f"• <b>{item.name}</b>: {action_text(item)}. {state_text(item.state)}")
    if progress.complete:
        lines.append("\nEverything is done or not for you. 🎉")
    else:
        lines.append("\nTap an app for its steps, then mark it done.")
    return "\n".join(lines)


def nudge_text(plan: NudgePlan) -> str:
    """A re-check nudge: the apps still open, those with something to switch first."""
    n = len(plan.items)
    lines = [
        "<b>Time to re-check your AI-training settings</b>",
        "Platforms change their settings without warning. "
        f"{n} of your {plan.total} app{'' if plan.total == 1 else 's'} "
        f"{'is' if n == 1 else 'are'} still open:",
    ]
    lines.extend(f"• <b>{item.name}</b>: {action_text(item)}" for item in plan.items)
    lines.append(
        "\nTap an app for its steps. /remind every changes how often I ask; /remind off stops it."
    )
    return "\n".join(lines)


def alert_text(
    change: Change, kb: KnowledgeBase, region: str | None, language: str = DEFAULT_LANGUAGE
) -> str | None:
    """The alert for one change, with the note and the current steps; None if it is gone."""
    if change.kind == "platform":
        platform = kb.platforms.get(change.entry_id)
        if platform is None:
            return None
        note = change_note(platform, language)
        head = (
            f"<b>New in the guide: {platform.name}</b>"
            if change.is_new
            else f"<b>{platform.name} changed</b>"
        )
        body = render_steps(platform, region)
    else:
        deadline = kb.deadlines.get(change.entry_id)
        if deadline is None:
            return None
        note = change_note(deadline, language)
        head = f"<b>{'New' if change.is_new else 'Changed'}: {deadline.title}</b>"
        body = "See /deadline for the dates that apply to you."
    parts = [head]
    if note:
        parts.append(note)
    parts.append(body)
    parts.append("<i>You get this because your reminders are on; /remind off stops them.</i>")
    return "\n\n".join(parts)


# -- /checkup ----------------------------------------------------------------------------------

NO_CHAT = "The checkup needs a chat to keep your checklist in."
ASK_REGION = (
    "<b>Your AI-privacy checkup</b>\n"
    "First: where do you live? What you can do about AI training depends on it."
)
PICKER_DONE = "Done ✔️"
CHANGE_APPS = "✏️ Change my apps"
OPEN_CHECKLIST = "📋 My checklist"
SEE_DEADLINES = "⏰ Key dates"
NOTHING_CHOSEN = "Choose at least one app (tap it), then tap Done."


def region_label(region: str) -> str:
    return REGION_NAMES[region]


def toggle_label(name: str, chosen: bool) -> str:
    return f"✅ {name}" if chosen else f"▫️ {name}"


def steps_label(name: str) -> str:
    return f"📖 {name}: steps"


_TICK_LABELS = {DONE: "✅ Done", LATER: "⏰ Later", NOT_FOR_ME: "🚫 Not for me"}


def tick_label(state: str) -> str:
    return _TICK_LABELS[state]


def picker_text(chosen: list[str], note: str | None = None) -> str:
    """ "Which of these do you use?" with the apps chosen so far."""
    lines = [
        "<b>Which of these do you use?</b>",
        "Tap an app to choose it, tap it again to remove it, then tap Done. "
        "Meta's apps come first.",
        "",
        "Chosen: " + (", ".join(chosen) if chosen else "none yet") + ".",
    ]
    if note:
        lines.append(f"\n<i>{note}</i>")
    return "\n".join(lines)


def tick_toast(name: str, state: str) -> str:
    return f"{name}: {state_text(state)}"


NO_APPS_STATUS_HINT = "\n<i>For a checklist of just the apps you use: /checkup</i>"

# -- /remind every -----------------------------------------------------------------------------

REMIND_EVERY_EXAMPLES = (
    "Examples: <code>/remind every 90d</code>, <code>/remind every 12w</code>, "
    "<code>/remind off</code>."
)


def bad_period(error: str) -> str:
    return f"That didn't work: {error}.\n\n{REMIND_EVERY_EXAMPLES}"


def nudges_on_text(period_days: int, when: str, apps: list[str]) -> str:
    """The answer to `/remind every N`: when the next nudge comes, and what it will list."""
    lines = [
        f"✅ <b>Re-check nudges are on</b>: every {period_days} days, never at night.",
        f"The next one: {when} (your time zone).",
    ]
    if apps:
        lines.append(
            "I'll list what is still open of your apps ("
            + ", ".join(apps)
            + "), those with something to switch off first."
        )
    else:
        lines.append(
            "You have not told me which apps you use yet: send /checkup, "
            "or the nudge will have nothing to list."
        )
    lines.append("\nChange: <code>/remind every 30d</code> · stop: <code>/remind off</code>")
    return "\n".join(lines)


def nudge_status_line(period_days: int, when: str) -> str:
    return f"🔁 Re-check nudges: every {period_days} days; the next one {when}."


# -- /calendar ---------------------------------------------------------------------------------

CALENDAR_FILE = "optout.ics"


def calendar_caption(region: str | None, events: int, recheck_days: int | None) -> str:
    where = REGION_NAMES[region] if region else "every region"
    text = f"📅 <b>Your AI-privacy calendar</b>: {events} dated event{'' if events == 1 else 's'}"
    text += f" for {where}"
    if recheck_days:
        text += f", and your re-check every {recheck_days} days"
    text += (
        ". Open the file to add it to your calendar; a newer file updates the events "
        "instead of adding copies."
    )
    if region is None:
        text += " Set your region (/region) for only the dates that apply to you."
    return text


# -- /letter -----------------------------------------------------------------------------------


def unknown_letter_target(wanted: str, names: list[str]) -> str:
    return (
        f"I don't know an app called “{wanted}”. I have objection texts for: "
        + ", ".join(names)
        + ".\n\nFor example <code>/letter instagram</code>, or <code>/letter</code> alone "
        "for a text you can send to any company."
    )


# -- 👍 / 👎 ------------------------------------------------------------------------------------

VOTE_UP = "👍 Helpful"
VOTE_DOWN = "👎 Not helpful"
THANKS_UP = "Thanks! Glad it helped."
THANKS_DOWN = "Thanks: answers with many 👎 are fixed first."
