"""Reading one field at a time: texts, lists, dates, URLs, sources, and the files themselves.

Each bad value becomes a Problem with the file and the line of that value (the line of the
entry when the value is missing), so `python -m bot check` lists them all at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.knowledge.model import REGIONS, Change, Source
from bot.knowledge.problems import Problem
from bot.knowledge.telegram_html import check_html, check_plain
from bot.knowledge.yaml_reader import YamlError, item_line, line_of, parse_yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
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


class FieldReader:
    """Collects problems while reading the fields of parsed YAML."""

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
            self.check_keys(src, ("title", "url", "date", "secondary", "undated"), "a source")
            title = self.plain(src, "title")
            url = self.text(src, "url", html=False)
            published = self.day(src, "date", required=False)
            secondary = self.flag(src, "secondary")
            undated = self.flag(src, "undated")
            if undated and (published is not None or not secondary):
                self.problem(
                    line_of(src, "undated"),
                    "'undated: true' marks a secondary source whose date could not be found: "
                    "it needs 'secondary: true' and no 'date'",
                )
                undated = False
            if url and not self.url_ok(url):
                self.problem(line_of(src, "url"), f"malformed URL: {url!r}")
                continue
            if title and url:
                out.append(Source(title, url, published, secondary, undated))
        return tuple(out)

    def flag(self, obj: dict[str, Any], key: str, default: bool = False) -> bool:
        """An optional true/false field: `default` when absent or not a boolean."""
        value = obj.get(key, default)
        if isinstance(value, bool):
            return value
        self.problem(line_of(obj, key), f"'{key}' must be true or false")
        return default

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
