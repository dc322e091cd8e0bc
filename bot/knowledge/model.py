"""Plain, immutable data classes for the knowledge base.

They know nothing of YAML or Telegram, so matching, rendering and reminders can be
tested on hand-made instances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

REGIONS: tuple[str, ...] = ("eu", "uk", "ch", "br", "other")
REGION_NAMES: dict[str, str] = {
    "eu": "EU/EEA",
    "uk": "United Kingdom",
    "ch": "Switzerland",
    "br": "Brazil",
    "other": "elsewhere",
}
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl", "pl", "pt")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Position:
    claim: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Disputed:
    summary: str
    positions: tuple[Position, ...]


@dataclass(frozen=True, slots=True)
class TopicText:
    """The words of a topic in one language; facts (sources, dates) stay language-neutral."""

    title: str
    question: str
    alternates: tuple[str, ...]
    answer: str
    regions: dict[str, str] = field(default_factory=dict)

    def answer_for(self, region: str | None) -> str:
        if region and region in self.regions:
            return self.regions[region]
        return self.answer


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    texts: dict[str, TopicText]
    sources: tuple[Source, ...]
    verified: date
    related: tuple[str, ...] = ()
    platform: str | None = None
    disputed: Disputed | None = None
    file: str = ""
    line: int = 0

    def text(self, language: str = DEFAULT_LANGUAGE) -> TopicText:
        return self.texts.get(language) or self.texts[DEFAULT_LANGUAGE]

    @property
    def title(self) -> str:
        return self.text().title


@dataclass(frozen=True, slots=True)
class Route:
    """How to object on one platform in one region."""

    steps: tuple[str, ...]
    available: bool = True
    form_url: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Platform:
    id: str
    name: str
    company: str
    aliases: tuple[str, ...]
    routes: dict[str, Route]
    expect: str
    sources: tuple[Source, ...]
    verified: date
    file: str = ""
    line: int = 0

    def route_for(self, region: str | None) -> tuple[str, Route] | None:
        """The route for a region, falling back to `default`, then to the first listed."""
        if region and region in self.routes:
            return region, self.routes[region]
        if "default" in self.routes:
            return "default", self.routes["default"]
        return None


@dataclass(frozen=True, slots=True)
class Deadline:
    id: str
    title: str
    at: datetime  # timezone-aware
    timezone: str
    regions: tuple[str, ...]
    platforms: tuple[str, ...]
    before: str
    after: str
    sources: tuple[Source, ...] = ()
    file: str = ""
    line: int = 0

    def applies_to(self, region: str | None) -> bool:
        return region is None or region in self.regions


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    topics: dict[str, Topic]
    platforms: dict[str, Platform]
    deadlines: dict[str, Deadline]
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Phrasings of questions the bot does not cover (account help, small talk ...).
    out_of_scope: tuple[str, ...] = ()

    def topic(self, topic_id: str) -> Topic | None:
        return self.topics.get(topic_id)

    def platform_by_name(self, name: str) -> Platform | None:
        """Look a platform up by id or alias, ignoring case and surrounding space."""
        key = name.strip().lower()
        if key in self.platforms:
            return self.platforms[key]
        for platform in self.platforms.values():
            if key in (a.lower() for a in platform.aliases) or key == platform.name.lower():
                return platform
        return None

    def topic_for_platform(self, platform_id: str) -> Topic | None:
        for topic in self.topics.values():
            if topic.platform == platform_id:
                return topic
        return None
