"""split_message: long answers become several Telegram messages, split where a reader expects."""

from __future__ import annotations

import html
import itertools
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render.html import MESSAGE_LIMIT, escape, split_message, visible_length
from tests.support.botapi import ApiError, parse_html

PURE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_TAG = re.compile(r"<[^>]+>")

# Printable words without whitespace (no surrogates); escaped like user text would be.
WORD = st.text(
    st.characters(blacklist_categories=("Cs", "Z", "Cc"), blacklist_characters="\u2028\u2029"),
    min_size=1,
    max_size=12,
)
LINE = st.lists(WORD, min_size=1, max_size=12).map(" ".join)
PARAGRAPH = st.lists(LINE, min_size=1, max_size=4).map("\n".join)
PARAGRAPHS = st.lists(PARAGRAPH, min_size=1, max_size=12)
LIMIT = st.integers(min_value=20, max_value=300)


def plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def words(text: str) -> list[str]:
    return plain(text).split()


def valid_html(part: str) -> bool:
    try:
        parse_html(part)
    except ApiError:
        return False
    return True


def test_short_text_is_one_part_unchanged():
    text = "<b>Title</b>\n\n" + escape("a < b & c") + "\n\nend"
    assert split_message(text) == [text]


def test_exactly_the_limit_is_one_part_and_one_more_is_two():
    assert split_message("a" * MESSAGE_LIMIT) == ["a" * MESSAGE_LIMIT]
    text = "a " * (MESSAGE_LIMIT // 2) + "b"
    assert visible_length(text) == MESSAGE_LIMIT + 1
    assert len(split_message(text)) == 2


def test_entities_count_as_one_character():
    text = "&amp;" * MESSAGE_LIMIT  # 4096 visible characters, 20480 raw
    assert split_message(text) == [text]


def test_a_realistic_long_answer_splits_on_paragraphs_and_keeps_every_paragraph():
    paragraphs = [f"<b>Step {i}</b>: " + " ".join(["objection"] * 60) for i in range(20)]
    text = "\n\n".join(paragraphs)
    assert visible_length(text) > 2 * MESSAGE_LIMIT
    parts = split_message(text)
    assert len(parts) >= 3
    assert all(visible_length(p) <= MESSAGE_LIMIT for p in parts)
    assert [para for p in parts for para in p.split("\n\n")] == paragraphs
    assert all(valid_html(p) for p in parts)


@PURE
@given(PARAGRAPHS, LIMIT)
def test_parts_fit_and_keep_every_word_in_order(paragraphs, limit):
    text = "\n\n".join(escape(p) for p in paragraphs)
    parts = split_message(text, limit)
    assert parts
    assert all(visible_length(p) <= limit for p in parts)
    assert all(p.strip() for p in parts)
    if all(len(w) <= limit // 2 for w in words(text)):
        assert [w for p in parts for w in words(p)] == words(text)
    else:  # a word longer than a message is cut, but no character is lost
        assert "".join(w for p in parts for w in words(p)) == "".join(words(text))


@PURE
@given(PARAGRAPHS, LIMIT)
def test_splits_only_on_paragraph_boundaries_when_paragraphs_fit(paragraphs, limit):
    escaped = [escape(p) for p in paragraphs]
    if not all(visible_length(p) <= limit for p in escaped):
        return
    parts = split_message("\n\n".join(escaped), limit)
    # Every part is whole paragraphs, in the original order, none lost or cut.
    assert [para for p in parts for para in p.split("\n\n")] == escaped
    # Greedy: the next paragraph would not have fitted into the part before it.
    for before, after in itertools.pairwise(parts):
        first = after.split("\n\n")[0]
        assert visible_length(f"{before}\n\n{first}") > limit


@PURE
@given(PARAGRAPHS, LIMIT, st.sampled_from(["b", "i", "code", "u"]))
def test_parts_stay_valid_html_when_tags_stay_within_a_paragraph(paragraphs, limit, tag):
    escaped = [f"<{tag}>{escape(p)}</{tag}>" for p in paragraphs]
    if not all(visible_length(p) <= limit for p in escaped):
        return
    for part in split_message("\n\n".join(escaped), limit):
        assert valid_html(part), part


def test_a_tag_spanning_the_split_point_is_closed_and_reopened():
    text = "<blockquote>" + "\n\n".join(["word " * 600] * 3) + "</blockquote>"
    parts = split_message(text)
    assert len(parts) > 1
    assert all(valid_html(p) for p in parts)


@PURE
@given(PARAGRAPHS, LIMIT, st.sampled_from(["b", "i", "blockquote", "tg-spoiler"]))
def test_parts_stay_valid_html_when_a_tag_spans_paragraphs(paragraphs, limit, tag):
    body = "\n\n".join(escape(p) for p in paragraphs)
    text = f"<{tag}>{body}</{tag}>"
    parts = split_message(text, limit)
    assert all(visible_length(p) <= limit for p in parts)
    assert all(valid_html(p) for p in parts)
    assert [w for p in parts for w in words(p)] == words(text) or any(
        len(w) > limit // 2 for w in words(text)
    )


def test_a_link_is_never_cut_inside_its_tag():
    text = " ".join(f'<a href="https://example.com/{i}">link {i}</a>' for i in range(30))
    for limit in range(20, 80):
        assert all(valid_html(p) for p in split_message(text, limit)), limit


@PURE
@given(st.text("ab<&>é😀", min_size=1, max_size=2000), LIMIT)
def test_one_long_word_is_cut_into_fitting_escaped_pieces(word, limit):
    text = escape(word)
    parts = split_message(text, limit)
    assert all(visible_length(p) <= limit for p in parts)
    assert "".join(plain(p) for p in parts) == word
    assert all(valid_html(p) for p in parts)
