"""The checklist: how far a chat has got with objecting, app by app.

The one definition of its states and their labels, for the features (/status, the buttons
under an app's steps) and the reminders (which mention only what is not finished). The
database keeps the same three words (bot/store). Labels are English gettext messages,
shown in the reader's language (`state_label`, `checklist_row`).
"""

from __future__ import annotations

from bot import callbacks
from bot.i18n.catalog import N_, translator
from bot.i18n.languages import DEFAULT_LANGUAGE
from bot.replies import Button

# state -> how /status and the confirmation show it
STATES: dict[str, str] = {
    "done": N_("✅ done"),
    "later": N_("⏰ later"),
    "na": N_("🚫 not for me"),
}
CHECK_STATES: tuple[str, ...] = tuple(STATES)
FINISHED: frozenset[str] = frozenset({"done", "na"})  # nothing left to remind the chat of
UNSET = N_("▫️ not yet")
_BUTTONS = (("done", N_("✅ Done")), ("later", N_("⏰ Later")), ("na", N_("🚫 Not for me")))


def state_label(state: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """'✅ done', '✅ erledigt'; '▫️ not yet' for an app not ticked (or a state not known)."""
    return translator(language).gettext(STATES.get(state or "", UNSET))


def checklist_row(platform_id: str, language: str = DEFAULT_LANGUAGE) -> tuple[Button, ...]:
    """The tick buttons shown under an app's steps and in its reminders."""
    _ = translator(language).gettext
    return tuple(
        Button(_(label), callbacks.encode("c", f"{platform_id}:{state}"))
        for state, label in _BUTTONS
    )
