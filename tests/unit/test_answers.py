"""Phone-first answers: the first message alone, the rest on request, the region asked once.

Replies are compared with the render functions (`render_first_message`, `render_details`,
`render_steps`) and the knowledge base, never with hard-coded answer wording. Features run as
the application wires them, stored for real; Telegram's side is tests/e2e/test_telegram_ux.py.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest

from bot.app import Services, build_services
from bot.clock import FakeClock
from bot.config import load_config
from bot.console import Console, to_plain
from bot.core.answers import REGION_PROMPT, Reader, topic_varies
from bot.core.context import GUESSED_FROM_TELEGRAM, ChatContext, Knowledge, LiveKnowledge
from bot.core.responder import Responder
from bot.core.smalltalk import ABOUT_BOT_TOPIC
from bot.i18n.catalog import translator
from bot.knowledge.audit import FIRST_MESSAGE_BUDGET
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.regions import REGION_NAMES, REGIONS
from bot.knowledge.telegram_html import visible_length
from bot.render.platforms import render_steps
from bot.render.timefmt import format_day
from bot.render.topics import has_details, render_details, render_first_message
from bot.replies import Reply
from bot.store.repository import Store
from tests.support.store_fixtures import backend_fixture, store_fixture  # noqa: F401

CHAT = 6161
FACEBOOK_TOPIC = "opt-out-facebook"
# Room the first message takes beyond the answer: the question, a change line, the checked-on
# line, and the region prompt or note.
FRAME = 400


@pytest.fixture
def services(store: Store, kb: KnowledgeBase, clock: FakeClock) -> Services:
    return build_services(load_config({}), kb, store, clock=clock)


def datas(reply: Reply) -> list[str]:
    return [b.data for b in reply.all_buttons() if b.data]


def urls(reply: Reply) -> list[str]:
    return [b.url for b in reply.all_buttons() if b.url]


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", to_plain(text))


# -- the first message -------------------------------------------------------------------------
async def test_every_first_message_is_the_topics_own_and_fits_a_phone(
    responder: Responder, kb: KnowledgeBase, clock: FakeClock
):
    for topic in kb.topics.values():
        for region in ("eu", "uk", "br", "us", "other"):
            reply = responder.topic_reply(topic, ChatContext(chat_id=1, region=region))
            first = render_first_message(kb, topic, region, clock.now())
            assert reply.text == first.text, (topic.id, region)
            assert visible_length(reply.text) <= FIRST_MESSAGE_BUDGET + FRAME, (topic.id, region)
            buttons = datas(reply)
            assert f"s:{topic.id}" in buttons
            assert (f"m:{topic.id}" in buttons) == has_details(topic, region), (topic.id, region)
            if topic.platform:
                assert f"p:{topic.platform}" in buttons, (topic.id, region)
            related = [r for r in topic.related if r in kb.topics]
            assert related and f"t:{related[0]}" in buttons


async def test_more_details_is_the_rest_for_the_same_region(
    responder: Responder, kb: KnowledgeBase, clock: FakeClock
):
    shown = 0
    for topic in kb.topics.values():
        for region in ("eu", "other", None):
            if not has_details(topic, region):
                continue
            ctx = ChatContext(chat_id=1, region=region)
            (details,) = await responder.callback(f"m:{topic.id}", ctx)
            expected = render_details(kb, topic, region, clock.now())
            assert expected is not None and details.text == expected.text
            assert f"t:{topic.id}" in datas(details) and f"s:{topic.id}" in datas(details)
            shown += 1
    assert shown > len(kb.topics)


async def test_the_form_link_is_a_button_where_the_reader_can_object(
    responder: Responder, kb: KnowledgeBase
):
    facebook = kb.platforms["facebook"]
    topic = kb.topics[FACEBOOK_TOPIC]
    eu = responder.topic_reply(topic, ChatContext(chat_id=1, region="eu"))
    assert urls(eu) == [facebook.routes["eu"].form_url]
    elsewhere = responder.topic_reply(topic, ChatContext(chat_id=1, region="other"))
    assert urls(elsewhere) == []


# -- the region: asked once, guessed and said, remembered ----------------------------------------
async def test_without_a_region_the_answer_asks_once_and_shows_no_regions_blocks(
    services: Services, kb: KnowledgeBase, store
):
    ctx = await services.chat_context(CHAT)
    turn = await services.responder.text("how do i object on facebook", ctx)
    assert turn.topic == FACEBOOK_TOPIC
    (reply,) = turn.replies
    assert REGION_PROMPT in reply.text
    assert {f"w:{FACEBOOK_TOPIC}:{r}" for r in REGIONS} <= set(datas(reply))
    facebook = kb.platforms["facebook"]
    assert urls(reply) == [facebook.routes["eu"].form_url]  # the one form, as a link
    for route in facebook.routes.values():  # no region's steps, no "What to expect"
        for step in route.steps:
            assert plain(step) not in plain(reply.text)
    assert "What to expect" not in reply.text
    for region, variant in kb.topics[FACEBOOK_TOPIC].text().regions.items():
        assert plain(variant)[:40] not in plain(reply.text), region

    (chosen,) = await services.responder.callback(f"w:{FACEBOOK_TOPIC}:eu", ctx)
    assert (await store.get_settings(CHAT)).region == "eu"
    assert chosen.text.startswith(f"📍 Region set: <b>{REGION_NAMES['eu']}</b>")
    assert render_steps(facebook, "eu") in chosen.text
    assert "c:facebook:done" in datas(chosen)

    again = await services.responder.text(
        "how do i object on facebook", await services.chat_context(CHAT)
    )
    assert REGION_PROMPT not in again.replies[0].text  # asked once: now it is known


async def test_a_region_whose_answer_differs_gets_that_answer(services: Services, kb):
    ctx = await services.chat_context(CHAT)
    (reply,) = await services.responder.callback(f"w:{FACEBOOK_TOPIC}:other", ctx)
    variant = kb.topics[FACEBOOK_TOPIC].text().regions["other"]
    assert plain(variant)[:60] in plain(reply.text)
    assert "What to expect" not in reply.text


async def test_a_region_from_telegrams_language_is_used_and_said_not_stored(
    services: Services, kb: KnowledgeBase, store
):
    ctx = await services.chat_context(CHAT, language_code="pt-br")
    assert (ctx.region, ctx.region_guess) == (None, "br")
    (reply,) = (await services.responder.text("how do i object on facebook", ctx)).replies
    assert ctx.language == "pt"  # Telegram's language: the note and prompt are Portuguese too
    _ = translator("pt").gettext
    assert _(REGION_PROMPT) != REGION_PROMPT and _(REGION_PROMPT) not in reply.text
    note = _("📍 This is the answer for <b>{region}</b> (your Telegram language setting).")
    assert note.format(region=_(REGION_NAMES["br"])) in reply.text
    assert "<b>Brasil</b>" in reply.text  # the region's name, translated
    assert f"w:{FACEBOOK_TOPIC}" in datas(reply)  # the one-tap change
    variant = kb.topics[FACEBOOK_TOPIC].text(ctx.language).regions["br"]  # Portuguese
    assert plain(variant)[:60] in plain(reply.text)
    assert (await store.get_settings(CHAT)).region is None
    (prompt,) = await services.responder.callback(f"w:{FACEBOOK_TOPIC}", ctx)
    assert prompt.text == _(REGION_PROMPT)
    for code in ("de", "en", "es-419", None):  # no country in the tag: nothing to guess
        assert (await services.chat_context(CHAT, language_code=code)).region_guess is None


def test_the_note_on_a_guessed_region_is_in_the_readers_language():
    assert Reader("eu", "PL").note("en") == (
        "📍 This is the answer for <b>EU / EEA</b> (you mentioned Poland)."
    )
    assert Reader("eu", "PL").note("de") == (
        "📍 Diese Antwort gilt für die Region <b>EU / EWR</b> (genannt: Polen)."
    )
    assert "(vous avez mentionné : Union européenne)" in Reader("eu", "EU").note("fr")
    assert "(your Telegram language setting)" in Reader("br", GUESSED_FROM_TELEGRAM).note("en")
    assert Reader("eu").note("de") == ""  # a region the reader chose needs no note


async def test_a_country_named_in_the_question_is_used_and_said(services: Services, store):
    ctx = await services.chat_context(CHAT)
    (reply,) = (
        await services.responder.text("I'm from Poland, how do I object on Facebook?", ctx)
    ).replies
    assert f"answer for <b>{REGION_NAMES['eu']}</b> (you mentioned Poland)" in reply.text
    assert (await store.get_settings(CHAT)).region is None
    await services.responder.message("/region uk", ctx)
    ctx = await services.chat_context(CHAT)
    question = "I'm from Poland, how do I object on Facebook?"
    (reply,) = (await services.responder.text(question, ctx)).replies
    assert "you mentioned" not in reply.text  # a region the chat chose is not second-guessed
    assert (
        reply.text
        == render_first_message(
            services.knowledge.kb,
            services.knowledge.kb.topics[FACEBOOK_TOPIC],
            "uk",
            services.clock.now(),
        ).text
    )


async def test_topics_that_do_not_differ_by_region_never_ask(responder: Responder, kb):
    for topic in kb.topics.values():
        reply = responder.topic_reply(topic, ChatContext(chat_id=1))
        assert (REGION_PROMPT in reply.text) == topic_varies(kb, topic, "en"), topic.id


async def test_optout_without_a_region_asks_then_gives_the_steps(services: Services, kb):
    ctx = await services.chat_context(CHAT)
    (prompt,) = (await services.responder.message("/optout instagram", ctx)).replies
    assert REGION_PROMPT in prompt.text and "g:instagram:uk" in datas(prompt)
    (steps,) = await services.responder.callback("g:instagram:uk", ctx)
    assert render_steps(kb.platforms["instagram"], "uk") in steps.text


async def test_the_console_asks_for_the_region_and_a_number_answers_it(services: Services, kb):
    out = io.StringIO()
    console = Console(services, out)
    await console.handle("how do i object on facebook")
    key = next(k for k, v in console.choices.items() if v == f"w:{FACEBOOK_TOPIC}:eu")
    assert "Where do you live?" in out.getvalue()
    assert f"-> 🔗 Open the Facebook form: {kb.platforms['facebook'].routes['eu'].form_url}" in (
        out.getvalue()
    )
    await console.handle(key)
    assert "Facebook: how to object (EU / EEA)" in out.getvalue()
    assert (await services.store.get_settings(1)).region == "eu"


# -- only what concerns the reader -------------------------------------------------------------
async def test_disputes_are_shown_only_to_readers_they_concern(
    responder: Responder, kb: KnowledgeBase
):
    topic = kb.topics["outside-eu"]
    assert topic.disputed is not None and "Switzerland" in topic.disputed.summary
    for region, shown in (("ch", True), ("eu", True), ("us", False), ("other", False)):
        (details,) = await responder.callback(f"m:{topic.id}", ChatContext(region=region))
        assert ("Sources disagree" in details.text) is shown, region


def test_no_expectations_on_a_route_without_an_objection(kb: KnowledgeBase):
    for platform in kb.platforms.values():
        for region in REGIONS:
            found = platform.route_for(region)
            if found is None:
                continue
            text = render_steps(platform, region)
            assert ("What to expect" in text) is found[1].available, (platform.id, region)


async def test_every_date_says_how_long_ago(knowledge: Knowledge, kb: KnowledgeBase):
    later = FakeClock(datetime(2026, 12, 1, 9, tzinfo=UTC))  # after every `verified` date
    responder = Responder(LiveKnowledge(knowledge), later)
    topic = kb.topics[FACEBOOK_TOPIC]
    reply = responder.topic_reply(topic, ChatContext(region="eu"))
    checked = f"Checked against {len(topic.sources)} sources on {format_day(topic.verified)}"
    assert re.search(re.escape(checked) + r" \((today|yesterday|\d+ days ago)\)\.", reply.text)
    (sources,) = await responder.callback(f"s:{topic.id}", ChatContext(region="eu"))
    dated = [s for s in topic.sources if s.date]
    assert dated
    for line in sources.text.splitlines():
        if re.search(r"\d{1,2} \w{3} 20\d\d", line):
            assert re.search(r"20\d\d \(.*(ago|today|yesterday)\)", line), line
    assert re.search(r"Last checked: .+ \((today|yesterday|.+ ago)\)", sources.text)


# -- questions about the bot ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    ["who runs you", "are you from Meta", "is this official", "are you a scam", "who are you"],
)
async def test_questions_about_the_bot_get_the_about_this_bot_answer(
    responder: Responder, kb: KnowledgeBase, question
):
    turn = await responder.text(question, ChatContext(chat_id=1))
    assert turn.outcome == "answer" and turn.topic == ABOUT_BOT_TOPIC
    assert kb.topics[ABOUT_BOT_TOPIC].text().question in turn.replies[0].text


def test_no_source_title_says_staging(kb: KnowledgeBase):
    titles = [s.title for t in kb.topics.values() for s in t.sources]
    titles += [s.title for p in kb.platforms.values() for s in p.sources]
    titles += [s.title for d in kb.deadlines.values() for s in d.sources]
    assert titles and not [t for t in titles if "staging" in t.lower()]
