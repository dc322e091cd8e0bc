"""Take personal data out of a question before it is kept (`LOG_UNMATCHED=true`).

People paste their e-mail address, phone number, account or case numbers and @handles into
a question. FAQ authors need the question, not those, so each is replaced by a placeholder
in brackets ([email], [phone], [number], [handle]) before anything is written.

Run it on the text as the person wrote it: normalising for matching removes the `@` and the
dots that make an address recognisable. Dates stay (a question about "27.05.2025" is about
the deadline); digits in a grouped run of 7 to 15 count as a phone number, a longer grouped
run or any unbroken run of 6 or more digits as a number.
"""

from __future__ import annotations

import re

__all__ = ["scrub"]

_SEPARATORS = " \t\u00a0().-/"
# Addresses go first, in a pass of their own: in one pass a phone-like run that starts
# earlier ("(0" in "(0@0.0") would take the address's first characters and leave the rest.
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_PATTERN = re.compile(
    r"""
    (?P<link>(?:https?://)?(?:www\.)?(?:t|telegram)\.me/[A-Za-z0-9_]{2,})
    | (?P<handle>(?<![\w@])@[A-Za-z0-9_.]*[A-Za-z0-9_])
    | (?P<date>(?<!\d)(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})(?![\d.-]\d))
    | (?P<digits>(?<![\w+])\+?[(]?\d(?:[ \t\u00a0().\-/]{0,2}\d)*)
    | (?P<run>\d{6,})
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    text = match.group()
    if kind in ("link", "handle"):
        return "[handle]"
    if kind == "date":
        return text
    if kind == "run":  # digits glued to letters: "user1234567"
        return "[number]"
    return _digits(text)


def _digits(text: str) -> str:
    count = sum(c.isdigit() for c in text)
    grouped = text.startswith("+") or any(c in _SEPARATORS for c in text)
    if grouped and 7 <= count <= 15:
        return "[phone]"
    if count >= 16 and grouped:
        return "[number]"
    # Unbroken runs of 6 or more digits inside a shorter group ("12 345678").
    return re.sub(r"\d{6,}", "[number]", text)


def scrub(text: str) -> str:
    """`text` with e-mail addresses, phone numbers, long digit runs and handles replaced."""
    return _PATTERN.sub(_replace, _EMAIL.sub("[email]", text))
