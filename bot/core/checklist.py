"""The checklist: how far a chat has got with objecting, app by app.

The one definition of its states and their labels, for the features (/status, the buttons
under an app's steps) and the reminders (which mention only what is not finished). The
database keeps the same three words (bot/store).
"""

from __future__ import annotations

from bot import callbacks
from bot.replies import Button

# state -> how /status and the confirmation show it
STATES: dict[str, str] = {"done": "✅ done", "later": "⏰ later", "na": "🚫 not for me"}
CHECK_STATES: tuple[str, ...] = tuple(STATES)
FINISHED: frozenset[str] = frozenset({"done", "na"})  # nothing left to remind the chat of
UNSET = "▫️ not yet"
_BUTTONS = (("done", "✅ Done"), ("later", "⏰ Later"), ("na", "🚫 Not for me"))


def checklist_row(platform_id: str) -> tuple[Button, ...]:
    """The tick buttons shown under an app's steps and in its reminders."""
    return tuple(
        Button(label, callbacks.encode("c", f"{platform_id}:{state}")) for state, label in _BUTTONS
    )
