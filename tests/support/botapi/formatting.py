"""Telegram's text rules: HTML parse mode, the entities of a user's text, length limits."""

from __future__ import annotations

import re
from typing import Any

from tests.support.botapi.wire import ApiError

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200


SUPPORTED_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{3,31})\b")
_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z][A-Za-z0-9_]{3,31})?")


_SPECIAL = re.compile(r"[<&]")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: plain text and entities (UTF-16 offsets), or ApiError."""
    out: list[str] = []
    length = 0  # UTF-16 length of what is in `out`
    stack: list[tuple[str, int, dict[str, Any]]] = []
    entities: list[dict[str, Any]] = []
    i = 0

    def bad(reason: str) -> ApiError:
        return ApiError(400, f"Bad Request: can't parse entities: {reason}")

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    while i < len(text):
        special = _SPECIAL.search(text, i)
        stop = special.start() if special is not None else len(text)
        if stop > i:  # a run of plain text, measured in one go
            run = text[i:stop]
            out.append(run)
            length += utf16_len(run)
            i = stop
            continue
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if m is None:
                raise bad(f"Unsupported start tag at byte offset {byte_offset(i)}")
            closing, name, attrs, _ = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
            if name not in SUPPORTED_TAGS:
                kind = "end" if closing else "start"
                raise bad(f'Unsupported {kind} tag "{name}" at byte offset {byte_offset(i)}')
            if closing:
                if not stack or stack[-1][0] != name:
                    raise bad(
                        f'Unmatched end tag at byte offset {byte_offset(i)}, expected "</'
                        f'{stack[-1][0] if stack else ""}>", found "</{name}>"'
                    )
                tag, start, extra = stack.pop()
                if length > start:
                    entity = {"type": SUPPORTED_TAGS[tag], "offset": start}
                    entity["length"] = length - start
                    entity.update(extra)
                    entities.append(entity)
            else:
                extra: dict[str, Any] = {}
                found = {k.lower(): a or b or c for k, a, b, c in _ATTR.findall(attrs)}
                if name == "a":
                    href = _unescape(found.get("href", ""))
                    if not href:
                        raise bad(f"Can't find href in <a> at byte offset {byte_offset(i)}")
                    extra["url"] = href
                elif name == "pre" or name == "code":
                    if found.get("class", "").startswith("language-"):
                        extra["language"] = found["class"].removeprefix("language-")
                elif name == "span" and found.get("class") != "tg-spoiler":
                    raise bad(f'Unsupported start tag "span" at byte offset {byte_offset(i)}')
                stack.append((name, length, extra))
            i = m.end()
            continue
        if ch == "&":
            m = _ENTITY.match(text, i)
            if m is not None:
                decoded = _unescape(m.group(0))
                out.append(decoded)
                length += utf16_len(decoded)
                i = m.end()
                continue
        out.append(ch)
        length += utf16_len(ch)
        i += 1
    if stack:
        raise bad(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[name]

    return _ENTITY.sub(one, text)


def text_entities(text: str, bot_username: str | None = None) -> list[dict[str, Any]]:
    """The entities Telegram attaches to a user's text: a bot_command at 0, @mentions."""
    entities: list[dict[str, Any]] = []
    m = _COMMAND.match(text)
    if m:
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))})
    command_end = entities[0]["length"] if entities else 0
    for m in _MENTION.finditer(text):
        offset = utf16_len(text[: m.start()])
        if offset < command_end:
            continue
        entities.append({"type": "mention", "offset": offset, "length": utf16_len(m.group(0))})
    return entities
