"""Issue 11 on Telegram: the real PTB application over HTTP to the Bot API stand-in.

The same bullets as tests/unit/test_ux.py and tests/unit/test_answers.py, as a Telegram user meets
them: the region asked once and remembered, a region from the user's language setting,
"More details" as a second message, forgiving commands, readable /privacy, an honest "Later",
one confirmation per tick, small talk and questions about the bot. Wording is compared with
the core (the running bot's own responder) or the knowledge base, not hard-coded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.answers import REGION_PROMPT
from bot.core.context import ChatContext
from bot.core.smalltalk import ABOUT_BOT_TOPIC, SMALL_TALK_REPLIES
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.regions import REGION_NAMES, REGIONS
from bot.render.topics import render_details
from bot.telegram.context import services_of
from tests.e2e.test_telegram_conversation import USER, press, say_one
from tests.support.botapi import BotApiStandIn, parse_html
from tests.support.standin_fixtures import check_wire, running_bot, standin  # noqa: F401

FACEBOOK_TOPIC = "opt-out-facebook"


@pytest.fixture(autouse=True)
async def _wire_rules(standin: BotApiStandIn) -> AsyncIterator[None]:
    yield
    check_wire(standin)


def plain(html: str) -> str:
    return parse_html(html)[0]


async def stored_region(app) -> str | None:
    return (await services_of(app).store.get_settings(USER)).region


async def test_the_region_is_asked_once_then_remembered(standin, running_bot, kb: KnowledgeBase):
    ask = await say_one(standin, "how do i object on facebook")
    assert plain(REGION_PROMPT) in ask.plain
    assert {f"w:{FACEBOOK_TOPIC}:{r}" for r in REGIONS} <= set(ask.callback_data)
    form = kb.platforms["facebook"].routes["eu"].form_url
    assert form in [b.get("url") for b in ask.buttons]
    for route in kb.platforms["facebook"].routes.values():
        assert all(plain(step) not in ask.plain for step in route.steps)

    answer, steps = await press(standin, ask, REGION_NAMES["uk"])
    assert answer.params.get("text") == f"Region: {REGION_NAMES['uk']}"
    assert await stored_region(running_bot) == "uk"
    assert "Facebook: how to object (United Kingdom)" in steps.plain
    again = await say_one(standin, "how do i object on facebook")
    assert plain(REGION_PROMPT) not in again.plain


async def test_a_country_in_telegrams_language_is_used_and_said(
    standin, running_bot, kb: KnowledgeBase
):
    user = {**standin.user, "language_code": "pt-br"}
    mark = standin.mark()
    standin.private_message("how do i object on facebook", user=user)
    [reply] = await standin.wait_for("sendMessage", after=mark)
    # Not clearly English, so Telegram's language answers: Portuguese, for Brazil, and said so.
    note = "Esta é a resposta para a região Brasil (pela configuração de idioma do seu Telegram)"
    assert note in reply.plain
    variant = kb.topics[FACEBOOK_TOPIC].text("pt").regions["br"]
    assert plain(variant).split("\n")[0] in reply.plain
    assert f"w:{FACEBOOK_TOPIC}" in reply.callback_data
    assert await stored_region(running_bot) is None


async def test_more_details_is_a_second_message(standin, running_bot, kb: KnowledgeBase, clock):
    await say_one(standin, "/region eu")
    first = await say_one(standin, "how do i object on facebook")
    answer, details = await press(standin, first, "More details")
    assert answer.ok and details.method == "sendMessage"
    expected = render_details(kb, kb.topics[FACEBOOK_TOPIC], "eu", clock.now())
    assert expected is not None and details.text == expected.text
    assert not standin.calls_for("editMessageText")  # the first message stays as it was


async def test_small_talk_and_questions_about_the_bot(standin, running_bot, kb: KnowledgeBase):
    thanks = await say_one(standin, "thanks!")
    assert thanks.plain == SMALL_TALK_REPLIES["thanks"]
    thumb = await say_one(standin, "👍")
    assert thumb.plain == SMALL_TALK_REPLIES["ok"]
    about = await say_one(standin, "are you from Meta?")
    assert kb.topics[ABOUT_BOT_TOPIC].text().question in about.plain


async def test_forgiving_commands(standin, running_bot):
    typo = await say_one(standin, "/optout fakebook")
    assert "Did you mean Facebook?" in typo.plain and "p:facebook" in typo.callback_data
    zone = await say_one(standin, "/timezone berlin")
    assert "Time zone set: Europe/Berlin" in zone.plain
    offset = await say_one(standin, "/timezone UTC+2")
    assert "Etc/GMT-2, a fixed UTC+2 all year" in offset.plain
    region = await say_one(standin, "/region Germany")
    assert f"Region set: {REGION_NAMES['eu']} (Germany)" in region.plain
    remind = await say_one(standin, "/remind 2 hours 30 min")
    assert "2 hours 30 minutes before each deadline" in remind.plain
    settings = await services_of(running_bot).store.get_settings(USER)
    assert (settings.region, settings.timezone) == ("eu", "Etc/GMT-2")


async def test_later_privacy_and_done_confirm_once(standin, running_bot):
    await say_one(standin, "/region other")
    steps = await say_one(standin, "/optout facebook")
    answer, later = await press(standin, steps, "Later")
    assert "No deadline is coming up" in later.plain
    privacy = await say_one(standin, "/privacy")
    assert f"Region: {REGION_NAMES['other']}" in privacy.plain
    assert "Facebook: ⏰ later" in privacy.plain and "Language: not chosen" in privacy.plain

    mark = standin.mark()
    answer, _ = await press(standin, steps, "Done")
    assert answer.params.get("text") == "Facebook: ✅ done"
    status = await say_one(standin, "/status")  # the press was handled in full before this
    sent = [c for c in standin.calls_for("sendMessage", after=mark) if c is not status]
    assert [c.plain.count("Facebook: ✅ done") for c in sent] == [1]


async def test_the_core_says_the_same_as_telegram(standin, running_bot):
    """What Telegram got is what the core says for the same chat (no adapter wording)."""
    reply = await say_one(standin, "/optout instagarm")
    responder = services_of(running_bot).responder
    (expected,) = await responder.command("optout", "instagarm", ChatContext(chat_id=USER))
    assert reply.text == expected.text
