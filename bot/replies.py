"""What the core answers with: text in Telegram's HTML subset plus buttons.

Adapters turn these into Telegram messages or numbered console choices, so both
front ends say exactly the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str | None = None  # callback data, at most 64 bytes
    url: str | None = None  # a link button instead of a callback
    # What a text front end (the console) lets one type for this button instead of a number
    # that shifts from page to page: the /faq list's "More" and "Back" keep theirs.
    shortcut: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: Keyboard = ()
    # A reply to a button press may replace the message that carried the button.
    edit: bool = False
    # Short notice shown as a toast for a callback query (answerCallbackQuery).
    toast: str | None = None

    def all_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]
