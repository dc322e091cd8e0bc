"""The checkup's messages in English (Telegram HTML), in one place for translation.

Plain functions of the planning results; buttons (steps, Done / Later / Not for me) are added
by the command layer, which owns the callback codec.
"""

from __future__ import annotations

from bot.checkup.alerts import Change, change_note
from bot.checkup.checklist import Action, ChecklistItem, Progress
from bot.checkup.nudges import NudgePlan
from bot.knowledge.model import DEFAULT_LANGUAGE, KnowledgeBase
from bot.render.platforms import render_steps
from bot.store.schema import DONE, LATER, NOT_FOR_ME

__all__ = [
    "action_text",
    "alert_text",
    "checklist_text",
    "nudge_text",
    "progress_text",
    "state_text",
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
