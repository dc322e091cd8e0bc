"""What the stand-in records: one `Call` per request the bot made."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass
class Call:
    """One request the bot made. `fault` is set when the stand-in made it fail on purpose."""

    method: str
    params: dict[str, Any]
    time: float
    index: int
    ok: bool = True
    result: Any = None
    error: dict[str, Any] | None = None
    fault: str | None = None

    @property
    def text(self) -> str | None:
        """The raw text parameter as the bot sent it (HTML for parse_mode HTML)."""
        return self.params.get("text")

    @property
    def plain(self) -> str | None:
        """The text as the user sees it (entities parsed), for successful sends/edits; a
        document's caption."""
        if isinstance(self.result, dict):
            return self.result.get("text", self.result.get("caption"))
        return None

    @property
    def file(self) -> dict[str, Any] | None:
        """A sendDocument's uploaded file: {"filename", "size", "content" (bytes)}."""
        document = self.params.get("document")
        return document if isinstance(document, dict) else None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Every inline button of the reply markup, flattened."""
        markup = self.params.get("reply_markup") or {}
        if not isinstance(markup, dict):
            return []
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    def __repr__(self) -> str:
        status = "ok" if self.ok else f"failed({self.fault or self.error})"
        shown = {k: v for k, v in self.params.items() if k != "reply_markup"}
        text = repr(shown)
        if len(text) > 160:
            text = text[:157] + "..."
        return f"<Call #{self.index} {self.method} {status} {text}>"


def iter_sent_texts(calls: Iterable[Call]) -> list[str]:
    """The raw texts of successful sendMessage/editMessageText calls."""
    return [
        c.text or ""
        for c in calls
        if c.ok and c.method in ("sendMessage", "editMessageText") and c.text is not None
    ]
