"""Read and validate `faq/` into a KnowledgeBase.

Loading and checking are one pass: every problem is collected with its file and line,
so `python -m bot check` can list them all and start-up can refuse a broken FAQ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.knowledge.model import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
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

REQUIRED_TOPICS: tuple[str, ...] = (
    "why-meta-uses-data",
    "how-to-opt-out",
    "opt-out-facebook",
    "opt-out-instagram",
    "no-opt-out-consequence",
    "data-security",
    "deadline",
    "after-deadline",
    "what-data",
    "private-messages",
    "whatsapp",
    "outside-eu",
    "both-accounts",
    "confirmation",
    "reason-required",
    "others-posting-me",
    "delete-account",
    "minors",
    "meta-ai-chats",
    "withdraw-objection",
    "already-trained",
    "public-vs-private-account",
    "bot-privacy",
    "reminders-help",
)
REQUIRED_PLATFORMS: tuple[str, ...] = ("facebook", "instagram", "threads", "messenger", "whatsapp")
_Entry = TypeVar("_Entry", Platform, Deadline)
MIN_ALTERNATES = 8
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
PLACEHOLDER_RE = re.compile(r"\{\{\s*deadline:([a-z0-9-]+)(?::([a-z]+))?\s*\}\}")
PLACEHOLDER_FORMATS = (None, "date", "relative", "status")
ROUTE_KEYS = (*REGIONS, "default")
MAX_TITLE = 40


class KnowledgeBaseError(Exception):
    """Raised when `faq/` cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base")


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that remembers the line of every mapping, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        mapping["__dupkeys__"] = sorted(dupes)
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


class _Reader:
    """Collects problems while turning parsed YAML into model objects."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.file = ""

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def load_file(self, path: Path, key: str) -> list[dict[str, Any]]:
        data = self.read_yaml(path)
        if data is None and self.problems and self.problems[-1].file == self.file:
            return []
        if data is None:
            self.problem(None, f"the file is empty; expected a mapping with '{key}:'")
            return []
        if not isinstance(data, dict) or key not in data:
            self.problem(1, f"expected a mapping with a '{key}:' list at the top")
            return []
        items = data[key]
        if not isinstance(items, list):
            self.problem(data.get("__line__"), f"'{key}' must be a list")
            return []
        good = []
        for item in items:
            if isinstance(item, dict):
                good.append(item)
            else:
                self.problem(data.get("__line__"), f"every entry of '{key}' must be a mapping")
        return good

    # -- field helpers -------------------------------------------------------------
    def text(self, obj: dict[str, Any], key: str, *, required: bool = True) -> str | None:
        line = obj.get("__line__")
        value = obj.get(key)
        if value is None:
            if required:
                self.problem(line, f"missing '{key}'")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(line, f"'{key}' must be non-empty text")
            return None
        return value.strip()

    def str_list(self, obj: dict[str, Any], key: str) -> tuple[str, ...]:
        value = obj.get(key, [])
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(obj.get("__line__"), f"'{key}' must be a list of non-empty texts")
            return ()
        return tuple(v.strip() for v in value)

    def url_ok(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            return bool(parts.netloc) and "." in parts.netloc and " " not in url
        if parts.scheme or parts.netloc or not url:
            return False
        # A path inside the repository (used for the bot's own documentation).
        return (self.root.parent / url).exists() or (PROJECT_ROOT / url).exists()

    def sources(self, obj: dict[str, Any], key: str = "sources", *, required: bool = True):
        line = obj.get("__line__")
        value = obj.get(key)
        if value is None:
            if required:
                self.problem(line, f"missing '{key}' (at least one title + url)")
            return ()
        if not isinstance(value, list) or (required and not value):
            self.problem(line, f"'{key}' must be a list of {{title, url}}")
            return ()
        out = []
        for src in value:
            if not isinstance(src, dict):
                self.problem(line, f"every entry of '{key}' needs a title and a url")
                continue
            title = self.text(src, "title")
            url = self.text(src, "url")
            if url and not self.url_ok(url):
                self.problem(src.get("__line__"), f"malformed URL: {url!r}")
                continue
            if title and url:
                out.append(Source(title, url))
        return tuple(out)

    def check_keys(self, obj: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
        for key in obj:
            if key.startswith("__"):
                continue
            if key not in allowed:
                self.problem(obj.get("__line__"), f"unknown field '{key}' in {what}")
        for key in obj.get("__dupkeys__", []):
            self.problem(obj.get("__line__"), f"field '{key}' appears twice in {what}")

    def verified(self, obj: dict[str, Any]) -> date:
        value = obj.get("verified")
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(obj.get("__line__"), "'verified' must be a date like 2026-11-26")
        return date.min

    # -- entries -----------------------------------------------------------------
    def topic_text(self, obj: dict[str, Any], where: str) -> TopicText | None:
        self.check_keys(obj, ("title", "question", "alternates", "answer", "regions"), where)
        title = self.text(obj, "title")
        question = self.text(obj, "question")
        answer = self.text(obj, "answer")
        alternates = self.str_list(obj, "alternates")
        line = obj.get("__line__")
        if title and len(title) > MAX_TITLE:
            self.problem(line, f"'title' is {len(title)} characters; keep it to {MAX_TITLE}")
        if len(alternates) < MIN_ALTERNATES:
            self.problem(
                line, f"{where} has {len(alternates)} alternates; at least {MIN_ALTERNATES} needed"
            )
        regions: dict[str, str] = {}
        raw_regions = obj.get("regions") or {}
        if not isinstance(raw_regions, dict):
            self.problem(line, "'regions' must map region keys to answer texts")
        else:
            for region, text in raw_regions.items():
                if region.startswith("__"):
                    continue
                if region not in REGIONS:
                    self.problem(
                        raw_regions.get("__line__", line),
                        f"unknown region '{region}' (expected one of {', '.join(REGIONS)})",
                    )
                elif not isinstance(text, str) or not text.strip():
                    self.problem(line, f"region variant '{region}' must be non-empty text")
                else:
                    regions[region] = text.strip()
        if not (title and question and answer):
            return None
        return TopicText(title, question, alternates, answer, regions)

    def topic(self, obj: dict[str, Any]) -> Topic | None:
        line = obj.get("__line__", 0)
        topic_id = self.text(obj, "id")
        where = f"topic '{topic_id}'"
        if topic_id and not ID_RE.match(topic_id):
            self.problem(line, f"bad id {topic_id!r}: use a-z, 0-9 and '-', at most 40 characters")
        self.check_keys(
            obj,
            (
                "id",
                "title",
                "question",
                "alternates",
                "answer",
                "regions",
                "platform",
                "related",
                "sources",
                "verified",
                "disputed",
                "translations",
            ),
            where,
        )
        texts: dict[str, TopicText] = {}
        base = self.topic_text(
            {
                k: v
                for k, v in obj.items()
                if k in ("title", "question", "alternates", "answer", "regions", "__line__")
            },
            where,
        )
        if base:
            texts[DEFAULT_LANGUAGE] = base
        translations = obj.get("translations") or {}
        if not isinstance(translations, dict):
            self.problem(line, "'translations' must map language codes to texts")
        else:
            for lang, tobj in translations.items():
                if lang.startswith("__"):
                    continue
                if lang not in LANGUAGES or lang == DEFAULT_LANGUAGE:
                    self.problem(line, f"unknown translation language '{lang}'")
                    continue
                if not isinstance(tobj, dict):
                    self.problem(line, f"translation '{lang}' must be a mapping")
                    continue
                text = self.topic_text(tobj, f"{where} ({lang})")
                if text:
                    texts[lang] = text
        sources = self.sources(obj)
        verified = self.verified(obj)
        related = self.str_list(obj, "related")
        platform = self.text(obj, "platform", required=False)
        disputed = self.disputed(obj.get("disputed"), line)
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
        )

    def disputed(self, obj: Any, line: int) -> Disputed | None:
        if obj is None:
            return None
        if not isinstance(obj, dict):
            self.problem(line, "'disputed' must be a mapping with summary and positions")
            return None
        self.check_keys(obj, ("summary", "positions"), "'disputed'")
        summary = self.text(obj, "summary")
        positions = []
        raw = obj.get("positions")
        if not isinstance(raw, list) or len(raw) < 2:
            self.problem(obj.get("__line__"), "'disputed' needs at least two positions")
            raw = []
        for pos in raw:
            if not isinstance(pos, dict):
                self.problem(obj.get("__line__"), "every position needs a claim and sources")
                continue
            claim = self.text(pos, "claim")
            srcs = self.sources(pos)
            if claim:
                positions.append(Position(claim, srcs))
        return Disputed(summary, tuple(positions)) if summary else None

    def route(self, obj: Any, line: int, where: str) -> Route | None:
        if not isinstance(obj, dict):
            self.problem(line, f"{where} must be a mapping with steps")
            return None
        self.check_keys(obj, ("steps", "available", "form_url", "note"), where)
        steps = self.str_list(obj, "steps")
        form_url = self.text(obj, "form_url", required=False)
        if form_url and not self.url_ok(form_url):
            self.problem(obj.get("__line__", line), f"malformed URL: {form_url!r}")
            form_url = None
        available = obj.get("available", True)
        if not isinstance(available, bool):
            self.problem(obj.get("__line__", line), "'available' must be true or false")
            available = True
        note = self.text(obj, "note", required=False)
        return Route(steps, available, form_url, note)

    def platform(self, obj: dict[str, Any]) -> Platform | None:
        line = obj.get("__line__", 0)
        pid = self.text(obj, "id")
        where = f"platform '{pid}'"
        self.check_keys(
            obj,
            ("id", "name", "company", "aliases", "routes", "expect", "sources", "verified"),
            where,
        )
        if pid and not ID_RE.match(pid):
            self.problem(line, f"bad id {pid!r}: use a-z, 0-9 and '-', at most 40 characters")
        name = self.text(obj, "name")
        company = self.text(obj, "company")
        aliases = self.str_list(obj, "aliases")
        expect = self.text(obj, "expect")
        sources = self.sources(obj)
        verified = self.verified(obj)
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
                        raw.get("__line__", line),
                        f"unknown route region '{key}' (expected {', '.join(ROUTE_KEYS)})",
                    )
                    continue
                route = self.route(value, raw.get("__line__", line), f"{where} route '{key}'")
                if route:
                    routes[key] = route
        if not any(r.steps for r in routes.values()):
            self.problem(line, f"{where} has no steps in any region")
        if not (pid and name and company and expect):
            return None
        return Platform(
            pid, name, company, aliases, routes, expect, sources, verified, self.file, line
        )

    def read_yaml(self, path: Path) -> Any:
        """Parse one file, recording a problem (and returning None) when it is broken."""
        self.file = (
            str(path.relative_to(self.root.parent))
            if path.is_relative_to(self.root.parent)
            else str(path)
        )
        try:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            self.problem(mark.line + 1 if mark else None, f"not valid YAML: {exc.problem}")
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
            self.problem(None, f"cannot read: {exc}")
        return None

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
        line = table.get("__line__")
        out: dict[str, tuple[str, ...]] = {}
        owner: dict[str, str] = {}
        for canonical, variants in table.items():
            if canonical.startswith("__"):
                continue
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

    def deadline(self, obj: dict[str, Any]) -> Deadline | None:
        line = obj.get("__line__", 0)
        did = self.text(obj, "id")
        where = f"deadline '{did}'"
        self.check_keys(
            obj,
            ("id", "title", "at", "timezone", "regions", "platforms", "before", "after", "sources"),
            where,
        )
        if did and not ID_RE.match(did):
            self.problem(line, f"bad id {did!r}: use a-z, 0-9 and '-', at most 40 characters")
        title = self.text(obj, "title")
        before = self.text(obj, "before")
        after = self.text(obj, "after")
        tz_name = self.text(obj, "timezone")
        tz = None
        if tz_name:
            try:
                tz = ZoneInfo(tz_name)
            except (ZoneInfoNotFoundError, ValueError):
                self.problem(line, f"{where}: unknown time zone {tz_name!r} (use an IANA name)")
        raw_at = obj.get("at")
        at: datetime | None = None
        if isinstance(raw_at, datetime):
            at = raw_at
        elif isinstance(raw_at, str):
            try:
                at = datetime.fromisoformat(raw_at.strip())
            except ValueError:
                self.problem(
                    line, f"{where}: 'at' does not parse: {raw_at!r} (e.g. 2025-05-27T00:00)"
                )
        else:
            self.problem(line, f"{where}: 'at' must be a local date-time like 2025-05-27T00:00")
        if at is not None and tz is not None:
            at = at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz)
        regions = self.str_list(obj, "regions")
        for region in regions:
            if region not in REGIONS:
                self.problem(line, f"{where}: unknown region '{region}'")
        if not regions:
            self.problem(line, f"{where}: 'regions' must list at least one region")
        platforms = self.str_list(obj, "platforms")
        sources = self.sources(obj, required=False)
        for field_name, text in (("before", before), ("after", after)):
            if text and PLACEHOLDER_RE.search(text):
                self.problem(line, f"{where}: '{field_name}' cannot contain placeholders")
        if not (did and title and before and after and tz_name and at and at.tzinfo):
            return None
        return Deadline(
            did, title, at, tz_name, regions, platforms, before, after, sources, self.file, line
        )


def _cross_check(reader: _Reader, kb: KnowledgeBase, alias_owner: dict[str, str]) -> None:
    problems = reader.problems
    for topic_id in REQUIRED_TOPICS:
        if topic_id not in kb.topics:
            problems.append(Problem("faq/topics", None, f"required topic '{topic_id}' is missing"))
    for pid in REQUIRED_PLATFORMS:
        if pid not in kb.platforms:
            problems.append(
                Problem("faq/platforms.yaml", None, f"required platform '{pid}' is missing")
            )
    phrase_owner: dict[tuple[str, str], str] = {}
    from bot.matching.normalize import normalize  # local import: matching depends on knowledge

    for topic in kb.topics.values():
        for rel in topic.related:
            if rel not in kb.topics:
                problems.append(
                    Problem(
                        topic.file,
                        topic.line,
                        f"topic '{topic.id}': related '{rel}' points nowhere",
                    )
                )
            if rel == topic.id:
                problems.append(
                    Problem(topic.file, topic.line, f"topic '{topic.id}' is related to itself")
                )
        if topic.platform and topic.platform not in kb.platforms:
            problems.append(
                Problem(
                    topic.file,
                    topic.line,
                    f"topic '{topic.id}': platform '{topic.platform}' is not in platforms.yaml",
                )
            )
        for lang, text in topic.texts.items():
            for phrase in (text.question, *text.alternates):
                key = (lang, normalize(phrase))
                owner = phrase_owner.get(key)
                if owner and owner != topic.id:
                    problems.append(
                        Problem(
                            topic.file,
                            topic.line,
                            f"alternate {phrase!r} of '{topic.id}' collides with topic '{owner}'",
                        )
                    )
                phrase_owner.setdefault(key, topic.id)
            for body in (text.answer, *text.regions.values()):
                _check_placeholders(problems, topic, body, kb)
    for deadline in kb.deadlines.values():
        for pid in deadline.platforms:
            if pid not in kb.platforms:
                problems.append(
                    Problem(
                        deadline.file,
                        deadline.line,
                        f"deadline '{deadline.id}': platform '{pid}' is not in platforms.yaml",
                    )
                )
    del alias_owner


def _date_spellings(d: date) -> list[str]:
    month = d.strftime("%B")
    return [
        f"{d.day} {month} {d.year}",
        f"{month} {d.day}, {d.year}",
        f"{month} {d.day} {d.year}",
        d.isoformat(),
        f"{d.day}/{d.month}/{d.year}",
        f"{d.day}.{d.month}.{d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
    ]


def _check_placeholders(
    problems: list[Problem], topic: Topic, body: str, kb: KnowledgeBase
) -> None:
    for match in PLACEHOLDER_RE.finditer(body):
        did, fmt = match.group(1), match.group(2)
        if did not in kb.deadlines:
            problems.append(
                Problem(
                    topic.file,
                    topic.line,
                    f"topic '{topic.id}': unknown deadline '{did}' in a placeholder",
                )
            )
        if fmt not in PLACEHOLDER_FORMATS:
            problems.append(
                Problem(
                    topic.file,
                    topic.line,
                    f"topic '{topic.id}': unknown placeholder format '{fmt}'",
                )
            )
    if "{{" in PLACEHOLDER_RE.sub("", body):
        problems.append(
            Problem(topic.file, topic.line, f"topic '{topic.id}': malformed placeholder")
        )
    lowered = body.lower()
    for deadline in kb.deadlines.values():
        for spelling in _date_spellings(deadline.at.date()):
            if spelling.lower() in lowered:
                problems.append(
                    Problem(
                        topic.file,
                        topic.line,
                        f"topic '{topic.id}' writes the date of deadline '{deadline.id}' "
                        f"({spelling}); use {{{{deadline:{deadline.id}}}}} instead",
                    )
                )
                break


def _entries(
    reader: _Reader, path: Path, key: str, build: Callable[[dict[str, Any]], _Entry | None]
) -> dict[str, _Entry]:
    """Read one file's list of entries by id, reporting duplicates and a missing file."""
    found: dict[str, _Entry] = {}
    if not path.exists():
        reader.problems.append(Problem(str(path), None, f"missing {path.name}"))
        return found
    for obj in reader.load_file(path, key):
        entry = build(obj)
        if entry is None:
            continue
        if entry.id in found:
            reader.problem(entry.line, f"duplicate {key[:-1]} id '{entry.id}'")
            continue
        found[entry.id] = entry
    return found


def read_knowledge_base(root: Path) -> tuple[KnowledgeBase, list[Problem]]:
    """Read `faq/` and return what could be read together with every problem found."""
    reader = _Reader(root)
    topics: dict[str, Topic] = {}
    alias_owner: dict[str, str] = {}
    if not root.is_dir():
        reader.problems.append(Problem(str(root), None, "the FAQ folder does not exist"))
        return KnowledgeBase({}, {}, {}), reader.problems

    topic_files = sorted((root / "topics").glob("*.yaml")) + sorted((root / "topics").glob("*.yml"))
    if not topic_files:
        reader.problems.append(Problem(str(root / "topics"), None, "no topic files (*.yaml)"))
    for path in topic_files:
        for obj in reader.load_file(path, "topics"):
            topic = reader.topic(obj)
            if topic is None:
                continue
            if topic.id in topics:
                first = topics[topic.id]
                reader.problem(
                    topic.line,
                    f"duplicate topic id '{topic.id}' (first at {first.file}:{first.line})",
                )
                continue
            topics[topic.id] = topic

    platforms = _entries(reader, root / "platforms.yaml", "platforms", reader.platform)
    for platform in platforms.values():
        for alias in (platform.id, platform.name, *platform.aliases):
            key = alias.strip().lower()
            owner = alias_owner.get(key)
            if owner and owner != platform.id:
                reader.file = platform.file
                reader.problem(
                    platform.line,
                    f"alias {alias!r} of '{platform.id}' is also used by '{owner}'",
                )
            alias_owner.setdefault(key, platform.id)
    deadlines = _entries(reader, root / "deadlines.yaml", "deadlines", reader.deadline)

    synonyms: dict[str, tuple[str, ...]] = {}
    synonyms_path = root / "synonyms.yaml"
    if synonyms_path.exists():
        synonyms = reader.synonyms(synonyms_path)

    out_of_scope: tuple[str, ...] = ()
    oos_path = root / "out-of-scope.yaml"
    if oos_path.exists():
        out_of_scope = reader.phrase_list(oos_path, "phrases")

    kb = KnowledgeBase(topics, platforms, deadlines, synonyms, out_of_scope)
    _cross_check(reader, kb, alias_owner)
    return kb, reader.problems


def load_knowledge_base(root: Path) -> KnowledgeBase:
    """Load `faq/` or raise KnowledgeBaseError listing every problem."""
    kb, problems = read_knowledge_base(root)
    if problems:
        raise KnowledgeBaseError(problems)
    return kb
