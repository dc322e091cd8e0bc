"""Invisible characters and captions, through the real bot (issue 16, item 6).

What the core answers is the reference: a message is answered exactly as the same text
without its invisible characters, a message of only such characters gets the empty-message
help, and a photo's caption is answered as a text message with that caption would be.
"""

from __future__ import annotations

import pytest

from bot.core.context import ChatContext
from bot.core.responder import Responder
from bot.render.html import split_message
from bot.telegram.context import services_of
from tests.support.botapi import BotApiStandIn, Call
from tests.support.standin_fixtures import check_wire, running_bot, standin  # noqa: F401 - fixtures

USER = 1001  # the stand-in's default user and private chat


async def reply_to(standin: BotApiStandIn, send) -> Call:
    mark = standin.mark()
    send()
    [call] = await standin.wait_for("sendMessage", after=mark, where=lambda c: c.chat_id == USER)
    return call


@pytest.mark.parametrize(
    "text", ["\u200b", "\u202e\u2066\u200b\u2069", "\x00\x01 \ufeff", "\u200d\u200c\u2060"]
)
async def test_a_message_of_only_invisible_characters_gets_the_empty_message_help(
    standin: BotApiStandIn, running_bot, responder: Responder, text: str
):
    call = await reply_to(standin, lambda: standin.private_message(text))
    assert call.text == responder.empty_reply().text
    check_wire(standin)


@pytest.mark.parametrize(
    ("sent", "clean"),
    [
        ("/optout \u200binsta\u200bgram", "/optout instagram"),
        ("/optout \u202eInstagram\u202c", "/optout Instagram"),
        ("/timezone Europe/\u200bBerlin\x00", "/timezone Europe/Berlin"),
        ("how do I opt out of \u2066instagram\u2069?", "how do I opt out of instagram?"),
    ],
)
async def test_invisible_characters_are_removed_from_text_and_command_arguments(
    standin: BotApiStandIn, running_bot, sent: str, clean: str
):
    call = await reply_to(standin, lambda: standin.private_message(sent))
    services = services_of(running_bot)
    ctx = await services.chat_context(USER, USER)
    [expected] = (await services.responder.message(clean, ctx)).replies
    assert call.text == expected.text  # the reply to the text without them
    check_wire(standin)


async def test_a_photo_with_a_caption_is_answered_from_its_caption(
    standin: BotApiStandIn, running_bot, responder: Responder
):
    caption = "can Meta use my instagram photos for AI?"
    call = await reply_to(standin, lambda: standin.photo_message(caption=caption))
    [expected] = (await responder.message(caption, ChatContext(chat_id=USER))).replies
    assert call.text == expected.text

    # A command in a caption is a command, as in a text message.
    call = await reply_to(standin, lambda: standin.photo_message(caption="/deadline"))
    [expected] = await responder.command("deadline", "", ChatContext(chat_id=USER))
    assert call.text == split_message(expected.text)[0]
    check_wire(standin)
