"""`scrub`: no e-mail address, phone number, long number or handle survives, the question does."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.lang.normalize import normalize
from bot.scrub import scrub
from bot.store import analytics
from tests.support.store_fixtures import Backend, backend_fixture, store_fixture  # noqa: F401
from tests.support.store_helpers import StoreForTests

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "mail me at John.Doe+ai@example.co.uk or call +49 170 1234567",
            "mail me at [email] or call [phone]",
        ),
        (
            "my number is 0171-2345678, id 12345678, @quill_handle",
            "my number is [phone], id [number], [handle]",
        ),
        ("(030) 123 4567 please", "[phone] please"),
        ("my phone 555 123 4567 thanks", "my phone [phone] thanks"),
        ("see t.me/quill_handle and https://t.me/someone", "see [handle] and [handle]"),
        ("account user1234567 was hacked", "account user[number] was hacked"),
        ("iban DE89 3704 0044 0532 0130 00", "iban DE89 [number]"),
        ("case 123456 from 2024", "case [number] from 2024"),
        # An address right after an opening bracket and a digit (found by hypothesis).
        ("(0@0.0", "([email]"),
        ("reach me (0jane@example.org)", "reach me ([email])"),
    ],
)
def test_personal_data_becomes_a_placeholder(text: str, expected: str):
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "deadline 27.05.2025 or 2025-05-27?",
        "does meta ai train on instagram posts from 2024",
        "he said 1.5 million users, version 12.3.4, pin 123 456",
        "meta ai on instagram @ 10 am",
        "Ich habe 3 Konten",
        "",
    ],
)
def test_the_question_itself_is_left_alone(text: str):
    assert scrub(text) == text


@given(st.text(alphabet=st.sampled_from("ab1234567890 .+-()@_/x\u00a0\u0663"), max_size=60))
def test_no_long_digit_run_or_address_survives(text: str):
    cleaned = scrub(text)
    assert not re.search(r"\d{6,}", cleaned), (text, cleaned)
    assert not EMAIL.search(cleaned), (text, cleaned)


async def test_the_store_scrubs_unmatched_questions_before_writing(store: StoreForTests):
    day = date(2026, 11, 29)
    raw = "why did jane.roe@example.org get no reply, call +44 20 7946 0958 or @jane_r"
    await analytics.add_unmatched(store.engine, [raw, normalize("my id is 9876543210")], day)
    stored = sorted(await analytics.list_unmatched(store.engine))
    assert stored == sorted(
        ["why did [email] get no reply, call [phone] or [handle]", "my id is [number]"]
    )
    assert not any("jane" in s or "7946" in s or "987654" in s for s in stored)
