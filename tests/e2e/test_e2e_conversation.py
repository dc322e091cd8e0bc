"""End to end over HTTP: the real bot process (`python -m bot run`) against the Bot API stand-in.

The same conversations run twice, once with long polling and once as a webhook (the stand-in
then POSTs every update to the bot's webhook URL with the secret token). Each test talks as
its own Telegram user, so the tests share one bot process per mode without sharing state.
Failure paths inject the Bot API's real error answers (429 with retry_after, 403, 400, 502,
a stalled connection) and check that the bot keeps serving and that every update gets its
reply: the answer, or the short "something went wrong" when the answer itself could not be
sent after the retries a failed call gets (no reply at all only for a user who blocked the
bot).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from bot import callbacks
from bot.core.context import Knowledge
from bot.knowledge.model import KnowledgeBase
from bot.telegram.handlers import SORRY
from tests.support.botapi import BotApiStandIn, parse_html
from tests.support.e2e_helpers import (
    SECRET,
    SQLITE_FILE,
    TOKEN,
    BotProcess,
    Chat,
    bot_env,
    free_port,
    rows_for_chat,
    webhook_env,
)
from tests.support.standin_fixtures import check_wire

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(60)]

VAGUE_CANDIDATES = ("meta", "ai data", "facebook", "data", "ai", "training", "account", "privacy")


@dataclass
class Served:
    mode: str
    standin: BotApiStandIn
    bot: BotProcess
    data_dir: Path
    port: int

    @property
    def db(self) -> Path:
        return self.data_dir / SQLITE_FILE

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def chat(self, name: str = "Tester") -> Chat:
        return Chat(self.standin, name)


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["polling", "webhook"])
async def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Served]:
    mode: str = request.param
    workdir = tmp_path_factory.mktemp(f"e2e-{mode}")
    standin = BotApiStandIn(TOKEN)
    await standin.start()
    port = free_port()  # polling mode serves /healthz on it too, since PORT is set
    extra = webhook_env(port) if mode == "webhook" else {"PORT": str(port), "LISTEN": "127.0.0.1"}
    args = ("--webhook",) if mode == "webhook" else ()
    bot = BotProcess(bot_env(standin, workdir / "data", **extra), workdir, *args)
    try:
        await bot.start()
        await bot.wait_ready()
        yield Served(mode, standin, bot, workdir / "data", port)
        code, seconds = await bot.stop()
        assert code == 0, bot.tail()
        assert seconds < 10, f"SIGTERM took {seconds:.1f} s"
        assert "stopped cleanly" in bot.log()
        check_wire(standin)
    finally:
        await bot.close()
        await standin.stop()


def find_vague_question(knowledge: Knowledge) -> str:
    """A question the shipped knowledge base answers with "Did you mean ...?"."""
    for question in VAGUE_CANDIDATES:
        result = knowledge.matcher.match(question)
        if result.outcome == "clarify" and result.candidates:
            return question
    for topic in knowledge.kb.topics.values():
        for word in topic.title.split():
            result = knowledge.matcher.match(word)
            if result.outcome == "clarify" and result.candidates:
                return word
    raise AssertionError("no question in the knowledge base leads to a clarify outcome")


# -- start-up and transport -----------------------------------------------------------------
async def test_start_up_uses_the_transport_of_its_mode(served: Served):
    assert "Hi!" in (await served.chat().say_one("/start")).plain
    methods = [c.method for c in served.standin.calls]
    assert methods[0] == "getMe"
    assert "setMyCommands" in methods
    if served.mode == "polling":
        assert "deleteWebhook" in methods and "getUpdates" in methods
        assert methods.index("deleteWebhook") < methods.index("getUpdates")
        assert "setWebhook" not in methods
    else:
        [hook] = served.standin.calls_for("setWebhook")
        assert hook.params["url"] == served.webhook_url
        assert hook.params["secret_token"] == SECRET
        assert "getUpdates" not in methods
        assert SECRET not in served.bot.log()  # the secret is never logged


async def test_healthz_reports_database_and_scheduler(served: Served):
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{served.port}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["mode"] == served.mode
    assert body["database"]["ok"] is True and body["database"]["backend"] == "sqlite"
    assert body["scheduler"]["running"] is True
    assert isinstance(body["scheduler"]["reminder_jobs"], int)


# -- the conversations ----------------------------------------------------------------------------
async def test_start_region_question_did_you_mean_answer_sources(
    served: Served, kb: KnowledgeBase, knowledge: Knowledge
):
    chat = served.chat("Ada")
    start = await chat.say_one("/start")
    assert "Hi!" in start.plain
    assert callbacks.encode("r", "eu") in start.callback_data

    answer, region = await chat.press(start, data=callbacks.encode("r", "eu"))
    assert answer.ok
    assert "Region set" in region.plain and "EU / EEA" in region.plain

    question = find_vague_question(knowledge)
    candidates = [c.topic for c in knowledge.matcher.match(question).candidates]
    clarify = await chat.say_one(question)
    assert "Did you mean" in clarify.plain
    assert [callbacks.encode("t", t) for t in candidates] == clarify.callback_data[
        : len(candidates)
    ]

    picked = candidates[0]
    topic = kb.topics[picked]
    answer, reply = await chat.press(clarify, topic.title)
    assert answer.ok
    assert topic.text().question in reply.plain
    assert callbacks.encode("s", picked) in reply.callback_data

    answer, sources = await chat.press(reply, "Sources")
    assert answer.ok
    links = {e.get("url") for e in sources.result.get("entities", [])}
    for source in topic.sources:
        assert source.title in sources.plain
        assert source.url in links


async def test_optout_platform_steps_done_then_status(served: Served, kb: KnowledgeBase):
    chat = served.chat("Bob")
    await chat.say_one("/region eu")
    menu = await chat.say_one("/optout")
    assert set(menu.callback_data) == {f"p:{p}" for p in kb.platforms}

    _, steps = await chat.press(menu, "Instagram")
    eu_steps = kb.platforms["instagram"].route_for("eu")
    assert eu_steps is not None
    for step in eu_steps[1].steps:
        assert parse_html(step)[0] in steps.plain
    assert "c:instagram:done" in steps.callback_data

    answer, done = await chat.press(steps, data="c:instagram:done")
    assert answer.ok and "done" in (answer.params.get("text") or "")
    assert "Instagram: ✅ done" in done.plain

    status = await chat.say_one("/status")
    assert "Instagram: ✅ done" in status.plain
    assert "Facebook: ▫️ not yet" in status.plain


async def test_remind_list_off(served: Served):
    chat = served.chat("Cem")
    on = await chat.say_one("/remind")
    assert "Reminders are on" in on.plain
    listed = await chat.say_one("/remind list")
    assert "Your reminders" in listed.plain
    off = await chat.say_one("/remind off")
    assert "Reminders are off" in off.plain
    none = await chat.say_one("/remind list")
    assert "You have no reminders" in none.plain


async def test_forget_with_confirmation_leaves_no_row(served: Served):
    chat = served.chat("Dee")
    await chat.say_one("/region eu")
    await chat.say_one("/timezone Europe/Berlin")
    await chat.say_one("/remind 3d 1d")
    steps = await chat.say_one("/optout facebook")
    await chat.press(steps, data="c:facebook:done")
    before = rows_for_chat(served.db, chat.id)
    assert before["chats"] == 1 and before["subscriptions"] == 1, before
    assert before["subscription_leads"] == 2 and before["checklist"] == 1, before

    confirm = await chat.say_one("/forget")
    answer, done = await chat.press(confirm, "Yes, delete everything")
    assert answer.ok
    assert "deleted everything" in done.plain
    after = rows_for_chat(served.db, chat.id)
    assert set(after) >= {"chats", "subscriptions", "subscription_leads", "checklist"}
    assert all(n == 0 for n in after.values()), after


# -- failure paths --------------------------------------------------------------------------------
async def test_429_waits_retry_after_then_sends_the_reply(served: Served):
    chat = served.chat("Eve")
    standin = served.standin
    mark = standin.mark()
    standin.fail_next("sendMessage", 429, retry_after=1)
    reply = await chat.say_one("/help")
    [refused] = standin.calls_for(
        "sendMessage", after=mark, include_failed=True, where=lambda c: c.fault == "429"
    )
    assert refused.chat_id == chat.id
    assert "/optout" in reply.plain
    assert reply.time - refused.time >= 0.95  # waited what Telegram asked


async def test_403_blocked_user_gets_nothing_and_the_bot_keeps_serving(served: Served):
    blocked, other = served.chat("Fay"), served.chat("Gus")
    standin = served.standin
    mark = standin.mark()
    standin.fail_next("sendMessage", 403)
    log_mark = served.bot.mark()
    blocked.send("/help")
    await standin.wait_for(
        "sendMessage", after=mark, include_failed=True, where=lambda c: c.fault == "403"
    )
    await served.bot.wait_for_log("update not answered", after=log_mark)
    assert "/optout" in (await other.say_one("/help")).plain
    assert blocked.sent_to(after=mark) == []  # no "sorry" to someone who blocked the bot


@pytest.mark.parametrize(
    ("kind", "apology"),
    [(400, True), (502, False)],
    ids=["400-too-long", "502-retried"],
)
async def test_a_refused_reply_is_replaced_by_a_short_apology_a_failed_one_retried(
    served: Served, kind: int, apology: bool
):
    chat = served.chat("Hal")
    standin = served.standin
    mark = standin.mark()
    description = "Bad Request: message is too long" if kind == 400 else None
    standin.fail_next("sendMessage", kind, description=description)
    reply = await chat.say_one("/help")
    [refused] = standin.calls_for(
        "sendMessage", after=mark, include_failed=True, where=lambda c: c.fault == str(kind)
    )
    assert refused.chat_id == chat.id
    if apology:  # Telegram refused the message itself
        assert reply.text == SORRY
    else:  # the front end failed: the same answer is sent again
        assert "/optout" in reply.plain
    # ... and the next message is answered normally.
    assert "/optout" in (await chat.say_one("/help")).plain


async def test_a_stalled_reply_does_not_hold_up_other_chats(served: Served):
    stalled, other = served.chat("Ivy"), served.chat("Jon")
    standin = served.standin
    mark = standin.mark()
    standin.fail_next("sendMessage", "stall", seconds=30)
    stalled.send("/help")
    [hanging] = await standin.wait_for(
        "sendMessage", after=mark, include_failed=True, where=lambda c: c.fault == "stall"
    )
    assert hanging.chat_id == stalled.id
    # While that connection hangs, another chat is answered at once.
    answered = await other.say_one("/help", timeout=3)
    assert answered.time - hanging.time < 3
    # The stalled send times out (PTB's read timeout, 5 s) and is sent again.
    [answer] = await stalled.replies(mark, timeout=15)
    assert "/optout" in answer.plain


@pytest.mark.parametrize("served", ["polling"], indirect=True)
async def test_a_stalled_getupdates_loses_no_update(served: Served):
    chat = served.chat("Kim")
    standin = served.standin
    mark = standin.mark()
    standin.fail_next("getUpdates", "stall", seconds=1)
    # The long poll in flight returns this update; the next one hangs and is dropped.
    assert "/optout" in (await chat.say_one("/help")).plain
    await standin.wait_for(
        "getUpdates", after=mark, include_failed=True, where=lambda c: c.fault == "stall"
    )
    # Meanwhile the next update waits at "Telegram" and is fetched once polling resumes.
    log_mark = served.bot.mark()
    reply = await chat.say_one("/faq", timeout=15)
    assert "Questions I can answer" in reply.plain
    assert "polling failed, retrying" in served.bot.log(log_mark)


# -- webhook security -----------------------------------------------------------------------------
@pytest.mark.parametrize("served", ["webhook"], indirect=True)
@pytest.mark.parametrize("header", [None, "wrong-secret", SECRET + "x", ""])
async def test_webhook_refuses_a_missing_or_wrong_secret(served: Served, header: str | None):
    chat = served.chat("Lou")
    standin = served.standin
    marker = f"forged-{abs(hash(header))}-text"
    forged = {
        "update_id": 900_000 + len(header or ""),
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": chat.id, "type": "private", "first_name": "Lou"},
            "from": chat.user,
            "text": f"/start {marker}",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = header
    log_mark, mark = served.bot.mark(), standin.mark()
    async with httpx.AsyncClient() as client:
        response = await client.post(
            served.webhook_url, content=json.dumps(forged), headers=headers
        )
    assert response.status_code == 403
    [line] = await served.bot.wait_for_log(r"webhook: refused a request", after=log_mark)
    assert ("no secret" if header is None else "wrong secret") in line.string
    # Not processed: the genuine update sent after it is the only one answered.
    genuine = await chat.say_one("/help")
    assert "/optout" in genuine.plain
    assert [c.index for c in chat.sent_to(after=mark)] == [genuine.index]
    assert marker not in served.bot.log()  # the body is never logged


@pytest.mark.parametrize("served", ["webhook"], indirect=True)
async def test_webhook_every_update_delivered_once_with_the_secret(served: Served):
    deliveries = served.standin.webhook_deliveries
    assert deliveries, "the stand-in posted no update"
    assert all(status == 200 for _, status in deliveries), deliveries
    ids = [update_id for update_id, _ in deliveries]
    assert len(ids) == len(set(ids))
    assert not served.standin.pending_updates
