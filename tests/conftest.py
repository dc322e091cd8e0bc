"""Shared fixtures: the shipped knowledge base and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.core.context import Knowledge, LiveKnowledge
from bot.core.responder import Responder
from bot.knowledge.loader import load_knowledge_base
from bot.knowledge.model import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
FAQ_DIR = ROOT / "faq"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end modules start the bot as a subprocess: marked `slow`, so that
    `make test-fast` (pytest -m "not slow") leaves them out and `make test` runs them."""
    for item in items:
        if item.path.name.startswith("test_e2e_"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base(FAQ_DIR)


@pytest.fixture(scope="session")
def knowledge(kb: KnowledgeBase) -> Knowledge:
    return Knowledge.build(kb)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def responder(knowledge: Knowledge, clock: FakeClock) -> Responder:
    return Responder(LiveKnowledge(knowledge), clock)
