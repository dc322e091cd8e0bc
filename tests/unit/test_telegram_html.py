"""Telegram's HTML subset: what a sent text may contain."""

from __future__ import annotations

import pytest

from bot.knowledge.telegram_html import check_html, check_plain, hrefs, visible_length


@pytest.mark.parametrize(
    "text",
    [
        "Plain words.",
        "<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>n</ins>",
        "<s>s</s> <strike>x</strike> <del>d</del> <tg-spoiler>t</tg-spoiler>",
        '<span class="tg-spoiler">hidden</span>',
        '<a href="https://example.org/a?b=1&amp;c=2">link</a> <a href="tg://resolve?domain=x">t</a>',
        '<a href="mailto:someone@example.org">mail</a> <a href="http://example.org">old</a>',
        '<code>x</code> <pre>y</pre> <pre><code class="language-python">z</code></pre>',
        "<blockquote>q</blockquote> <blockquote expandable>long</blockquote>",
        "Tom &amp; Jerry &lt;3 &gt; &quot;x&quot; &#169; &#x1F600;",
        "<b>nested <i>fine</i></b>",
        "Settings → Privacy > AI",
        "{{deadline:eu-training-start}}",
    ],
)
def test_valid_texts(text: str):
    assert check_html(text) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<script>alert(1)</script>", "tag <script> is not allowed"),
        ("<b>never closed", "<b> is never closed"),
        ("<b><i>overlap</b></i>", "tags overlap"),
        ("closes </i> nothing", "</i> closes nothing"),
        ("Tom & Jerry", "bare '&'"),
        ("&nbsp;space", "bare '&'"),
        ("1 < 2", "bare '<'"),
        ('<a href="javascript:alert(1)">x</a>', "'javascript:'"),
        ('<a href="ftp://example.org/f">x</a>', "'ftp:'"),
        ('<a href="/relative">x</a>', "no scheme"),
        ("<a>no href</a>", '<a> needs href="..."'),
        ('<span class="red">x</span>', "tg-spoiler"),
        ('<b class="x">x</b>', "cannot have the attribute 'class'"),
        ('<a href="https://x.org" onclick="x()">x</a>', "attribute 'onclick'"),
        ("<br/>", "tag <br> is not allowed"),
        ("<img src=x>", "tag <img> is not allowed"),
    ],
)
def test_invalid_texts(text: str, message: str):
    issues = check_html(text)
    assert any(message in issue.message for issue in issues), issues


def test_issue_offsets_point_at_the_problem():
    text = "Fine.\nStill fine & then <script>"
    offsets = [i.offset for i in check_html(text)]
    assert offsets == [text.index("&"), text.index("<script>")]


def test_plain_text_has_no_markup():
    assert check_plain("Object on Instagram") == []
    assert {i.message for i in check_plain("Q&A <b>x</b>")} == {
        "plain text cannot contain '<' (no tags)",
        "plain text cannot contain '>' (no tags)",
        "plain text cannot contain '&' (write 'and' instead of '&')",
    }


def test_visible_length_and_links():
    text = '<b>Hi</b> &amp; <a href="https://a.example.org/x?y=1&amp;z=2">there</a>'
    assert visible_length(text) == len("Hi & there")
    assert hrefs(text) == [(text.index("<a"), "https://a.example.org/x?y=1&z=2")]
