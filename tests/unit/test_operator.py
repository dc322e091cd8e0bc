"""Operator tools: flood control, /stats and /reload for admins, unmatched questions, inline."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.core.context import ChatContext, Knowledge, LiveKnowledge
from bot.core.responder import Responder
from bot.features.operator import FloodGuard, Operator, group_unmatched
from bot.knowledge.model import KnowledgeBase
from bot.render.html import visible_length
from bot.store import analytics
from bot.store.repository import Store
from bot.telegram.inline import inline_answers
from tests.conftest import FAQ_DIR
from tests.support.store_fixtures import backend_fixture, store_fixture  # noqa: F401

ADMIN = 1001
USER = 2002


class Ticker:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_flood_guard_one_notice_then_silence_then_calm():
    tick = Ticker()
    guard = FloodGuard(limit=3, window=60, now=tick)
    assert [guard.check(1) for _ in range(5)] == ["ok", "ok", "ok", "notice", "drop"]
    assert guard.check(2) == "ok"  # other chats are not affected
    tick.t = 61
    assert guard.check(1) == "ok"
    guard.forget_idle()
    tick.t = 200
    guard.forget_idle()
    assert guard._seen == {}


@pytest.fixture
def faq_copy(tmp_path: Path) -> Path:
    target = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, target)
    return target


@dataclass
class OperatorBot:
    """The operator's commands in a responder, as `build_services` wires them."""

    operator: Operator
    responder: Responder
    reloads: list[int] = field(default_factory=list)

    async def ask(self, question: str, user: int) -> None:
        """A question as the Telegram handler passes it on: answered, then counted."""
        turn = await self.responder.message(question, as_user(user))
        if turn.match is not None:
            self.operator.record(turn.match, turn.question)


@pytest.fixture
def bot(store: Store, kb: KnowledgeBase, clock: FakeClock, faq_copy: Path) -> OperatorBot:
    knowledge = LiveKnowledge.build(kb)
    reloads: list[int] = []

    async def rescheduled() -> None:
        reloads.append(1)

    operator = Operator(
        store,
        knowledge,
        clock,
        faq_copy,
        admin_ids=frozenset({ADMIN}),
        log_unmatched=True,
        unmatched_days=7,
        on_reload=rescheduled,
    )
    return OperatorBot(operator, Responder(knowledge, clock, routes=operator.routes()), reloads)


def as_user(user: int) -> ChatContext:
    return ChatContext(chat_id=user, user_id=user)


async def test_stats_and_reload_are_for_admins_only(bot: OperatorBot):
    for command in ("stats", "reload"):
        (reply,) = await bot.responder.command(command, "", as_user(USER))
        assert f"I don't know the command /{command}" in reply.text


async def test_stats_counts_outcomes_without_personal_data(bot: OperatorBot):
    operator = bot.operator
    await bot.ask("are my dms used for ai training", USER)
    await bot.ask("what's a good banana bread recipe", USER)
    await bot.ask("what's a good banana bread recipe", USER)
    await bot.ask("/stats", USER)  # a command: not a question, not counted
    (reply,) = await bot.responder.command("stats", "", as_user(ADMIN))
    assert "Questions: 3" in reply.text
    assert "fallback 2" in reply.text and "answer 1" in reply.text
    assert "private-messages (1)" in reply.text
    assert str(USER) not in reply.text
    assert operator.popular == ["private-messages"]


async def test_unmatched_questions_are_kept_normalised_without_ids_and_expire(
    bot: OperatorBot, clock: FakeClock
):
    operator = bot.operator
    await bot.ask("What's a GOOD banana bread recipe?!", USER)
    await bot.ask("are my dms used for ai training", USER)  # answered: not kept
    await operator.flush()
    assert await analytics.list_unmatched(operator.store.engine) == [
        "what is a good banana bread recipe"
    ]
    clock.advance(timedelta(days=8).total_seconds())
    await operator.flush()
    assert await analytics.list_unmatched(operator.store.engine) == []


async def test_unmatched_is_off_by_default(bot: OperatorBot):
    operator = bot.operator
    operator.log_unmatched = False
    await bot.ask("banana bread recipe", USER)
    await operator.flush()
    assert await analytics.list_unmatched(operator.store.engine) == []


def test_group_unmatched_by_similarity():
    groups = group_unmatched(
        ["banana bread recipe", "recipe for banana bread", "weather in oslo", "banana bread"]
    )
    assert groups[0].count == 3 and "banana" in groups[0].example
    assert groups[1].count == 1


async def test_reload_keeps_the_running_faq_when_the_new_one_is_broken(
    bot: OperatorBot, faq_copy: Path
):
    before = bot.responder.knowledge
    topic_file = sorted((faq_copy / "topics").glob("*.yaml"))[0]
    topic_file.write_text("topics: [unclosed", encoding="utf-8")
    (reply,) = await bot.responder.command("reload", "", as_user(ADMIN))
    assert "kept the running version" in reply.text and topic_file.name in reply.text
    assert bot.responder.knowledge is before
    assert bot.reloads == []


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ("<script>alert(1)</script>", "<script>"),
        ("<b>never closed", "never closed"),
        ("Tom & Jerry", "bare '&'"),
        ('<a href="javascript:alert(1)">here</a>', "javascript:"),
    ],
)
async def test_reload_refuses_an_answer_telegram_would_refuse(
    bot: OperatorBot, faq_copy: Path, bad: str, said: str
):
    """An answer that is not Telegram HTML would fail with 400 "can't parse entities" at the
    next matching question: /reload keeps the running FAQ and says where the problem is."""
    before = bot.responder.knowledge
    topic_file = faq_copy / "topics" / "10-basics.yaml"
    text = topic_file.read_text(encoding="utf-8")
    marker = "    answer: |\n      "
    assert marker in text
    topic_file.write_text(text.replace(marker, marker + bad + " ", 1), "utf-8")
    (reply,) = await bot.responder.command("reload", "", as_user(ADMIN))
    assert "kept the running version" in reply.text, reply.text
    assert "10-basics.yaml" in reply.text and said in reply.text.replace("&amp;", "&").replace(
        "&lt;", "<"
    ).replace("&gt;", ">")
    assert bot.responder.knowledge is before


async def test_reload_swaps_in_a_good_faq_and_reschedules(bot: OperatorBot, faq_copy: Path):
    before = bot.responder.knowledge
    (reply,) = await bot.responder.command("reload", "", as_user(ADMIN))
    assert "Reloaded" in reply.text
    assert bot.responder.knowledge is not before
    assert bot.operator.knowledge.current is bot.responder.knowledge  # one knowledge for all
    assert bot.reloads == [1]


def test_inline_answers(knowledge: Knowledge, clock: FakeClock):
    found = inline_answers(knowledge, "stop insta using my photos", clock.now())
    assert 1 <= len(found) <= 5
    assert found[0].topic == "opt-out-instagram"
    for answer in found:
        assert visible_length(answer.text) <= 4096
        assert "Sources" in answer.text and "{{" not in answer.text
    popular = inline_answers(knowledge, "  ", clock.now(), ["deadline"])
    assert len(popular) == 5 and popular[0].topic == "deadline"
    assert inline_answers(knowledge, "qwxz zzkq", clock.now()) == []


def test_inline_answers_fall_back_to_the_operators_language(knowledge: Knowledge, clock: FakeClock):
    """An empty query from a Telegram app in a language the bot does not speak: the operator's
    DEFAULT_LANGUAGE decides; a query clearly in English is still answered in English."""
    german = inline_answers(knowledge, "", clock.now(), ["deadline"], "ja", "de")
    topic = knowledge.kb.topics["deadline"]
    assert german[0].title == topic.text("de").title != topic.text("en").title
    english = inline_answers(
        knowledge, "how do I stop instagram using my photos", clock.now(), None, "ja", "de"
    )
    assert english[0].title == knowledge.kb.topics["opt-out-instagram"].text("en").title
