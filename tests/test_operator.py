"""Operator tools: flood control, /stats and /reload for admins, unmatched questions, inline."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.core.responder import ChatContext, Knowledge, Responder
from bot.features.operator import FloodGuard, Operator, group_unmatched
from bot.knowledge.model import KnowledgeBase
from bot.render.html import visible_length
from bot.store import analytics
from bot.store.repository import Store
from bot.telegram.inline import inline_answers
from tests.conftest import FAQ_DIR
from tests.store_fixtures import backend_fixture, store_fixture  # noqa: F401

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


@pytest.fixture
def operator(store: Store, kb: KnowledgeBase, clock: FakeClock, faq_copy: Path):
    responder = Responder(Knowledge.build(kb), clock)
    reloads: list[int] = []

    async def rescheduled() -> None:
        reloads.append(1)

    op = Operator(
        store,
        responder,
        clock,
        faq_copy,
        admin_ids=frozenset({ADMIN}),
        log_unmatched=True,
        unmatched_days=7,
        on_reload=rescheduled,
    )
    op.install()
    op.reloads = reloads  # type: ignore[attr-defined]
    return op


def as_user(user: int) -> ChatContext:
    return ChatContext(chat_id=user, user_id=user)


async def test_stats_and_reload_are_for_admins_only(operator: Operator):
    for command in ("stats", "reload"):
        (reply,) = await operator.responder.command(command, "", as_user(USER))
        assert f"I don't know the command /{command}" in reply.text


async def test_stats_counts_outcomes_without_personal_data(operator: Operator):
    r = operator.responder
    await r.text("are my dms used for ai training", as_user(USER))
    await r.text("what's a good banana bread recipe", as_user(USER))
    await r.text("what's a good banana bread recipe", as_user(USER))
    (reply,) = await r.command("stats", "", as_user(ADMIN))
    assert "Questions: 3" in reply.text
    assert "fallback 2" in reply.text and "answer 1" in reply.text
    assert "private-messages (1)" in reply.text
    assert str(USER) not in reply.text
    assert operator.popular == ["private-messages"]


async def test_unmatched_questions_are_kept_normalised_without_ids_and_expire(
    operator: Operator, clock: FakeClock
):
    r = operator.responder
    await r.text("What's a GOOD banana bread recipe?!", as_user(USER))
    await r.text("are my dms used for ai training", as_user(USER))  # answered: not kept
    await operator.flush()
    assert await analytics.list_unmatched(operator.store.engine) == [
        "what is a good banana bread recipe"
    ]
    clock.advance(timedelta(days=8).total_seconds())
    await operator.flush()
    assert await analytics.list_unmatched(operator.store.engine) == []


async def test_unmatched_is_off_by_default(operator: Operator):
    operator.log_unmatched = False
    await operator.responder.text("banana bread recipe", as_user(USER))
    await operator.flush()
    assert await analytics.list_unmatched(operator.store.engine) == []


def test_group_unmatched_by_similarity():
    groups = group_unmatched(
        ["banana bread recipe", "recipe for banana bread", "weather in oslo", "banana bread"]
    )
    assert groups[0].count == 3 and "banana" in groups[0].example
    assert groups[1].count == 1


async def test_reload_keeps_the_running_faq_when_the_new_one_is_broken(
    operator: Operator, faq_copy: Path
):
    before = operator.responder.knowledge
    topic_file = sorted((faq_copy / "topics").glob("*.yaml"))[0]
    topic_file.write_text("topics: [unclosed", encoding="utf-8")
    (reply,) = await operator.responder.command("reload", "", as_user(ADMIN))
    assert "kept the running version" in reply.text and topic_file.name in reply.text
    assert operator.responder.knowledge is before
    assert operator.reloads == []


async def test_reload_swaps_in_a_good_faq_and_reschedules(operator: Operator, faq_copy: Path):
    before = operator.responder.knowledge
    (reply,) = await operator.responder.command("reload", "", as_user(ADMIN))
    assert "Reloaded" in reply.text
    assert operator.responder.knowledge is not before
    assert operator.reloads == [1]


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
