"""Turn parsed YAML entries (topics, platforms, deadlines) into model objects.

Field-level reading and its file:line problems live in FieldReader (bot/knowledge/fields.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.knowledge.fields import WRITTEN_DATE_RE, FieldReader
from bot.knowledge.model import (
    DATED_KINDS,
    DEADLINE_KINDS,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    PLACEHOLDER_RE,
    REGIONS,
    Deadline,
    Disputed,
    Platform,
    Position,
    Route,
    Topic,
    TopicText,
)
from bot.knowledge.yaml_reader import item_line, line_of

__all__ = ["Reader"]

MIN_ALTERNATES = 8
MAX_TITLE = 40
ROUTE_KEYS = (*REGIONS, "default")
TEXT_KEYS = ("title", "question", "alternates", "answer", "details", "regions")
TOPIC_KEYS = (
    "id",
    *TEXT_KEYS,
    "platform",
    "related",
    "sources",
    "verified",
    "disputed",
    "translations",
    "changed",
    "change",
)
PLATFORM_KEYS = (
    "id",
    "name",
    "company",
    "aliases",
    "routes",
    "expect",
    "sources",
    "verified",
    "changed",
    "change",
)
DEADLINE_KEYS = (
    "id",
    "kind",
    "title",
    "at",
    "timezone",
    "since",
    "summary",
    "regions",
    "platforms",
    "before",
    "after",
    "sources",
    "changed",
    "change",
)
# What each kind of deadline needs, and what it may not have.
KIND_NEEDS: dict[str, tuple[str, ...]] = {
    "deadline": ("at", "timezone", "before", "after"),
    "effective": ("at", "timezone", "before", "after"),
    "standing": ("since", "summary"),
    "watch": ("summary",),
}
KIND_FORBIDS: dict[str, tuple[str, ...]] = {
    "deadline": ("since",),
    "effective": ("since",),
    "standing": ("at", "timezone", "before", "after"),
    "watch": ("at", "timezone", "since", "before", "after"),
}


class Reader(FieldReader):
    """Builds topics, platforms and deadlines, reporting every bad value."""

    # -- topics --------------------------------------------------------------------
    def topic_text(self, obj: dict[str, Any], where: str) -> TopicText | None:
        self.check_keys(obj, TEXT_KEYS, where)
        title = self.plain(obj, "title")
        question = self.plain(obj, "question")
        answer = self.text(obj, "answer")
        details = self.text(obj, "details", required=False)
        alternates = self.str_list(obj, "alternates")
        if title and len(title) > MAX_TITLE:
            self.problem(
                line_of(obj, "title"), f"'title' is {len(title)} characters; keep it to {MAX_TITLE}"
            )
        if len(alternates) < MIN_ALTERNATES:
            self.problem(
                line_of(obj, "alternates"),
                f"{where} has {len(alternates)} alternates; at least {MIN_ALTERNATES} needed",
            )
        regions, region_details = self.region_variants(obj, where)
        if not (title and question and answer):
            return None
        return TopicText(title, question, alternates, answer, regions, details, region_details)

    def region_variants(
        self, obj: dict[str, Any], where: str
    ) -> tuple[dict[str, str], dict[str, str | None]]:
        """`regions:` as answers by region, and the details that go with each answer."""
        regions: dict[str, str] = {}
        region_details: dict[str, str | None] = {}
        raw_regions = obj.get("regions") or {}
        if not isinstance(raw_regions, dict):
            self.problem(line_of(obj, "regions"), "'regions' must map region keys to answer texts")
            raw_regions = {}
        for region, value in raw_regions.items():
            if region.startswith("__"):
                continue
            at = line_of(raw_regions, region)
            if region not in REGIONS:
                self.problem(
                    at, f"unknown region '{region}' (expected one of {', '.join(REGIONS)})"
                )
            elif isinstance(value, dict):
                self.check_keys(value, ("answer", "details"), f"{where} region '{region}'")
                text = self.text(value, "answer")
                if text:
                    regions[region] = text
                    region_details[region] = self.text(value, "details", required=False)
            elif not isinstance(value, str) or not value.strip():
                self.problem(
                    at, f"region variant '{region}' must be an answer text or {{answer, details}}"
                )
            else:
                regions[region] = self.text(raw_regions, region) or value.strip()
                region_details[region] = None
        return regions, region_details

    def topic(self, obj: dict[str, Any]) -> Topic | None:
        line = obj.get("__line__", 0)
        topic_id = self.id(obj)
        where = f"topic '{topic_id}'"
        self.check_keys(obj, TOPIC_KEYS, where)
        texts: dict[str, TopicText] = {}
        base = self.topic_text(
            {k: v for k, v in obj.items() if k in (*TEXT_KEYS, "__line__", "__lines__")}, where
        )
        if base:
            texts[DEFAULT_LANGUAGE] = base
        translations = obj.get("translations") or {}
        if not isinstance(translations, dict):
            self.problem(
                line_of(obj, "translations"), "'translations' must map language codes to texts"
            )
            translations = {}
        for lang, tobj in translations.items():
            if lang.startswith("__"):
                continue
            if lang not in LANGUAGES or lang == DEFAULT_LANGUAGE:
                self.problem(line_of(translations, lang), f"unknown translation language '{lang}'")
                continue
            if not isinstance(tobj, dict):
                self.problem(line_of(translations, lang), f"translation '{lang}' must be a mapping")
                continue
            text = self.topic_text(tobj, f"{where} ({lang})")
            if text:
                texts[lang] = text
        sources = self.sources(obj)
        verified = self.verified(obj)
        related = self.str_list(obj, "related")
        platform = self.plain(obj, "platform", required=False)
        disputed = self.disputed(obj)
        change = self.change(obj, where)
        if not topic_id or DEFAULT_LANGUAGE not in texts:
            return None
        return Topic(
            id=topic_id,
            texts=texts,
            sources=sources,
            verified=verified,
            related=related,
            platform=platform,
            disputed=disputed,
            file=self.file,
            line=line,
            change=change,
        )

    def disputed(self, parent: dict[str, Any]) -> Disputed | None:
        obj = parent.get("disputed")
        if obj is None:
            return None
        if not isinstance(obj, dict):
            self.problem(
                line_of(parent, "disputed"),
                "'disputed' must be a mapping with summary and positions",
            )
            return None
        self.check_keys(obj, ("summary", "positions"), "'disputed'")
        summary = self.text(obj, "summary")
        positions = []
        raw = obj.get("positions")
        if not isinstance(raw, list) or len(raw) < 2:
            self.problem(line_of(obj, "positions"), "'disputed' needs at least two positions")
            raw = []
        for index, pos in enumerate(raw):
            if not isinstance(pos, dict):
                self.problem(item_line(raw, index), "every position needs a claim and sources")
                continue
            self.check_keys(pos, ("claim", "sources"), "a position")
            claim = self.text(pos, "claim")
            srcs = self.sources(pos)
            if claim:
                positions.append(Position(claim, srcs))
        return Disputed(summary, tuple(positions)) if summary else None

    # -- platforms -----------------------------------------------------------------
    def route(self, obj: Any, line: int | None, where: str) -> Route | None:
        if not isinstance(obj, dict):
            self.problem(line, f"{where} must be a mapping with steps")
            return None
        self.check_keys(obj, ("steps", "available", "form_url", "note"), where)
        steps = self.str_list(obj, "steps", html=True)
        form_url = self.text(obj, "form_url", required=False, html=False)
        if form_url and not self.url_ok(form_url):
            self.problem(line_of(obj, "form_url"), f"malformed URL: {form_url!r}")
            form_url = None
        available = self.flag(obj, "available", default=True)
        note = self.text(obj, "note", required=False)
        return Route(steps, available, form_url, note)

    def platform(self, obj: dict[str, Any]) -> Platform | None:
        line = obj.get("__line__", 0)
        pid = self.id(obj)
        where = f"platform '{pid}'"
        self.check_keys(obj, PLATFORM_KEYS, where)
        name = self.plain(obj, "name")
        company = self.plain(obj, "company")
        aliases = self.str_list(obj, "aliases")
        expect = self.text(obj, "expect")
        sources = self.sources(obj)
        verified = self.verified(obj)
        change = self.change(obj, where)
        routes: dict[str, Route] = {}
        raw = obj.get("routes")
        if not isinstance(raw, dict):
            self.problem(line, f"{where} needs 'routes' (region -> steps)")
        else:
            for key, value in raw.items():
                if key.startswith("__"):
                    continue
                if key not in ROUTE_KEYS:
                    self.problem(
                        line_of(raw, key),
                        f"unknown route region '{key}' (expected {', '.join(ROUTE_KEYS)})",
                    )
                    continue
                route = self.route(value, line_of(raw, key), f"{where} route '{key}'")
                if route:
                    routes[key] = route
        if not any(r.steps for r in routes.values()):
            self.problem(line, f"{where} has no steps in any region")
        if not (pid and name and company and expect):
            return None
        return Platform(
            pid, name, company, aliases, routes, expect, sources, verified, self.file, line, change
        )

    # -- deadlines -----------------------------------------------------------------
    def deadline(self, obj: dict[str, Any]) -> Deadline | None:
        line = obj.get("__line__", 0)
        did = self.id(obj)
        where = f"deadline '{did}'"
        self.check_keys(obj, DEADLINE_KEYS, where)
        kind = self.plain(obj, "kind")
        if kind is not None and kind not in DEADLINE_KINDS:
            self.problem(
                line_of(obj, "kind"),
                f"{where}: unknown kind {kind!r} (expected one of {', '.join(DEADLINE_KINDS)})",
            )
            kind = None
        if kind:
            a_kind = f"{'an' if kind[0] in 'aeiou' else 'a'} '{kind}' entry"
            for key in KIND_NEEDS[kind]:
                if key not in obj:
                    self.problem(line, f"{where}: {a_kind} needs '{key}'")
            for key in KIND_FORBIDS[kind]:
                if key in obj:
                    self.problem(line_of(obj, key), f"{where}: {a_kind} has no '{key}'")
        title = self.plain(obj, "title")
        texts = {k: self.text(obj, k, required=False) for k in ("before", "after", "summary")}
        for key, text in texts.items():
            if not text:
                continue
            if PLACEHOLDER_RE.search(text) or "{{" in text:
                self.problem(line_of(obj, key), f"{where}: '{key}' cannot contain placeholders")
            written = WRITTEN_DATE_RE.search(text)
            if written:
                self.problem(
                    line_of(obj, key, written.start(), text),
                    f"{where}: '{key}' writes a date ({written.group(0)}); the bot adds dates "
                    "from 'at' and 'since'",
                )
        at, tz_name = self.moment(obj, where) if kind in DATED_KINDS else (None, None)
        since = self.day(obj, "since", required=False) if kind == "standing" else None
        regions = self.regions_list(obj, where)
        if not obj.get("regions"):
            self.problem(
                line_of(obj, "regions"), f"{where}: 'regions' must list at least one region"
            )
        platforms = self.str_list(obj, "platforms")
        sources = self.sources(obj, required=False)
        change = self.change(obj, where)
        if not (did and title and kind and regions):
            return None
        if kind in DATED_KINDS and not (at and at.tzinfo and texts["before"] and texts["after"]):
            return None
        if kind == "standing" and not (since and texts["summary"]):
            return None
        if kind == "watch" and not texts["summary"]:
            return None
        return Deadline(
            id=did,
            title=title,
            at=at,
            timezone=tz_name,
            regions=regions,
            platforms=platforms,
            before=texts["before"] or "",
            after=texts["after"] or "",
            sources=sources,
            file=self.file,
            line=line,
            kind=kind,
            since=since,
            summary=texts["summary"] or "",
            change=change,
        )

    def moment(self, obj: dict[str, Any], where: str) -> tuple[datetime | None, str | None]:
        """`at` (a local date-time) in `timezone` (an IANA name), as an aware datetime."""
        tz_name = self.plain(obj, "timezone", required=False)
        tz = None
        if tz_name:
            try:
                tz = ZoneInfo(tz_name)
            except (ZoneInfoNotFoundError, ValueError):
                self.problem(
                    line_of(obj, "timezone"),
                    f"{where}: unknown time zone {tz_name!r} (use an IANA name)",
                )
        raw_at = obj.get("at")
        at: datetime | None = None
        if isinstance(raw_at, datetime):
            at = raw_at
        elif isinstance(raw_at, str):
            try:
                at = datetime.fromisoformat(raw_at.strip())
            except ValueError:
                self.problem(
                    line_of(obj, "at"),
                    f"{where}: 'at' does not parse: {raw_at!r} (e.g. 2025-05-27T00:00)",
                )
        elif raw_at is not None:
            self.problem(
                line_of(obj, "at"), f"{where}: 'at' must be a local date-time like 2025-05-27T00:00"
            )
        if at is not None and tz is not None:
            at = at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz)
        return (at if at and at.tzinfo else None), (tz_name if tz else None)
