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
