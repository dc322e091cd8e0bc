"""The bot on Telegram, end to end: the real PTB application over real HTTP to a Bot API stand-in.

Each test starts the stand-in and the application, talks to the bot as a Telegram user would
(updates through getUpdates) and checks what the bot sent back. What is sent must be exactly
what the framework-free core (Responder) says, so these tests never hard-code answer wording:
they compare with the core and with the knowledge base. After every test, `check_wire`
checks every recorded call against Telegram's rules (HTML, 4,096 characters, 64 bytes).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram.error import BadRequest

from bot import callbacks
from bot.core.commands import Router
from bot.core.context import ChatContext, Knowledge
from bot.core.responder import COMMANDS, Responder, stale
from bot.knowledge.model import REGIONS, KnowledgeBase
from bot.render.html import split_message
from bot.replies import Button, Reply
from bot.telegram.context import services_of
from bot.telegram.handlers import NOT_TEXT, SORRY
from tests.conftest import ROOT
from tests.support.botapi import BotApiStandIn, Call, parse_html, text_entities
from tests.support.botapi.wire import _read_request
from tests.support.standin_fixtures import TOKEN, check_wire, running_bot, standin  # noqa: F401

USER = 1001  # the stand-in's default user, whose private chat id is the same
GROUP = -1001234567890
INSTAGRAM_TOPIC = "opt-out-instagram"
VAGUE_CANDIDATES = ("meta", "ai data", "facebook", "data", "ai", "training", "account", "privacy")


@pytest.fixture(autouse=True)
async def _wire_rules(standin: BotApiStandIn) -> AsyncIterator[None]:
    yield
    check_wire(standin)


@pytest.fixture
def ctx() -> ChatContext:
    return ChatContext(chat_id=USER)


# -- helpers -------------------------------------------------------------------------------
async def say(standin: BotApiStandIn, text: str, parts: int = 1) -> list[Call]:
    """Send a private message; return the bot's reply messages to this user."""
    mark = standin.mark()
    standin.private_message(text)
    return await standin.wait_for("sendMessage", parts, after=mark, where=_to(USER))


async def say_one(standin: BotApiStandIn, text: str) -> Call:
    [call] = await say(standin, text)
    return call


async def press(
    standin: BotApiStandIn,
    message: Call | dict,
    label: str | None = None,
    data: str | None = None,
) -> tuple[Call, Call]:
    """Press a button (by label, or forge callback `data`); return (answer, reply) calls."""
    mark = standin.mark()
    if label is not None:
        update = standin.press(message, label)
    else:
        update = standin.callback_query(message, data)
    query_id = update["callback_query"]["id"]
    [answer] = await standin.wait_for(
        "answerCallbackQuery",
        after=mark,
        where=lambda c: c.params.get("callback_query_id") == query_id,
    )
    [reply] = await standin.wait_for(
        None, after=mark, where=lambda c: c.method in ("sendMessage", "editMessageText")
    )
    return answer, reply


async def eventually(predicate, timeout: float = 5.0) -> None:
    """Wait for something that leaves no call behind (a log line); polls briefly."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def logged_error(caplog: pytest.LogCaptureFixture):
    return lambda: any("error while handling an update" in r.getMessage() for r in caplog.records)


def _to(chat_id: int):
    return lambda c: c.chat_id == chat_id


def button_data(reply: Reply) -> list[str]:
    return [b.data for b in reply.all_buttons() if b.data]


def find_vague_question(knowledge: Knowledge) -> str:
    for question in VAGUE_CANDIDATES:
        result = knowledge.matcher.match(question)
        if result.outcome == "clarify" and result.candidates:
            return question
    for topic in knowledge.kb.topics.values():  # any one-word title that is ambiguous
        for word in topic.title.split():
            result = knowledge.matcher.match(word)
            if result.outcome == "clarify" and result.candidates:
                return word
    pytest.fail("no question in the knowledge base leads to a clarify outcome")


@pytest.fixture
def responder(running_bot) -> Responder:
    """The running bot's own responder, with the per-chat features it was built with."""
    return services_of(running_bot).responder


# -- start-up --------------------------------------------------------------------------------
async def test_start_up_calls_getme_deletewebhook_and_sets_our_commands(
    standin: BotApiStandIn,
    running_bot,
    responder: Responder,
):
    methods = [c.method for c in standin.calls]
    assert methods[0] == "getMe"
    assert "deleteWebhook" in methods
    first_poll = methods.index("getUpdates") if "getUpdates" in methods else len(methods)
    assert methods.index("deleteWebhook") < first_poll  # no polling while a webhook is set
    [commands] = [c for c in standin.calls_for("setMyCommands") if "language_code" not in c.params]
    sent = [c["command"] for c in commands.params["commands"]]
    assert sent == [name for name, _ in responder.menu]
    assert sent[: len(COMMANDS)] == [name for name, _ in COMMANDS]
    assert {"start", "help", "faq", "optout", "deadline"} <= set(sent)
    assert {"remind", "status", "region", "timezone", "privacy", "forget"} <= set(sent)
    assert running_bot.bot.username == standin.username
    assert [c.command for c in await running_bot.bot.get_my_commands()] == sent


# -- commands and answers ----------------------------------------------------------------------
async def test_start_replies_with_the_welcome_and_menu_buttons(
    standin,
    running_bot,
    responder: Responder,
    ctx: ChatContext,
):
    call = await say_one(standin, "/start")
    [expected] = await responder.command("start", "", ctx)
    assert call.text == expected.text
    assert call.callback_data == button_data(expected)
    assert len(call.buttons) >= 2


async def test_hi_gets_the_same_welcome_as_start_with_the_region_buttons(
    standin,
    running_bot,
    responder: Responder,
    ctx: ChatContext,
):
    start = await say_one(standin, "/start")
    assert {f"r:{r}" for r in REGIONS} <= set(start.callback_data)
    for words in ("hi", "Hello!", "/START"):
        reply = await say_one(standin, words)
        assert (reply.text, reply.callback_data) == (start.text, start.callback_data), words
    turn = await responder.message("hi", ctx)  # the core says the same, and why
    assert turn.command == "start" and turn.match is None
    assert [r.text for r in turn.replies] == [start.text]


async def test_a_question_gets_its_topic_and_the_sources_button_gives_the_sources(
    standin,
    running_bot,
    kb: KnowledgeBase,
    knowledge: Knowledge,
    responder: Responder,
    ctx: ChatContext,
):
    topic = kb.topics[INSTAGRAM_TOPIC]
    question = topic.text().question
    result = knowledge.matcher.match(question)
    assert (result.outcome, result.topic) == ("answer", INSTAGRAM_TOPIC)

    call = await say_one(standin, question)
    [expected] = (await responder.text(question, ctx)).replies
    assert call.text == expected.text
    assert question in call.plain
    assert f"s:{INSTAGRAM_TOPIC}" in call.callback_data

    answer, sources = await press(standin, call, "Sources")
    assert answer.ok
    [expected_sources] = await responder.callback(f"s:{INSTAGRAM_TOPIC}", ctx)
    assert sources.text == expected_sources.text
    links = {e["url"] for e in sources.result.get("entities", []) if e["type"] == "text_link"}
    for source in topic.sources:
        assert source.title in sources.plain
        assert source.url in links
    # ... and "back to the answer" brings the topic again.
    _, back = await press(standin, sources, "Back")
    assert back.text == expected.text


async def test_a_vague_question_offers_did_you_mean_buttons_that_answer(
    standin,
    running_bot,
    kb: KnowledgeBase,
    knowledge: Knowledge,
):
    question = find_vague_question(knowledge)
    candidates = [c.topic for c in knowledge.matcher.match(question).candidates]
    call = await say_one(standin, question)
    assert "Did you mean" in call.plain
    assert [callbacks.encode("t", t) for t in candidates] == call.callback_data[: len(candidates)]
    for label in (kb.topics[t].title for t in candidates):
        assert label in [b["text"] for b in call.buttons]

    picked = candidates[-1]
    answer, reply = await press(standin, call, data=callbacks.encode("t", picked))
    assert answer.ok
    assert kb.topics[picked].text().question in reply.plain
    assert f"s:{picked}" in reply.callback_data


async def test_optout_offers_platform_buttons_and_instagram_gives_the_steps(
    standin,
    running_bot,
    kb: KnowledgeBase,
    responder: Responder,
    ctx: ChatContext,
):
    call = await say_one(standin, "/optout")
    labels = [b["text"] for b in call.buttons]
    assert sorted(labels) == sorted(p.name for p in kb.platforms.values())
    assert set(call.callback_data) == {f"p:{p}" for p in kb.platforms}

    answer, prompt = await press(standin, call, "Instagram")
    assert answer.ok
    [expected] = await responder.callback("p:instagram", ctx)
    assert prompt.text == expected.text
    # No region known: the bot asks for it instead of printing every region's steps.
    assert "Where do you live?" in prompt.plain
    assert {f"g:instagram:{r}" for r in REGIONS} <= set(prompt.callback_data)
    eu = kb.platforms["instagram"].routes["eu"]
    assert all(parse_html(step)[0] not in prompt.plain for step in eu.steps)

    answer, steps = await press(standin, prompt, "EU / EEA")
    assert answer.ok
    assert (await services_of(running_bot).store.get_settings(USER)).region == "eu"
    links = {e.get("url") for e in steps.result.get("entities", [])}
    for step in eu.steps:
        assert parse_html(step)[0] in steps.plain
    assert eu.form_url in links
    other = kb.platforms["instagram"].routes["other"]
    assert all(parse_html(step)[0] not in steps.plain for step in other.steps)
    assert "c:instagram:done" in steps.callback_data


@pytest.mark.parametrize("argument", ["instagram", "INSTA", "ig"])
async def test_optout_with_a_platform_alias_gives_its_steps(
    standin,
    running_bot,
    kb: KnowledgeBase,
    responder: Responder,
    ctx: ChatContext,
    argument: str,
):
    if kb.platform_by_name(argument) is None:
        pytest.skip(f"{argument!r} is not an alias in this knowledge base")
    call = await say_one(standin, f"/optout {argument}")
    [expected] = await responder.callback("p:instagram", ctx)
    assert call.text == expected.text


@pytest.mark.parametrize("argument", ["garbage", "a" * 1000, "<b>x</b>", "instagram facebook"])
async def test_optout_with_an_unknown_platform_lists_the_known_ones(
    standin,
    running_bot,
    kb: KnowledgeBase,
    argument: str,
):
    call = await say_one(standin, f"/optout {argument}")
    for platform in kb.platforms.values():
        assert platform.name in call.plain
    assert set(call.callback_data) == {f"p:{p}" for p in kb.platforms}
    assert len(call.plain) < 1000  # the argument is echoed shortened, not in full


async def test_an_unknown_command_gets_a_friendly_reply(
    standin,
    running_bot,
):
    call = await say_one(standin, "/foo")
    assert "/foo" in call.plain
    assert "/optout" in call.plain and "/help" in call.plain
    assert call.buttons


@pytest.mark.parametrize("data", ["t:no-such-topic", "zzz", "", "p:nowhere", "s:", "f:x" * 30])
async def test_stale_or_forged_buttons_get_the_out_of_date_reply(
    standin,
    running_bot,
    responder: Responder,
    data: str,
):
    start = await say_one(standin, "/start")
    answer, reply = await press(standin, start, data=data)
    out_of_date = stale()
    assert answer.ok
    assert answer.params.get("text") == out_of_date.toast
    assert reply.text == out_of_date.text
    assert reply.callback_data == button_data(out_of_date)


async def test_faq_pages_are_edited_in_place_and_every_button_path_answers(
    standin,
    running_bot,
    kb: KnowledgeBase,
    responder: Responder,
):
    page = await say_one(standin, "/faq")
    if "More" not in json.dumps([b["text"] for b in page.buttons]):
        pytest.skip("the topic list fits on one page")
    _, edited = await press(standin, page, "More")
    assert edited.method == "editMessageText"
    assert edited.params["message_id"] == page.result["message_id"]
    assert "page 2" in edited.plain
    _, back = await press(standin, page, "Back")  # press() reads the edited message
    assert back.method == "editMessageText" and "page 1" in back.plain
    # A topic from the list, then one of its related topics.
    _, topic = await press(standin, page, kb.topics[next(iter(kb.topics))].title)
    assert next(iter(kb.topics.values())).text().question in topic.plain
    related = [d for d in topic.callback_data if d.startswith("t:")]
    if related:
        _, other = await press(standin, topic, data=related[0])
        assert kb.topics[related[0][2:]].text().question in other.plain
    assert all(c.text != stale().text for c in standin.calls_for("sendMessage"))


async def test_every_button_reachable_from_the_menus_answers_with_valid_telegram_html(
    kb: KnowledgeBase, responder: Responder, ctx: ChatContext
):
    """Crawl every callback button the core can produce, without HTTP: fast and complete.

    The stand-in's HTML parser is Telegram's rules: an answer whose HTML would be rejected
    (unclosed tag, unsupported tag, stray '<') fails here, topic by topic.
    """
    seen: set[str] = set()
    queue: list[str] = []

    def visit(replies: list[Reply], origin: str) -> None:
        assert replies, origin
        for reply in replies:
            if not reply.text:  # a toast alone (a 👍 tap): no message is sent
                assert reply.toast and not reply.buttons and reply.document is None, origin
                continue
            assert reply.text.strip(), origin
            for part in split_message(reply.text):
                plain, _ = parse_html(part)  # raises ApiError on HTML Telegram rejects
                assert 0 < len(plain) <= 4096, origin
            for button in reply.all_buttons():
                assert button.label.strip(), origin
                if button.url:
                    assert button.url.startswith(("https://", "http://", "tg://")), origin
                    continue
                assert button.data is not None, origin
                assert len(button.data.encode("utf-8")) <= 64, origin
                if button.data not in seen:
                    seen.add(button.data)
                    queue.append(button.data)

    for name, _ in COMMANDS:
        visit(await responder.command(name, "", ctx), f"/{name}")
    out_of_date = stale().text
    while queue:
        data = queue.pop()
        replies = await responder.callback(data, ctx)
        assert all(r.text != out_of_date for r in replies), f"button {data!r} is stale"
        visit(replies, data)
    assert {f"t:{t}" for t in kb.topics} <= seen, "some topics cannot be reached by buttons"
    assert {f"p:{p}" for p in kb.platforms} <= seen
    assert {f"s:{t}" for t in kb.topics} <= seen


async def test_a_reply_longer_than_4096_characters_is_sent_in_parts_with_buttons_last(
    standin,
    running_bot,
):
    paragraphs = [f"<b>Part {i}</b> " + "lorem ipsum " * 240 for i in range(4)]
    text = "\n\n".join(paragraphs)
    buttons = ((Button("Help", callbacks.encode("h")),),)

    async def long_reply(args: str, ctx: ChatContext) -> list[Reply]:
        return [Reply(text, buttons)]

    services = services_of(running_bot)  # a responder that also answers /long
    routes = Router().command("long", long_reply)
    services.responder = Responder(services.knowledge, services.clock, routes=routes)
    expected = split_message(text)
    assert len(expected) >= 2
    calls = await say(standin, "/long", parts=len(expected))
    assert [c.text for c in calls] == expected
    assert [bool(c.buttons) for c in calls] == [False] * (len(calls) - 1) + [True]
    assert [p for c in calls for p in c.text.split("\n\n")] == paragraphs


# -- groups ------------------------------------------------------------------------------------
@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
async def test_in_groups_only_commands_to_us_mentions_and_replies_are_answered(
    standin,
    running_bot,
    kb: KnowledgeBase,
    responder: Responder,
    chat_type: str,
):
    chat_id = GROUP if chat_type == "supergroup" else -4001234567
    question = kb.topics[INSTAGRAM_TOPIC].text().question
    [help_reply] = await responder.command("help", "", ChatContext(chat_id=chat_id))
    [answer] = (await responder.text(question, ChatContext(chat_id=chat_id))).replies
    in_group = _to(chat_id)

    def group(text: str, **kw) -> None:
        standin.group_message(text, chat_id=chat_id, chat_type=chat_type, **kw)

    mark = standin.mark()
    group(question)  # plain chatter: ignored
    group("/help@other_bot")  # another bot's command: ignored
    group("/foo")  # an unknown command addressed to nobody: probably another bot's
    group("/ that is not a command")
    group(f"@{standin.username}_fan {question}")  # someone else's name that starts like ours
    human = {
        "message_id": 1,
        "from": standin.new_user("Bob"),
        "chat": standin.group_chat(chat_id, chat_type),
        "date": 0,
        "text": "hi",
    }
    group(question, extra={"reply_to_message": human})  # a reply to a human
    group(f"/help@{standin.username}")  # the sentinel: a command to us
    [first] = await standin.wait_for("sendMessage", after=mark, where=in_group)
    assert first.text == help_reply.text, "an unaddressed group message was answered"

    mark = standin.mark()
    group(f"/help@{standin.username.upper()}")
    group("/help")
    group(f"@{standin.username} {question}")
    group(f"{question} @{standin.username}")
    calls = await standin.wait_for("sendMessage", 4, after=mark, where=in_group)
    assert [c.text for c in calls].count(help_reply.text) == 2
    assert [c.text for c in calls].count(answer.text) == 2

    mark = standin.mark()
    group(question, reply_to=first)  # a reply to the bot's message
    [reply] = await standin.wait_for("sendMessage", after=mark, where=in_group)
    assert reply.text == answer.text

    mark = standin.mark()
    group(f"/foo@{standin.username}")  # unknown, but explicitly ours: answered
    [unknown] = await standin.wait_for("sendMessage", after=mark, where=in_group)
    assert "/foo" in unknown.plain
    assert not standin.calls_for("sendMessage", where=lambda c: c.chat_id == USER)


# -- failures ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "description"),
    [(400, "Bad Request: message is too long")],
)
async def test_a_failed_send_is_logged_the_user_told_and_the_bot_keeps_serving(
    standin,
    running_bot,
    responder: Responder,
    ctx: ChatContext,
    caplog: pytest.LogCaptureFixture,
    kind: int,
    description: str | None,
):
    caplog.set_level(logging.ERROR, logger="optout_bot.telegram")
    standin.fail_next("sendMessage", kind, description=description)
    mark = standin.mark()
    standin.private_message("/help")
    failed, sorry = await standin.wait_for("sendMessage", 2, after=mark, include_failed=True)
    assert failed.fault == str(kind) and not failed.ok
    assert sorry.ok and sorry.text == SORRY
    assert logged_error(caplog)()

    call = await say_one(standin, "/start")
    [expected] = await responder.command("start", "", ctx)
    assert call.text == expected.text


async def test_a_user_who_blocked_the_bot_does_not_stop_it(
    standin,
    running_bot,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.WARNING, logger="optout_bot.telegram")
    blocker = standin.new_user("Mallory")
    standin.block(blocker["id"])
    mark = standin.mark()
    standin.private_message("/start", user=blocker)
    [refused] = await standin.wait_for("sendMessage", after=mark, include_failed=True)
    assert refused.error["error_code"] == 403
    # A blocked bot is expected: one warning line, no error with a traceback.
    await eventually(lambda: any("update not answered" in r.getMessage() for r in caplog.records))
    assert not logged_error(caplog)()

    standin.fail_next("sendMessage", 403)  # and a one-off 403 for the next user
    mark = standin.mark()
    standin.private_message("/help")
    [refused] = await standin.wait_for("sendMessage", after=mark, include_failed=True)
    assert refused.fault == "403"
    call = await say_one(standin, "/start")
    assert call.ok
    # Nobody was told "sorry" after a 403: there is nobody to tell.
    assert all(c.text != SORRY for c in standin.calls_for("sendMessage"))


async def test_flood_control_429_is_waited_out_and_the_reply_arrives_once(
    standin,
    running_bot,
):
    standin.fail_next("sendMessage", 429, retry_after=1)
    mark = standin.mark()
    standin.private_message("/help")
    calls = await standin.wait_for("sendMessage", 2, after=mark, include_failed=True)
    assert [c.fault for c in calls] == ["429", None]
    assert calls[1].time - calls[0].time >= 0.9  # retry_after was honoured
    assert calls[1].params["text"] != SORRY


async def test_a_failing_getupdates_loses_no_update(
    standin,
    running_bot,
):
    standin.fail_next("getUpdates", 502)
    standin.private_message("/help")
    standin.private_message("/start")
    calls = await standin.wait_for("sendMessage", 2, timeout=10, where=_to(USER))
    assert len({c.text for c in calls}) == 2
    assert standin.calls_for("getUpdates", include_failed=True, where=lambda c: c.fault)


@pytest.mark.parametrize("kind", ["sticker", "photo"])
async def test_a_non_text_message_in_private_gets_the_only_text_reply(
    standin,
    running_bot,
    kind: str,
):
    mark = standin.mark()
    if kind == "sticker":
        standin.sticker_message()
    else:
        standin.photo_message()  # with a caption it is answered: tests/e2e/test_robust_input.py
    [call] = await standin.wait_for("sendMessage", after=mark, where=_to(USER))
    assert call.text == NOT_TEXT


async def test_a_sticker_in_a_group_is_ignored(
    standin,
    running_bot,
):
    mark = standin.mark()
    standin.group_message(None, extra={"sticker": standin.sticker()})
    standin.group_message(f"/help@{standin.username}")
    [call] = await standin.wait_for("sendMessage", after=mark, where=_to(GROUP))
    assert call.text != NOT_TEXT


# -- the stand-in itself: it must reject what Telegram rejects, or these tests prove little ------
@pytest.fixture
async def raw() -> AsyncIterator[tuple[BotApiStandIn, httpx.AsyncClient]]:
    async with BotApiStandIn(TOKEN) as server, httpx.AsyncClient(timeout=5) as client:
        yield server, client


async def _api(client: httpx.AsyncClient, server: BotApiStandIn, method: str, **params):
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    response = await client.post(f"{server.api_url}/{method}", data=form)
    return response.status_code, response.json()


async def test_standin_answers_in_the_bot_api_shapes(raw):
    server, client = raw
    status, me = await _api(client, server, "getMe")
    assert status == 200 and me["ok"] is True
    assert me["result"]["is_bot"] is True and me["result"]["username"] == "optout_test_bot"
    status, body = await _api(client, server, "noSuchMethod")
    assert (status, body) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )
    response = await client.post(f"http://127.0.0.1:{server.port}/bot1:WRONG/getMe")
    assert response.status_code == 401 and response.json()["ok"] is False

    status, sent = await _api(
        client, server, "sendMessage", chat_id=USER, text="<b>Hé 😀</b> &amp; <i>x</i>"
    )
    assert status == 200
    message = sent["result"]
    assert message["text"] == "<b>Hé 😀</b> &amp; <i>x</i>" and isinstance(message["date"], int)
    assert message["from"]["is_bot"] is True and message["chat"]["id"] == USER
    # No parse mode given: the tags stay as typed (and get no entities).
    assert "entities" not in message

    status, sent = await _api(
        client,
        server,
        "sendMessage",
        chat_id=USER,
        text="<b>Hé 😀</b> <i>x</i>",
        parse_mode="HTML",
    )
    assert sent["result"]["entities"] == [
        {"type": "bold", "offset": 0, "length": 5},  # the emoji is 2 UTF-16 code units
        {"type": "italic", "offset": 6, "length": 1},
    ]
    # JSON bodies work as well as form bodies, and message ids increase.
    response = await client.post(
        f"{server.api_url}/sendMessage", json={"chat_id": USER, "text": "plain"}
    )
    assert response.json()["result"]["message_id"] > sent["result"]["message_id"]


@pytest.mark.parametrize(
    ("text", "markup", "error"),
    [
        ("<b>unclosed", None, "can't parse entities"),
        ("<script>x</script>", None, "can't parse entities"),
        ("1 < 2", None, "can't parse entities"),
        ("<b>x</i>", None, "can't parse entities"),
        ("a" * 4097, None, "message is too long"),
        ("<b></b>  ", None, "message text is empty"),
        ("ok", {"inline_keyboard": [[{"text": "b", "callback_data": "x" * 65}]]}, "BUTTON_DATA"),
        ("ok", {"inline_keyboard": [[{"text": "b", "callback_data": "é" * 33}]]}, "BUTTON_DATA"),
    ],
)
async def test_standin_rejects_what_telegram_rejects(raw, text, markup, error):
    server, client = raw
    params = {"chat_id": USER, "text": text, "parse_mode": "HTML"}
    if markup:
        params["reply_markup"] = markup
    status, body = await _api(client, server, "sendMessage", **params)
    assert status == 400 and body["ok"] is False and error in body["description"]
    # ... and exactly at the limits it accepts.
    status, body = await _api(
        client, server, "sendMessage", chat_id=USER, text="&amp;" * 4096, parse_mode="HTML"
    )
    assert status == 200 and body["result"]["text"] == "&" * 4096
    ok_markup = {"inline_keyboard": [[{"text": "b", "callback_data": "é" * 32}]]}
    status, _ = await _api(
        client, server, "sendMessage", chat_id=USER, text="ok", reply_markup=ok_markup
    )
    assert status == 200


async def test_standin_faults(raw):
    server, client = raw
    server.fail_next("getMe", 429, retry_after=7)
    server.fail_next("getMe", 403)
    server.fail_next("getMe", 400, description="Bad Request: chat not found")
    server.fail_next("getMe", 502)
    status, body = await _api(client, server, "getMe")
    assert status == 429 and body["parameters"] == {"retry_after": 7}
    status, body = await _api(client, server, "getMe")
    assert status == 403 and body["description"] == "Forbidden: bot was blocked by the user"
    status, body = await _api(client, server, "getMe")
    assert status == 400 and body["description"] == "Bad Request: chat not found"
    response = await client.post(f"{server.api_url}/getMe")
    assert response.status_code == 502 and b"502 Bad Gateway" in response.content
    status, _ = await _api(client, server, "getMe")
    assert status == 200
    assert [c.fault for c in server.calls] == ["429", "403", "400", "502", None]

    server.fail_next("getMe", "stall", seconds=0.5)
    with pytest.raises(httpx.ReadTimeout):
        await client.post(f"{server.api_url}/getMe", timeout=0.2)
    status, _ = await _api(client, server, "getMe")
    assert status == 200


async def test_standin_long_polling_offsets_and_conflicts(raw):
    server, client = raw
    loop = asyncio.get_running_loop()
    started = loop.time()
    loop.call_later(0.1, server.private_message, "/start")
    status, body = await _api(client, server, "getUpdates", timeout=5)
    assert status == 200 and loop.time() - started < 2  # answered when the update came
    [update] = body["result"]
    message = update["message"]
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["chat"]["type"] == "private" and message["from"]["is_bot"] is False
    # Unconfirmed updates come again; an offset confirms them.
    _, again = await _api(client, server, "getUpdates")
    assert again["result"] == [update]
    _, after = await _api(client, server, "getUpdates", offset=update["update_id"] + 1)
    assert after["result"] == []
    # A second poller terminates the first with 409, as Telegram does.
    first = asyncio.create_task(_api(client, server, "getUpdates", timeout=5))
    await eventually(lambda: server.waiting_pollers == 1)
    _, second = await _api(client, server, "getUpdates", timeout=0)
    status, body = await first
    assert status == 409 and "terminated by other getUpdates" in body["description"]
    assert second["ok"] is True


def test_standin_update_helpers_look_like_telegram():
    server = BotApiStandIn(TOKEN)
    group = server.group_message("@optout_test_bot hi", chat_type="group")["message"]
    assert group["chat"]["type"] == "group" and group["chat"]["id"] < 0
    assert group["entities"] == [{"type": "mention", "offset": 0, "length": 16}]
    assert text_entities("/help@optout_test_bot now") == [
        {"type": "bot_command", "offset": 0, "length": 21}
    ]
    assert text_entities("😀 @optout_test_bot")[0] == {"type": "mention", "offset": 3, "length": 16}
    bot_message = {
        "message_id": 9,
        "from": server.bot_user,
        "chat": group["chat"],
        "date": 1,
        "text": "x",
    }
    query = server.callback_query(bot_message, "h:")["callback_query"]
    assert query["chat_instance"] and query["message"]["message_id"] == 9
    assert query["data"] == "h:" and query["from"]["id"] == server.user["id"]
    ids = [u["update_id"] for u in server.pending_updates]
    assert ids == sorted(ids) and len(set(ids)) == 2


async def test_standin_runs_as_a_process_with_a_control_api():
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.botapi",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        port = int(line)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            response = await client.post(
                "/_standin/update",
                json={"helper": "private_message", "args": {"text": "hello"}},
            )
            assert response.json()["ok"] is True
            await client.post("/_standin/fail", json={"method": "sendMessage", "kind": 403})
            updates = (await client.post(f"/bot{TOKEN}/getUpdates")).json()["result"]
            assert [u["message"]["text"] for u in updates] == ["hello"]
            refused = await client.post(
                f"/bot{TOKEN}/sendMessage", data={"chat_id": "1001", "text": "hi"}
            )
            assert refused.status_code == 403
            calls = (await client.get("/_standin/calls", params={"method": "sendMessage"})).json()
            assert [c["fault"] for c in calls["result"]] == ["403"]
    finally:
        process.terminate()
        await process.wait()


async def test_standin_delivers_to_a_webhook_with_the_secret(raw):
    server, client = raw
    received: asyncio.Queue = asyncio.Queue()

    async def receiver(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader)
        await received.put(request)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    hook = await asyncio.start_server(receiver, "127.0.0.1", 0)
    try:
        url = f"http://127.0.0.1:{hook.sockets[0].getsockname()[1]}/hook"
        status, _ = await _api(client, server, "setWebhook", url=url, secret_token="s3cret")
        assert status == 200
        status, _ = await _api(client, server, "getUpdates")
        assert status == 409  # polling while a webhook is set
        update = server.private_message("/start")
        request = await asyncio.wait_for(received.get(), 5)
        assert request.headers["x-telegram-bot-api-secret-token"] == "s3cret"
        assert json.loads(request.body) == update
        _, info = await _api(client, server, "getWebhookInfo")
        assert info["result"]["url"] == url
        status, _ = await _api(client, server, "deleteWebhook")
        _, info = await _api(client, server, "getWebhookInfo")
        assert info["result"]["url"] == ""
    finally:
        hook.close()


async def test_ptb_surfaces_standin_errors_as_telegram_errors(
    standin,
    running_bot,
):
    standin.fail_next("sendMessage", 400, description="Bad Request: message is too long")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await running_bot.bot.send_message(USER, "hello")


# -- inline mode ---------------------------------------------------------------------------
async def test_inline_query_offers_up_to_five_shareable_answers_with_sources(
    standin,
    running_bot,
):
    standin.inline_query("stop insta using my photos for ai")
    [answer] = await standin.wait_for("answerInlineQuery", 1, timeout=5)
    results = answer.params["results"]
    assert answer.ok and 1 <= len(results) <= 5
    assert results[0]["id"] == "opt-out-instagram"
    for result in results:
        text = result["input_message_content"]["message_text"]
        assert "Sources" in text and "<a href=" in text
    mark = standin.mark()
    standin.inline_query("")
    [popular] = await standin.wait_for("answerInlineQuery", 1, timeout=5, after=mark)
    assert popular.ok and len(popular.params["results"]) == 5
