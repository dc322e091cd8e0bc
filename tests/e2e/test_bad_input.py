"""Bad input: every odd message gets a friendly reply and the bot goes on.

Through the real handlers and the Bot API stand-in where Telegram can carry the input, and
through the Responder where it cannot (Telegram never delivers an empty or whitespace-only
message). Property tests feed arbitrary text to the matcher, the core and the running bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import callbacks
from bot.core.context import ChatContext, Knowledge
from bot.core.responder import Responder, stale
from bot.render.html import escape, split_message
from bot.telegram.handlers import SORRY
from tests.support.botapi import BotApiStandIn, Call, parse_html
from tests.support.standin_fixtures import check_wire, running_bot, standin  # noqa: F401

USER = 1001
OUTCOMES = {"answer", "clarify", "fallback"}
TRACEBACK_MARKERS = ("Traceback", 'File "', "Error:", "Exception", "NoneType")

PURE = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
OVER_HTTP = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Any Unicode text without lone surrogates (which cannot be sent as UTF-8 at all).
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=5000)

BAD_MESSAGES = {
    "4096 characters": ("how do i opt out of instagram " * 200)[:4096],
    "4096 characters, one word": "x" * 4096,
    "only emoji": "😀🙈🔥💯👍🏽🇪🇺",
    "one emoji": "🤖",
    "control characters": "opt\x00out\x07 of\x1b[31m instagram\x08\x7f",
    "zero-width": "\u200bopt\u200c-out\u200d insta\ufeffgram\u2060",
    "only zero-width": "\u200b\u200c\u200d\ufeff",
    "right-to-left": "كيف أعترض على استخدام بياناتي في إنستغرام؟",
    "rtl override": "\u202egnp.exe \u202dinstagram opt out\u202c",
    "hebrew": "איך אני מבטל את ההסכמה באינסטגרם",
    "500-character word": "a" * 500,
    "500-character word with a question": "how do i opt out " + "z" * 500,
    "html": "<b>hi</b> & <script>alert(1)</script>",
    "html entity": "&lt;b&gt; &amp;amp; &#x3C;",
    "telegram html in a question": '<a href="javascript:x">opt out</a> <tg-spoiler>x</tg-spoiler>',
    "punctuation only": "?!?!... ,,, ;;; ---",
    "digits only": "1234567890",
    "newlines": "opt\n\n\nout\r\n\r\ninstagram",
    "combining marks": "i\u0301n\u0301s\u0301t\u0301a\u0301" * 20,
    "cjk": "如何退出Meta的AI训练？",
    "mixed scripts": "Как opt-out из инстаграм AI 训练 🙏",
    "slash alone": "/",
    "double slash": "//optout",
    "slash space": "/ help",
    "unknown command": "/foo",
    "unknown command with args": "/foo bar baz",
    "long unknown command": "/" + "x" * 32,
    "command with emoji": "/😀",
    "optout garbage": "/optout garbage",
    "optout 1000": "/optout " + "a" * 1000,
    "optout html": "/optout <b>instagram</b>",
    "optout rtl": "/optout \u202einstagram",
    "optout many words": "/optout " + " ".join(["facebook"] * 200),
    "faq garbage page": "/faq -1",
    "faq huge page": "/faq 99999999999999999999",
    "start with payload": "/start <script>",
    "help with args": "/help me please",
    "deadline with args": "/deadline tomorrow?",
}


def assert_friendly(text: str, plain: str | None = None) -> None:
    """Non-empty, no traceback, valid Telegram HTML that fits one message."""
    assert text.strip()
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"{marker!r} in {text!r}"
    parsed, _ = parse_html(text)  # raises on HTML Telegram would reject
    assert 0 < len(parsed) <= 4096
    if plain is not None:
        assert plain == parsed


@pytest.fixture(autouse=True)
async def _wire_rules(standin: BotApiStandIn) -> AsyncIterator[None]:
    yield
    check_wire(standin)


async def exchange(standin: BotApiStandIn, text: str) -> list[Call]:
    """Send a private message; return every message the bot sent back (split parts too)."""
    mark = standin.mark()
    standin.private_message(text)
    [first] = await standin.wait_for("sendMessage", after=mark, where=_to_user)
    # The last part of a reply carries the buttons; wait for it if the reply was split.
    last = first
    while not last.buttons:
        found = await standin.wait_for("sendMessage", after=last.index + 1, where=_to_user)
        last = found[0]
    return standin.calls_for("sendMessage", after=mark, where=_to_user)


def _to_user(call: Call) -> bool:
    return call.chat_id == USER


# -- through Telegram ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(BAD_MESSAGES))
async def test_bad_input_gets_a_friendly_reply_and_the_bot_keeps_serving(
    standin,
    running_bot,
    name: str,
):
    calls = await exchange(standin, BAD_MESSAGES[name])
    for call in calls:
        assert call.ok
        assert call.text != SORRY, "the handler failed"
        assert_friendly(call.text, call.plain)
    # ... and the next message is answered as usual.
    [after] = await exchange(standin, "/help")
    assert "/optout" in after.plain


async def test_user_html_is_escaped_never_echoed_raw(
    standin,
    running_bot,
):
    nasty = "<b>hi</b> & <script>"
    [call] = await exchange(standin, nasty)
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;" in call.text
    assert "<script>" not in call.text and "<b>hi</b>" not in call.text
    assert nasty in call.plain  # what the user sees is what they typed
    [call] = await exchange(standin, "/optout <b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in call.text and "<b>x</b>" in call.plain
    [call] = await exchange(standin, "/<i>")
    assert "<i>" not in call.text


@pytest.mark.parametrize("data", ["t:no-such-topic", "zzz", "", "t:" + "a" * 62, "é" * 40])
async def test_forged_callback_data_gets_the_out_of_date_reply(
    standin,
    running_bot,
    responder: Responder,
    data: str,
):
    [menu] = await exchange(standin, "/start")
    mark = standin.mark()
    query_id = standin.callback_query(menu, data)["callback_query"]["id"]
    [answer] = await standin.wait_for("answerCallbackQuery", after=mark)
    assert answer.ok and answer.params["callback_query_id"] == query_id
    [reply] = await standin.wait_for("sendMessage", after=mark)
    assert reply.text == stale().text
    [after] = await exchange(standin, "/help")
    assert after.ok


@OVER_HTTP
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=4096))
async def test_arbitrary_text_through_the_running_bot_always_gets_a_friendly_reply(
    standin,
    running_bot,
    text: str,
):
    if not text.strip():  # Telegram does not deliver blank messages
        return
    for call in await exchange(standin, text):
        assert call.ok and call.text != SORRY
        assert_friendly(call.text, call.plain)


# -- through the core (inputs Telegram cannot carry) ----------------------------------------------
@pytest.mark.parametrize("text", ["", " ", "   \n\t  ", "\u00a0\u2003", "\n\n"])
async def test_empty_or_blank_text_gets_the_prompt(responder: Responder, text: str):
    [reply] = (await responder.text(text, ChatContext(chat_id=USER))).replies
    assert reply == responder.empty_reply()
    assert_friendly(reply.text)
    assert reply.all_buttons()


async def test_none_callback_data_is_stale(responder: Responder):
    [reply] = await responder.callback(None, ChatContext(chat_id=USER))
    assert reply == stale()


@pytest.mark.parametrize("name", sorted(BAD_MESSAGES))
async def test_bad_input_through_the_core_matches_what_telegram_sent(
    responder: Responder, name: str
):
    # The same inputs without HTTP, in every region: a region-specific answer must not break.
    for region in (None, "eu", "uk", "ch", "br", "other"):
        ctx = ChatContext(chat_id=USER, region=region)
        for reply in await _respond(responder, BAD_MESSAGES[name], ctx):
            _check_reply(reply)


async def _respond(responder: Responder, text: str, ctx: ChatContext):
    return (await responder.message(text, ctx)).replies


def _check_reply(reply) -> None:
    assert reply.text.strip()
    for part in split_message(reply.text):
        assert_friendly(part)
    for button in reply.all_buttons():
        assert button.label.strip()
        if button.data is not None:
            assert len(button.data.encode("utf-8")) <= 64
            assert callbacks.decode(button.data) is not None


# -- properties ----------------------------------------------------------------------------------
@PURE
@given(text=ANY_TEXT)
def test_the_matcher_never_raises_and_returns_a_valid_outcome(knowledge: Knowledge, text: str):
    result = knowledge.matcher.match(text)
    assert result.outcome in OUTCOMES
    assert (result.topic is not None) == (result.outcome == "answer")
    if result.topic is not None:
        assert result.topic in knowledge.kb.topics
    assert len(result.candidates) <= 3 or result.outcome != "clarify"
    assert all(c.topic in knowledge.kb.topics for c in result.candidates)


@PURE
@given(text=ANY_TEXT)
async def test_any_text_through_the_core_gives_a_valid_reply(responder: Responder, text: str):
    replies = (await responder.text(text, ChatContext(chat_id=USER))).replies
    assert len(replies) >= 1
    for reply in replies:
        _check_reply(reply)


@PURE
@given(
    name=st.text(st.characters(blacklist_categories=("Cs", "Z", "Cc")), min_size=1, max_size=40),
    args=ANY_TEXT,
)
async def test_any_command_through_the_core_gives_a_valid_reply(
    responder: Responder, name: str, args: str
):
    replies = await responder.command(name, args, ChatContext(chat_id=USER))
    assert len(replies) >= 1
    for reply in replies:
        _check_reply(reply)


CALLBACK_DATA = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda kind, arg: f"{kind}:{arg}",
        st.sampled_from(sorted(callbacks.KINDS)),
        st.text("abcdefghijklmnopqrstuvwxyz0123456789-:", max_size=60),
    ),
)


@PURE
@given(data=CALLBACK_DATA)
async def test_any_callback_data_through_the_core_gives_a_valid_reply(
    responder: Responder, data: str
):
    replies = await responder.callback(data, ChatContext(chat_id=USER))
    assert len(replies) >= 1
    for reply in replies:
        _check_reply(reply)


def test_escape_is_what_the_bot_uses_for_user_text():
    # The HTML test above relies on this: the core escapes <, > and &, and Telegram unescapes.
    assert escape("<b>hi</b> & <script>") == "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;"
    assert parse_html(escape("<b>hi</b> & <script>"))[0] == "<b>hi</b> & <script>"
