"""`clean_text`: invisible formatting goes, what a script or an emoji needs stays."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.textclean import clean_text

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
CONTROLS = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n") + "\x7f\x85\x9f"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u202egnp.exe", "gnp.exe"),  # an override that makes "exe.png" read backwards
        ("opt\u200bout", "optout"),
        ("\u2066/remind\u2069 3d", "/remind 3d"),
        ("\ufeffhello", "hello"),
        ("nul\x00byte and bell\x07", "nulbyte and bell"),
        ("soft\u00adhyphen", "softhyphen"),
        ("\u200emixed\u200f", "mixed"),
        ("hidden\U000e0041\U000e0042 tags", "hidden tags"),  # tag characters: unseen text
        ("line1\r\nline2\rline3\u2028line4", "line1\nline2\nline3\nline4"),
        ("keeps\ttabs\nand newlines", "keeps\ttabs\nand newlines"),
    ],
)
def test_invisible_characters_are_removed(text: str, expected: str):
    assert clean_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", " ", BIDI, ZERO_WIDTH, CONTROLS, f" {BIDI}\u200b \x00 {ZERO_WIDTH}\n\t"],
)
def test_a_message_of_only_such_characters_is_empty(text: str):
    assert clean_text(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "👩\u200d💻 coder",  # ZWJ sequences are one emoji
        "👨\u200d👩\u200d👧 family",
        "🏳\ufe0f\u200d🌈 flag",
        "👍🏽\u200d♂\ufe0f",
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f England",
        "می\u200cخواهم",  # Persian spells "I want" with ZWNJ
        "क्\u200dष",  # Devanagari: ZWJ selects a half form
        "Grüße, ¿qué tal? 日本語 🙂",
    ],
)
def test_what_a_script_or_an_emoji_needs_stays(text: str):
    assert clean_text(text) == text


def test_joiners_outside_emoji_and_joining_scripts_go():
    assert clean_text("ad\u200dmin a\u200cb 👩\u200d x\u200d💻") == "admin ab 👩 x💻"


@given(st.text())
def test_nothing_invisible_survives_and_cleaning_twice_changes_nothing(text: str):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    for char in cleaned:
        category = unicodedata.category(char)
        assert char in "\t\n" or category != "Cc", (text, cleaned)
        assert char not in BIDI + "\u200b\u2060\ufeff\u00ad\u200e\u200f", (text, cleaned)
