"""The knowledge base: topics, platforms and deadlines read from `faq/`."""

from bot.knowledge.model import (
    REGIONS,
    Deadline,
    Disputed,
    KnowledgeBase,
    Platform,
    Position,
    Route,
    Source,
    Topic,
    TopicText,
)

__all__ = [
    "REGIONS",
    "Deadline",
    "Disputed",
    "KnowledgeBase",
    "Platform",
    "Position",
    "Route",
    "Source",
    "Topic",
    "TopicText",
]
