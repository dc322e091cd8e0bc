"""Privacy and permission gaps a fault probe found (issue 16, item 5), through the real bot.

- In a group only the person who asked (or a chat admin, asked of Telegram) can confirm
  "Yes, delete everything".
- The update log line never carries what someone typed after "/" when the command is not
  one of ours.
- An unanswered question is scrubbed of e-mail addresses, phone numbers and handles before
  it is normalised, since normalising removes the "@" and dots that make them recognisable.
- A DEBUG-level run of the real process (`python -m bot run`, logging set up as in
  production) logs neither the token nor any message text, in the bot's own lines too.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.core.context import LiveKnowledge
from bot.features.operator import Operator
from bot.knowledge.model import KnowledgeBase
from bot.store.schema import unmatched_questions
from bot.telegram.context import services_of
from bot.telegram.permissions import NOT_YOURS
from tests.support.botapi import BotApiStandIn, Call
from tests.support.e2e_helpers import BotProcess, Chat, bot_env
from tests.support.standin_fixtures import running_bot, standin  # noqa: F401 - fixtures
from tests.support.store_fixtures import backend_fixture, store_fixture  # noqa: F401 - fixtures
from tests.support.store_helpers import StoreForTests

GROUP = -1001234567890


def in_group(call: Call) -> bool:
    return call.chat_id == GROUP


async def ask_to_forget(standin: BotApiStandIn, asker: dict) -> Call:
    mark = standin.mark()
    standin.group_message("/region eu", user=asker)  # something stored, to be deleted
    await standin.wait_for("sendMessage", after=mark, where=in_group)
    mark = standin.mark()
    standin.group_message("/forget", user=asker)
    [question] = await standin.wait_for("sendMessage", after=mark, where=in_group)
    return question


async def press_yes(standin: BotApiStandIn, question: Call, user: dict) -> Call:
    mark = standin.mark()
    update = standin.press(question, "Yes, delete everything", user=user)
    query_id = update["callback_query"]["id"]
    [answer] = await standin.wait_for(
        "answerCallbackQuery",
        after=mark,
        where=lambda c: c.params.get("callback_query_id") == query_id,
    )
    return answer


async def test_in_a_group_only_the_asker_or_an_admin_can_confirm_deleting(
    standin: BotApiStandIn, running_bot
):
    store = services_of(running_bot).store
    asker, bystander, admin = (standin.new_user(n) for n in ("Ann", "Bob", "Cy"))
    question = await ask_to_forget(standin, asker)
    assert (await store.get_settings(GROUP)).region == "eu"

    answer = await press_yes(standin, question, bystander)
    assert answer.params.get("text") == NOT_YOURS
    assert (await store.get_settings(GROUP)).region == "eu"  # nothing was deleted
    assert standin.calls_for("getChatMember")  # Telegram was asked whether Bob is an admin

    mark = standin.mark()
    await press_yes(standin, question, asker)
    [done] = await standin.wait_for("editMessageText", after=mark, where=in_group)
    assert "I deleted everything" in done.plain
    assert (await store.get_settings(GROUP)).region is None

    standin.make_admin(GROUP, admin)  # an admin may confirm another member's request
    question = await ask_to_forget(standin, asker)
    mark = standin.mark()
    await press_yes(standin, question, admin)
    [done] = await standin.wait_for("editMessageText", after=mark, where=in_group)
    assert "I deleted everything" in done.plain
    assert (await store.get_settings(GROUP)).region is None


async def test_in_private_the_yes_button_works_as_before(standin: BotApiStandIn, running_bot):
    mark = standin.mark()
    standin.private_message("/forget")
    [question] = await standin.wait_for("sendMessage", after=mark)
    await press_yes(standin, question, standin.user)
    [done] = await standin.wait_for("editMessageText", after=mark)
    assert "I deleted everything" in done.plain
    assert not standin.calls_for("getChatMember")


async def test_an_unknown_command_is_logged_as_command_unknown(
    standin: BotApiStandIn, running_bot, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    mark = standin.mark()
    standin.private_message("/zq9hunter2password and more")
    standin.private_message("/help")
    await standin.wait_for("sendMessage", 2, after=mark)

    def lines() -> list[str]:  # the line is written just after the reply is sent
        return [m for m in caplog.messages if m.startswith("update=")]

    for _ in range(200):
        if len(lines()) >= 2:
            break
        await asyncio.sleep(0.02)
    assert any("outcome=command:unknown" in line for line in lines()), lines()
    assert any("outcome=command:help" in line for line in lines()), lines()
    assert not [line for line in caplog.messages if "zq9hunter2password" in line]


async def test_unmatched_questions_are_scrubbed_before_they_are_normalised(
    store: StoreForTests, kb: KnowledgeBase, clock: FakeClock, tmp_path: Path
):
    operator = Operator(store, LiveKnowledge.build(kb), clock, tmp_path, log_unmatched=True)
    question = "write to john.doe@example.org or +49 151 2345 6789, I am @quill_handle"
    result = operator.knowledge.current.matcher.match(question)
    operator.record(replace(result, outcome="fallback", topic=None), question)
    await operator.flush()
    async with store.engine.connect() as conn:
        [stored] = (await conn.execute(select(unmatched_questions.c.text))).scalars().all()
    for personal in ("john", "doe", "example", "49", "151", "6789", "quill"):
        assert personal not in stored, stored
    assert "write to" in stored


# -- a DEBUG run of the real process ------------------------------------------------------------

TOKEN = "7234567890:AAH4wq-Secret_Part_Of_The_Token_0123456"
PRIVATE = ("quokkamarker", "zebrafishsecret", "Quillfeather", "Zarkovic", "quill_handle")


async def test_a_debug_run_of_the_process_logs_neither_token_nor_text(tmp_path: Path):
    async with BotApiStandIn(TOKEN) as standin:
        env = bot_env(standin, tmp_path / "data", LOG_LEVEL="DEBUG", LOG_UNMATCHED="true")
        env["BOT_TOKEN"] = TOKEN
        bot = BotProcess(env, tmp_path / "run")
        await bot.start()
        try:
            await bot.wait_ready(30)
            chat = Chat(standin, "Quillfeather")
            chat.user.update(last_name="Zarkovic", username="quill_handle")
            await chat.say_one("quokkamarker how do I opt out of instagram")
            await chat.say_one("zebrafishsecret quokkamarker")  # unanswered: stored, scrubbed
            await chat.say_one("/timezone quokkamarker")
            await chat.say_one("/zebrafishsecret")
            menu = await chat.say_one("/optout")
            await chat.press(menu, "Instagram")
            mark = standin.mark()
            standin.inline_query("quokkamarker instagram", user=chat.user)
            await standin.wait_for("answerInlineQuery", after=mark)
            code, _ = await bot.stop()
        finally:
            await bot.close()
    log = bot.log()
    assert code == 0, bot.tail()
    assert "DEBUG" in log and "/bot<token>" in log  # it did log the traffic, filtered
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    leaked = [line for line in log.splitlines() if any(word in line for word in PRIVATE)]
    assert not leaked, leaked[:5]
