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
class Document:
    """A file sent with a reply (the .ics of /calendar); the reply's text is its caption."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: Keyboard = ()
    # A reply to a button press may replace the message that carried the button.
    edit: bool = False
    # Short notice shown as a toast for a callback query (answerCallbackQuery). A reply with
    # a toast and no text (a 👍 tap) sends no message at all.
    toast: str | None = None
    document: Document | None = None

    def all_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]
