"""Turn parsed YAML into model objects, checking every field where it is written.

Each bad value becomes a Problem with the file and the line of that value (the line of
the entry when the value is missing), so `python -m bot check` lists them all at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.knowledge.model import (
    DATED_KINDS,
    DEADLINE_KINDS,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    PLACEHOLDER_RE,
    REGIONS,
    Change,
    Deadline,
    Disputed,
    Platform,
    Position,
    Route,
    Source,
    Topic,
    TopicText,
)
from bot.knowledge.problems import WARNING, Problem
from bot.knowledge.telegram_html import check_html, check_plain
from bot.knowledge.yaml_reader import YamlError, item_line, line_of, parse_yaml

MIN_ALTERNATES = 8
MAX_TITLE = 40
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
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
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# A full date written out: 27 May 2025, May 27, 2025, 2025-05-27, 27.05.2025, 27/5/2025.
WRITTEN_DATE_RE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}[./]\d{1,2}[./]\d{4})\b",
    re.IGNORECASE,
)


class Reader:
    """Collects problems while turning parsed YAML into model objects."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.file = ""

    def problem(self, line: int | None, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.file, line, message, severity))

    # -- files ---------------------------------------------------------------------
    def read_yaml(self, path: Path) -> Any:
        """Parse one file, recording a problem (and returning None) when it is broken."""
        self.file = (
            str(path.relative_to(self.root.parent))
            if path.is_relative_to(self.root.parent)
            else str(path)
        )
        try:
            return parse_yaml(path)
        except YamlError as exc:
            self.problem(exc.line, exc.message)
            return None

    def load_file(self, path: Path, key: str) -> list[dict[str, Any]]:
        before = len(self.problems)
        data = self.read_yaml(path)
        if data is None and len(self.problems) > before:
            return []
        if data is None:
            self.problem(None, f"the file is empty; expected a mapping with '{key}:'")
            return []
        if not isinstance(data, dict) or key not in data:
            self.problem(1, f"expected a mapping with a '{key}:' list at the top")
            return []
        items = data[key]
        if not isinstance(items, list):
            self.problem(line_of(data, key), f"'{key}' must be a list")
            return []
        good = []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                good.append(item)
            else:
                self.problem(item_line(items, index), f"every entry of '{key}' must be a mapping")
        return good

    # -- field helpers -------------------------------------------------------------
    def text(
        self, obj: dict[str, Any], key: str, *, required: bool = True, html: bool = True
    ) -> str | None:
        """A non-empty text; HTML texts must be valid for Telegram, others plain."""
        value = obj.get(key)
        if value is None:
            if required:
                self.problem(obj.get("__line__"), f"missing '{key}'")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(line_of(obj, key), f"'{key}' must be non-empty text")
            return None
        value = value.strip()
        self.check_text(value, key, lambda offset: line_of(obj, key, offset, value), html=html)
        return value

    def check_text(self, value: str, what: str, line, *, html: bool = True) -> None:
        issues = check_html(value) if html else check_plain(value)
        for issue in issues:
            self.problem(line(issue.offset), f"'{what}': {issue.message}")

    def plain(self, obj: dict[str, Any], key: str, *, required: bool = True) -> str | None:
        return self.text(obj, key, required=required, html=False)

    def str_list(self, obj: dict[str, Any], key: str, *, html: bool | None = None):
        """A list of texts; `html` True/False checks each as sent HTML/plain text."""
        value = obj.get(key, [])
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(line_of(obj, key), f"'{key}' must be a list of non-empty texts")
            return ()
        out = []
        for index, raw in enumerate(value):
            item = raw.strip()
            if html is not None:
                self.check_text(
                    item,
                    key,
                    lambda offset, i=index, t=item: (
                        item_line(value, i, offset, t) or line_of(obj, key)
                    ),
                    html=html,
                )
            out.append(item)
        return tuple(out)

    def url_ok(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            return bool(parts.netloc) and "." in parts.netloc and " " not in url
        if parts.scheme or parts.netloc or not url:
            return False
        # A path inside the repository (used for the bot's own documentation).
        return (self.root.parent / url).exists() or (PROJECT_ROOT / url).exists()

    def day(self, obj: dict[str, Any], key: str, *, required: bool = True) -> date | None:
        """A calendar date written YYYY-MM-DD."""
        value = obj.get(key)
        if value is None:
            if required:
                self.problem(obj.get("__line__"), f"missing '{key}' (a date like 2026-11-26)")
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(line_of(obj, key), f"'{key}' must be a date like 2026-11-26, not {value!r}")
        return None

    def sources(self, obj: dict[str, Any], key: str = "sources", *, required: bool = True):
        line = line_of(obj, key)
        value = obj.get(key)
        if value is None:
            if required:
                self.problem(obj.get("__line__"), f"missing '{key}' (at least one title + url)")
            return ()
        if not isinstance(value, list) or (required and not value):
            self.problem(line, f"'{key}' must be a list of {{title, url}}")
            return ()
        out = []
        for index, src in enumerate(value):
            if not isinstance(src, dict):
                self.problem(
                    item_line(value, index) or line,
                    f"every entry of '{key}' needs a title and a url",
                )
                continue
            self.check_keys(src, ("title", "url", "date", "secondary"), "a source")
            title = self.plain(src, "title")
            url = self.text(src, "url", html=False)
            published = self.day(src, "date", required=False)
            secondary = src.get("secondary", False)
            if not isinstance(secondary, bool):
                self.problem(line_of(src, "secondary"), "'secondary' must be true or false")
                secondary = False
            if secondary and published is None:
                self.problem(
                    src.get("__line__"),
                    f"secondary source {title!r} has no 'date': readers are told when it "
                    "was reported",
                    WARNING,
                )
            if url and not self.url_ok(url):
                self.problem(line_of(src, "url"), f"malformed URL: {url!r}")
                continue
            if title and url:
                out.append(Source(title, url, published, secondary))
        return tuple(out)

    def check_keys(self, obj: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
        for key in obj:
            if key.startswith("__"):
                continue
            if key not in allowed:
                self.problem(line_of(obj, key), f"unknown field '{key}' in {what}")
        for key in obj.get("__dupkeys__", []):
            self.problem(line_of(obj, key), f"field '{key}' appears twice in {what}")

    def verified(self, obj: dict[str, Any]) -> date:
        return self.day(obj, "verified") or date.min

    def change(self, obj: dict[str, Any], where: str) -> Change | None:
        """`changed` (a date) and `change` (one line for users): both or neither."""
        on = self.day(obj, "changed", required=False)
        text = self.text(obj, "change", required=False)
        if ("changed" in obj) != ("change" in obj):
            self.problem(
                obj.get("__line__"),
                f"{where}: 'changed' (the date) and 'change' (what changed) go together",
            )
            return None
        if text and WRITTEN_DATE_RE.search(text):
            self.problem(
                line_of(obj, "change"),
                f"{where}: 'change' writes a date; the date goes in 'changed'",
            )
        return Change(on, text) if on and text else None

    def id(self, obj: dict[str, Any]) -> str | None:
        value = self.plain(obj, "id")
        if value and not ID_RE.match(value):
            self.problem(
                line_of(obj, "id"),
                f"bad id {value!r}: use a-z, 0-9 and '-', at most 40 characters",
            )
        return value

    def regions_list(self, obj: dict[str, Any], where: str) -> tuple[str, ...]:
        regions = self.str_list(obj, "regions")
        for region in regions:
            if region not in REGIONS:
                self.problem(
                    line_of(obj, "regions"),
                    f"{where}: unknown region '{region}' (expected one of {', '.join(REGIONS)})",
                )
        return tuple(r for r in regions if r in REGIONS)

    # -- topics --------------------------------------------------------------------
    def topic_text(self, obj: dict[str, Any], where: str) -> TopicText | None:
        self.check_keys(obj, TEXT_KEYS, where)
        title = self.plain(obj, "title")
        question = self.plain(obj, "question")
        answer = self.text(obj, "answer")
        details = self.text(obj, "details", required=False)
        alternates = self.str_list(obj, "alternates")
        line = obj.get("__line__")
        if title and len(title) > MAX_TITLE:
            self.problem(
                line_of(obj, "title"), f"'title' is {len(title)} characters; keep it to {MAX_TITLE}"
            )
        if len(alternates) < MIN_ALTERNATES:
            self.problem(
                line_of(obj, "alternates"),
                f"{where} has {len(alternates)} alternates; at least {MIN_ALTERNATES} needed",
            )
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
        del line
        if not (title and question and answer):
            return None
        return TopicText(title, question, alternates, answer, regions, details, region_details)

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
        available = obj.get("available", True)
        if not isinstance(available, bool):
            self.problem(line_of(obj, "available"), "'available' must be true or false")
            available = True
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

    # -- small lists -------------------------------------------------------------
    def phrase_list(self, path: Path, key: str) -> tuple[str, ...]:
        data = self.read_yaml(path)
        items = data.get(key) if isinstance(data, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self.problem(1, f"expected a mapping with a '{key}:' list of texts")
            return ()
        return tuple(i.strip() for i in items if i.strip())

    def synonyms(self, path: Path) -> dict[str, tuple[str, ...]]:
        """canonical -> variants; a variant may belong to one canonical form only."""
        data = self.read_yaml(path)
        table = data.get("synonyms") if isinstance(data, dict) else None
        if not isinstance(table, dict):
            self.problem(1, "expected a mapping 'synonyms:' of canonical form -> list of variants")
            return {}
        out: dict[str, tuple[str, ...]] = {}
        owner: dict[str, str] = {}
        for canonical, variants in table.items():
            if canonical.startswith("__"):
                continue
            line = line_of(table, canonical)
            if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
                self.problem(line, f"synonyms of {canonical!r} must be a list of texts")
                continue
            for variant in variants:
                key = variant.strip().lower()
                if key in owner and owner[key] != canonical:
                    self.problem(
                        line,
                        f"synonym {variant!r} is listed under both "
                        f"{owner[key]!r} and {canonical!r}",
                    )
                owner.setdefault(key, canonical)
            out[str(canonical)] = tuple(variants)
        return out
