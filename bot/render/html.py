"""HTML helpers: escaping user text and splitting long answers within Telegram's limit."""

from __future__ import annotations

import html
import re

MESSAGE_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


def escape(text: str) -> str:
    """Escape text that came from a user before it goes into an HTML message."""
    return html.escape(text, quote=False)


def visible_length(text: str) -> int:
    """Length as Telegram counts it: after entity parsing (tags removed, entities decoded)."""
    return len(html.unescape(_TAG.sub("", text)))


def _pieces(text: str, separator: str) -> list[str]:
    return [p for p in text.split(separator) if p.strip()]


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split on paragraph boundaries, then lines, then words, so each part fits `limit`."""
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
                    parts.extend(split_message(piece, limit))
                    current = ""
                else:
                    current = piece
            if current:
                parts.append(current)
            return parts
    # One unbroken word longer than the limit: cut it (only ever user-made text).
    plain = html.unescape(_TAG.sub("", text))
    return [escape(plain[i : i + limit // 2]) for i in range(0, len(plain), limit // 2)]
