"""Remove invisible formatting characters from what a person sent, before it is used.

Bidi overrides and isolates can make echoed text read backwards or hide part of it, zero-width
characters and tag characters can carry text nobody sees, and NUL and other control
characters break logs and terminals. None of them is needed to read a message, so
`clean_text` removes them from user text and command arguments. It keeps what a script or an
emoji needs: newline and tab, the zero-width joiner inside an emoji sequence (👩‍💻), the
zero-width (non-)joiner between letters of the scripts that spell with it (Arabic, Persian,
Indic), and the tag characters of subdivision flags (🏴 England). A message made only of
removed characters and spaces becomes "" (the adapter then answers as to an empty message).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_text"]

_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\u0085]")
# Always removed: C0 controls but tab and newline, DEL and C1 controls, soft hyphen, the Arabic
# letter mark, the Mongolian vowel separator, LRM/RLM, bidi embeddings/overrides/isolates,
# word joiner and invisible operators, deprecated format characters, BOM, interlinear
# annotation marks; and the zero-width space. ZWNJ/ZWJ and tags are decided in context below.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_SUBDIVISION_FLAG = "\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"
_TAGS_OR_FLAG = re.compile(f"{_SUBDIVISION_FLAG}|[\U000e0000-\U000e007f]")
_JOINER = re.compile("[\u200c\u200d]")
# Scripts that use ZWNJ/ZWJ in spelling: Arabic (with Persian, Urdu), Syriac, Thaana, NKo,
# and the Indic scripts from Devanagari to Sinhala.
_JOINING_SCRIPTS = re.compile("[\u0600-\u07ff\u0750-\u077f\u08a0-\u08ff\u0900-\u0dff]")


def clean_text(text: str) -> str:
    """`text` without invisible formatting characters; "" if nothing visible is left."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _TAGS_OR_FLAG.sub(lambda m: m.group() if len(m.group()) > 1 else "", text)
    if "\u200c" in text or "\u200d" in text:
        text = _keep_needed_joiners(text)
    return text if text.strip() else ""


def _keep_needed_joiners(text: str) -> str:
    out: list[str] = []
    for i, char in enumerate(text):
        if _JOINER.fullmatch(char):
            before = text[i - 1] if i else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if not (_in_emoji(before, after, char) or _in_word(before, after)):
                continue
        out.append(char)
    return "".join(out)


def _in_emoji(before: str, after: str, joiner: str) -> bool:
    """ZWJ between pictographs (or after a variation selector or skin tone) joins an emoji."""
    return (
        joiner == "\u200d"
        and bool(before)
        and bool(after)
        and (_pictographic(before) or before == "\ufe0f" or "\U0001f3fb" <= before <= "\U0001f3ff")
        and _pictographic(after)
    )


def _pictographic(char: str) -> bool:
    return unicodedata.category(char) == "So"


def _in_word(before: str, after: str) -> bool:
    return bool(before and after) and all(
        _JOINING_SCRIPTS.match(c) and unicodedata.category(c)[0] in "LM" for c in (before, after)
    )
