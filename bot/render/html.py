"""HTML helpers: escaping user text and splitting long answers within Telegram's limit."""

from __future__ import annotations

import html
import re

from bot.knowledge.telegram_html import visible_length

MESSAGE_LIMIT = 4096
__all__ = ["MESSAGE_LIMIT", "escape", "split_message", "visible_length"]
_TAG = re.compile(r"<[^>]+>")


def escape(text: str) -> str:
    """Escape text that came from a user before it goes into an HTML message."""
    return html.escape(text, quote=False)


def _pieces(text: str, separator: str) -> list[str]:
    """Split on `separator`, but never inside a tag such as <a href="...">."""
    parts = re.split(re.escape(separator) + r"(?![^<]*>)", text)
    return [p for p in parts if p.strip()]


_TAG_PARTS = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")


def _balance(parts: list[str]) -> list[str]:
    """Close tags left open at the end of a part and reopen them at the next one."""
    balanced: list[str] = []
    carried: list[tuple[str, str]] = []  # (name, opening tag) still open
    for part in parts:
        prefix = "".join(tag for _, tag in carried)
        stack = list(carried)
        for match in _TAG_PARTS.finditer(part):
            closing, name = match.group(1), match.group(2).lower()
            if not closing:
                stack.append((name, match.group(0)))
            elif stack and stack[-1][0] == name:
                stack.pop()
        suffix = "".join(f"</{name}>" for name, _ in reversed(stack))
        balanced.append(prefix + part + suffix)
        carried = stack
    return balanced


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split on paragraph boundaries, then lines, then words, so each part fits `limit`.

    Tags that span a split are closed and reopened, so every part is valid HTML.
    """
    parts = _split(text, limit)
    return _balance(parts) if len(parts) > 1 else parts


def _split(text: str, limit: int) -> list[str]:
    if visible_length(text) <= limit:
        return [text]
    parts: list[str] = []
    for separator in ("\n\n", "\n", " "):
        pieces = _pieces(text, separator)
        if len(pieces) > 1:
            current = ""
            for piece in pieces:
                candidate = f"{current}{separator}{piece}" if current else piece
                if visible_length(candidate) <= limit:
                    current = candidate
                    continue
                if current:
                    parts.append(current)
                if visible_length(piece) > limit:
                    parts.extend(_split(piece, limit))
                    current = ""
                else:
                    current = piece
            if current:
                parts.append(current)
            return parts
    # One unbroken word longer than the limit: cut it (only ever user-made text).
    plain = html.unescape(_TAG.sub("", text))
    return [escape(plain[i : i + limit // 2]) for i in range(0, len(plain), limit // 2)]
