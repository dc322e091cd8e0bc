"""Set-up shared by the end-to-end modules."""

from __future__ import annotations

import pytest

from bot.knowledge.model import KnowledgeBase
from bot.matching.matcher import Matcher


@pytest.fixture(scope="session", autouse=True)
def phrasing_vectors_cached(kb: KnowledgeBase) -> None:
    """The bot processes started here read the FAQ's phrasing vectors from the shared cache
    (bot/matching/vector_cache.py). On a fresh machine the first start would compute them,
    about 8 s, inside a start-up wait of 20 s: compute them once, before any process."""
    Matcher(kb)
