"""Telegram's HTML subset: what a sent text may contain, and how long it looks.

Telegram refuses a whole message ("can't parse entities") for one bad tag, so every text
in `faq/` is checked here before the bot may load it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# tag -> attributes it may carry (values checked below)
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "span": frozenset({"class"}),
    "tg-spoiler": frozenset(),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
}
LINK_SCHEMES = ("http", "https", "tg", "mailto")
_NAMED_ENTITIES = ("lt", "gt", "amp", "quot")
_TAG = re.compile(r"<[^>]+>")
_TAG_PARTS = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)\s*(/?)>")
_ATTR = re.compile(r"""\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|([a-zA-Z][a-zA-Z0-9]*));")
_HREF = re.compile(r"""<a\s[^>]*href\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class HtmlIssue:
    offset: int  # where in the text the problem starts
    message: str


def visible_length(text: str) -> int:
    """Length as Telegram counts it: after entity parsing (tags removed, entities decoded)."""
    return len(html.unescape(_TAG.sub("", text)))


def hrefs(text: str) -> list[tuple[int, str]]:
    """(offset, url) of every link in the text."""
    return [
        (m.start(), html.unescape(m.group(1) or m.group(2) or "")) for m in _HREF.finditer(text)
    ]


def _attributes(raw: str) -> dict[str, str | None] | None:
    """Attributes of a tag, or None when they do not parse."""
    attrs: dict[str, str | None] = {}
    pos = 0
    raw = raw.rstrip()
    while pos < len(raw):
        match = _ATTR.match(raw, pos)
        if not match or match.end() == pos:
            return None
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if value is None:
            value = match.group(4)
        attrs[match.group(1).lower()] = value
        pos = match.end()
    return attrs


def _check_tag(name: str, attrs: dict[str, str | None]) -> str | None:
    allowed = ALLOWED_TAGS[name]
    for attr in attrs:
        if attr not in allowed:
            return f"<{name}> cannot have the attribute '{attr}'"
    if name == "span" and attrs.get("class") != "tg-spoiler":
        return '<span> is only allowed as <span class="tg-spoiler">'
    if name == "code" and "class" in attrs and not (attrs["class"] or "").startswith("language-"):
        return '<code class=...> must be class="language-..."'
    if name == "a":
        href = attrs.get("href")
        if not href:
            return '<a> needs href="..."'
        scheme = urlsplit(html.unescape(href).strip()).scheme.lower()
        if scheme not in LINK_SCHEMES:
            shown = f"'{scheme}:'" if scheme else "no scheme"
            return f"link {href!r} has {shown}; use {', '.join(LINK_SCHEMES)}"
    return None


def check_html(text: str) -> list[HtmlIssue]:
    """Every reason Telegram would refuse `text` as HTML (parse_mode=HTML)."""
    issues: list[HtmlIssue] = []
    stack: list[tuple[str, int]] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "&":
            match = _ENTITY.match(text, pos)
            if not match or (match.group(1) and match.group(1) not in _NAMED_ENTITIES):
                issues.append(HtmlIssue(pos, "bare '&': write &amp; (or 'and')"))
                pos += 1
                continue
            pos = match.end()
            continue
        if char != "<":
            pos += 1
            continue
        match = _TAG_PARTS.match(text, pos)
        if not match:
            issues.append(HtmlIssue(pos, "bare '<': write &lt; or close the tag"))
            pos += 1
            continue
        closing, name, raw_attrs, self_closing = match.groups()
        name = name.lower()
        pos = match.end()
        if name not in ALLOWED_TAGS:
            issues.append(HtmlIssue(match.start(), f"tag <{name}> is not allowed by Telegram"))
            continue
        if self_closing:
            issues.append(HtmlIssue(match.start(), f"<{name}/> cannot be self-closing"))
            continue
        if closing:
            if raw_attrs.strip():
                issues.append(HtmlIssue(match.start(), f"</{name}> cannot carry attributes"))
            if not stack:
                issues.append(HtmlIssue(match.start(), f"</{name}> closes nothing"))
            elif stack[-1][0] != name:
                open_name, _ = stack[-1]
                issues.append(
                    HtmlIssue(match.start(), f"</{name}> closes <{open_name}>: tags overlap")
                )
                if any(n == name for n, _ in stack):
                    while stack and stack[-1][0] != name:
                        stack.pop()
                    stack.pop()
            else:
                stack.pop()
            continue
        attrs = _attributes(raw_attrs)
        if attrs is None:
            issues.append(HtmlIssue(match.start(), f"<{name}> has attributes that do not parse"))
        else:
            problem = _check_tag(name, attrs)
            if problem:
                issues.append(HtmlIssue(match.start(), problem))
        stack.append((name, match.start()))
    issues.extend(HtmlIssue(start, f"<{name}> is never closed") for name, start in stack)
    return sorted(issues, key=lambda i: i.offset)


def check_plain(text: str) -> list[HtmlIssue]:
    """Titles and names are plain text: no tags, no entities, nothing to escape."""
    issues = []
    for char, why in (("<", "no tags"), (">", "no tags"), ("&", "write 'and' instead of '&'")):
        at = text.find(char)
        if at >= 0:
            issues.append(HtmlIssue(at, f"plain text cannot contain '{char}' ({why})"))
    return issues
