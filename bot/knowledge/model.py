"""Plain, immutable data classes for the knowledge base.

They know nothing of YAML or Telegram, so matching, rendering and reminders can be
tested on hand-made instances.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

# REGIONS and REGION_NAMES are defined in regions.py and re-exported here for callers.
from bot.knowledge.regions import REGION_NAMES as REGION_NAMES
from bot.knowledge.regions import REGIONS as REGIONS
from bot.knowledge.regions import region_chain

LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl", "pl", "pt")
DEFAULT_LANGUAGE = "en"
# {{deadline:ID}} or {{deadline:ID:FORMAT}} in answer texts: dates come from the data.
PLACEHOLDER_RE = re.compile(r"\{\{\s*deadline:([a-z0-9-]+)(?::([a-z]+))?\s*\}\}")
PLACEHOLDER_FORMATS: tuple[str | None, ...] = (None, "date", "relative", "status")
# deadline: a last day to act; effective: a date from which something applies (information,
# never a task); standing: a setting that can be changed at any time; watch: no date yet.
DEADLINE_KINDS: tuple[str, ...] = ("deadline", "effective", "standing", "watch")
DATED_KINDS: tuple[str, ...] = ("deadline", "effective")


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str
    date: date | None = None  # when the source was published
    secondary: bool = False  # a report about the facts, not the original
    undated: bool = False  # no publication date could be found (checked, not forgotten)


@dataclass(frozen=True, slots=True)
class Change:
    """What changed lately in an entry, in one line for users, and when."""

    on: date
    text: str


@dataclass(frozen=True, slots=True)
class Position:
    claim: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Disputed:
    summary: str
    positions: tuple[Position, ...]


def _reworded(change: Change | None, text: str | None) -> Change | None:
    """A change told in another language: same date, its words."""
    return replace(change, text=text) if change is not None and text is not None else change


def _first(mapping: dict[str, str], region: str | None) -> str | None:
    for key in region_chain(region):
        if key in mapping:
            return mapping[key]
    return None


@dataclass(frozen=True, slots=True)
class TopicText:
    """The words of a topic in one language; facts (sources, dates) stay language-neutral.

    `answer` is the first message; `details` the rest, shown on request. `regions` and
    `region_details` replace them for one region (ca, hk and us fall back to other).
    The disputed note, change and extra sources are set in translations only: English keeps
    its own on the Topic, beside their sources and date.
    """

    title: str
    question: str
    alternates: tuple[str, ...]
    answer: str
    regions: dict[str, str] = field(default_factory=dict)
    details: str | None = None
    region_details: dict[str, str | None] = field(default_factory=dict)
    disputed_summary: str | None = None
    disputed_claims: tuple[str, ...] = ()  # one per position of the English note, in order
    change: str | None = None
    sources: tuple[Source, ...] = ()  # local-language sources, listed after the topic's own
    file: str = ""  # where a translation was read (empty: with the topic itself)
    line: int = 0

    def variant_key(self, region: str | None) -> str | None:
        """The region key whose variant a reader in `region` gets, or None for the base text."""
        for key in region_chain(region):
            if key in self.regions:
                return key
        return None

    def answer_for(self, region: str | None) -> str:
        return _first(self.regions, region) or self.answer

    def details_for(self, region: str | None) -> str | None:
        """Details belong to the answer they follow: a region's variant brings its own."""
        key = self.variant_key(region)
        if key is None:
            return self.details
        return self.region_details.get(key)


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
    change: Change | None = None

    def text(self, language: str = DEFAULT_LANGUAGE) -> TopicText:
        return self.texts.get(language) or self.texts[DEFAULT_LANGUAGE]

    def has_text(self, language: str) -> bool:
        """Whether the topic is written in `language` (else it is shown in English)."""
        return language == DEFAULT_LANGUAGE or language in self.texts

    def disputed_in(self, language: str) -> Disputed | None:
        """The disputed note in `language`, with the English note's sources."""
        text = self.texts.get(language)
        if self.disputed is None or text is None or text.disputed_summary is None:
            return self.disputed
        positions = tuple(
            replace(p, claim=claim)
            for p, claim in zip(self.disputed.positions, text.disputed_claims, strict=False)
        )
        return Disputed(text.disputed_summary, positions)

    def change_in(self, language: str) -> Change | None:
        text = self.texts.get(language)
        return _reworded(self.change, text.change if text else None)

    def sources_in(self, language: str) -> tuple[Source, ...]:
        """The topic's sources, then those a translation adds for its readers."""
        text = self.texts.get(language)
        extra = tuple(s for s in text.sources if s not in self.sources) if text else ()
        return self.sources + extra

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
class RouteText:
    """A route's words in another language: as many steps as English, in the same order."""

    steps: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PlatformText:
    """A platform's words in another language; a route it lacks stays English."""

    routes: dict[str, RouteText]
    expect: str | None = None
    change: str | None = None
    file: str = ""
    line: int = 0


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
    change: Change | None = None
    # By language, English not included; left out of the hash so entries stay usable as keys.
    texts: dict[str, PlatformText] = field(default_factory=dict, hash=False)

    def has_text(self, language: str) -> bool:
        return language == DEFAULT_LANGUAGE or language in self.texts

    def for_language(self, language: str) -> Platform:
        """This platform with its words in `language` where translated, English elsewhere."""
        text = self.texts.get(language)
        if text is None:
            return self
        routes = {}
        for key, route in self.routes.items():
            local = text.routes.get(key)
            routes[key] = (
                route if local is None else replace(route, steps=local.steps, note=local.note)
            )
        change = _reworded(self.change, text.change)
        return replace(self, routes=routes, expect=text.expect or self.expect, change=change)

    def route_for(self, region: str | None) -> tuple[str, Route] | None:
        """The route for a region (ca, hk, us fall back to other), else the `default` route."""
        for key in region_chain(region):
            if key in self.routes:
                return key, self.routes[key]
        if "default" in self.routes:
            return "default", self.routes["default"]
        return None


@dataclass(frozen=True, slots=True)
class DeadlineText:
    """A deadline's words in another language: the fields its English entry has."""

    title: str
    before: str = ""
    after: str = ""
    summary: str = ""
    change: str | None = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Deadline:
    """One entry of `faq/deadlines.yaml`, of any kind (see DEADLINE_KINDS).

    `at` and `timezone` are set for `deadline` and `effective`; `since` for `standing`;
    `summary` for `standing` and `watch`; `before`/`after` for the dated kinds.
    """

    id: str
    title: str
    at: datetime | None  # timezone-aware
    timezone: str | None
    regions: tuple[str, ...]
    platforms: tuple[str, ...]
    before: str = ""
    after: str = ""
    sources: tuple[Source, ...] = ()
    file: str = ""
    line: int = 0
    kind: str = "deadline"
    since: date | None = None
    summary: str = ""
    change: Change | None = None
    # By language, English not included; left out of the hash (reminder rounds are keys).
    texts: dict[str, DeadlineText] = field(default_factory=dict, hash=False)

    def has_text(self, language: str) -> bool:
        return language == DEFAULT_LANGUAGE or language in self.texts

    def for_language(self, language: str) -> Deadline:
        """This entry with its words in `language` when translated, else itself."""
        text = self.texts.get(language)
        if text is None:
            return self
        return replace(
            self,
            title=text.title,
            before=text.before or self.before,
            after=text.after or self.after,
            summary=text.summary or self.summary,
            change=_reworded(self.change, text.change),
        )

    @property
    def is_task(self) -> bool:
        """A dated last day to act: the only kind reminders are sent for."""
        return self.kind == "deadline" and self.at is not None

    def applies_to(self, region: str | None) -> bool:
        if region is None:
            return True
        return any(key in self.regions for key in region_chain(region))


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    topics: dict[str, Topic]
    platforms: dict[str, Platform]
    deadlines: dict[str, Deadline]
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Phrasings of questions the bot does not cover (account help, small talk ...).
    out_of_scope: tuple[str, ...] = ()
    # The same in other languages, from faq/i18n/<language>/out-of-scope.yaml.
    out_of_scope_translations: dict[str, tuple[str, ...]] = field(default_factory=dict)

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
