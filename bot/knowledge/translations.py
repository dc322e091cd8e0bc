"""Translations of the knowledge base: `faq/i18n/<language>/` beside the English master.

English in `faq/` holds the facts (ids, dates, URLs, sources, `verified`); a translation holds
only words, in four files per language (docs/languages.md has the format). Each translated
text is checked against its English counterpart as it is read: the fields English has and
no others, as many steps, the same placeholders and links, Telegram's HTML. Such a problem is
an error with its file and line, as in English, and the entry is not used.

What is merely not done yet (no folder, a file or an entry missing, too few phrasings) is not
an error: the bot answers in English with a note. It is recorded in a `Coverage` per language,
with every translated text, so that `check` can report gaps and English left in
(bot/knowledge/coverage.py) without reading the files again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.knowledge.entries import MIN_ALTERNATES, Reader
from bot.knowledge.fields import WRITTEN_DATE_RE
from bot.knowledge.model import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    PLACEHOLDER_RE,
    DeadlineText,
    KnowledgeBase,
    PlatformText,
    RouteText,
    Topic,
    TopicText,
)
from bot.knowledge.problems import WARNING, Problem
from bot.knowledge.telegram_html import hrefs
from bot.knowledge.yaml_reader import item_line, key_line, line_of

__all__ = [
    "I18N_FOLDER",
    "MIN_OUT_OF_SCOPE",
    "TRANSLATED_LANGUAGES",
    "Coverage",
    "TranslatedText",
    "read_translations",
]

I18N_FOLDER = "i18n"
TRANSLATED_LANGUAGES = tuple(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)
MIN_OUT_OF_SCOPE = 20
TOPIC_FIELDS = (
    "title",
    "question",
    "alternates",
    "answer",
    "details",
    "regions",
    "disputed",
    "change",
    "sources",
)
PLATFORM_FIELDS = ("aliases", "expect", "change", "routes")
DEADLINE_FIELDS = ("title", "before", "after", "summary", "change")
KINDS = ("topics", "platforms", "deadlines")


@dataclass(frozen=True, slots=True)
class TranslatedText:
    """One translated text beside its English original, for `check`'s language checks."""

    file: str
    line: int | None
    where: str  # "topic 'x' answer"
    text: str
    english: str


@dataclass
class Coverage:
    """How far one language is translated: what is missing, and every text it has."""

    language: str
    folder: str
    exists: bool = False
    gaps: list[Problem] = field(default_factory=list)  # warnings only
    texts: list[TranslatedText] = field(default_factory=list)
    translated: Counter[str] = field(default_factory=Counter)  # kind -> entries in use
    total: Counter[str] = field(default_factory=Counter)


def _placeholders(text: str) -> set[str]:
    return {f"{m.group(1)}:{m.group(2) or ''}" for m in PLACEHOLDER_RE.finditer(text)}


def _links(text: str) -> Counter[str]:
    return Counter(url for _, url in hrefs(text))


class _Language:
    """Reads one language's folder against the English knowledge base."""

    def __init__(self, reader: Reader, kb: KnowledgeBase, coverage: Coverage, folder: Path):
        self.r = reader
        self.kb = kb
        self.cov = coverage
        self.lang = coverage.language
        self.folder = folder
        self.topics: dict[str, TopicText] = {}
        self.platforms: dict[str, PlatformText] = {}
        self.aliases: dict[str, tuple[str, ...]] = {}
        self.deadlines: dict[str, DeadlineText] = {}
        self.out_of_scope: tuple[str, ...] = ()

    # -- helpers -------------------------------------------------------------------
    def gap(self, line: int | None, message: str) -> None:
        self.cov.gaps.append(Problem(self.r.file, line, message, WARNING))

    def entries(self, name: str, key: str) -> dict[str, Any] | None:
        """The `key:` mapping of one file (id -> entry), or None when there is none to read."""
        path = self.folder / f"{name}.yaml"
        self.r.file = self._relative(path)
        if not path.exists():
            return None
        data = self.r.read_yaml(path)
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get(key), dict | None):
            self.r.problem(1, f"expected a mapping with '{key}:' (id -> texts) at the top")
            return None
        self.r.check_keys(data, ("language", key), path.name)
        language = data.get("language")
        if language is not None and language != self.lang:
            self.r.problem(
                line_of(data, "language"), f"'language: {language}' in the folder of '{self.lang}'"
            )
            return None
        return data.get(key) or {"__line__": line_of(data, key) or 1}

    def _relative(self, path: Path) -> str:
        root = self.r.root.parent
        return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)

    def record(self, line: int | None, where: str, text: str | None, english: str | None):
        if text and english:
            self.cov.texts.append(TranslatedText(self.r.file, line, where, text, english))

    def same_as_english(self, line: int | None, where: str, text: str, english: str) -> None:
        """Placeholders and links are facts: a translation keeps exactly English's."""
        mine, theirs = _placeholders(text), _placeholders(english)
        if mine != theirs:
            self.r.problem(
                line,
                f"{where}: placeholders differ from English (missing: "
                f"{', '.join(sorted(theirs - mine)) or 'none'}; not in English: "
                f"{', '.join(sorted(mine - theirs)) or 'none'})",
            )
        links, english_links = _links(text), _links(english)
        if links != english_links:
            missing = ", ".join(sorted((english_links - links).elements())) or "none"
            extra = ", ".join(sorted((links - english_links).elements())) or "none"
            self.r.problem(
                line, f"{where}: links differ from English (missing: {missing}; extra: {extra})"
            )

    def matching(
        self, obj: dict[str, Any], key: str, english: str | None, where: str, *, html: bool = True
    ) -> str | None:
        """A field the translation has exactly when English has it, checked against it."""
        if english is None:
            if key in obj:
                self.r.problem(line_of(obj, key), f"{where}: '{key}' is not in English; remove it")
            return None
        if key not in obj:
            self.r.problem(obj.get("__line__"), f"{where}: missing '{key}' (English has it)")
            return None
        text = self.r.text(obj, key, html=html)
        if text:
            self.same_as_english(line_of(obj, key), f"{where} '{key}'", text, english)
            self.record(line_of(obj, key), f"{where} '{key}'", text, english)
        return text

    def mapping(self, table: dict[str, Any], key: str, what: str) -> dict[str, Any] | None:
        """An entry's texts; problems about the entry as a whole point at its id."""
        value = table[key]
        if not isinstance(value, dict):
            self.r.problem(key_line(table, key), f"{what} must be a mapping of its texts")
            return None
        value["__line__"] = key_line(table, key)
        return value

    def each(self, name: str, key: str, known: dict[str, Any], read) -> None:
        """Read every entry of one file; report unknown ids, and known ids with no entry."""
        self.cov.total[key] = len(known)
        table = self.entries(name, key)
        if table is None:
            if known:
                count = f"{len(known)} {key[:-1]}" + ("" if len(known) == 1 else "s")
                self.gap(None, f"no {name}.yaml: {count} shown in English")
            return
        for entry_id in table:
            if entry_id.startswith("__"):
                continue
            if entry_id not in known:
                self.r.problem(key_line(table, entry_id), f"unknown {key[:-1]} id '{entry_id}'")
                continue
            obj = self.mapping(table, entry_id, f"{key[:-1]} '{entry_id}'")
            if obj is not None and read(entry_id, obj):
                self.cov.translated[key] += 1
        for entry_id in known:
            if entry_id not in table:
                self.gap(
                    table["__line__"],
                    f"{key[:-1]} '{entry_id}' is not translated yet (shown in English)",
                )

    # -- topics --------------------------------------------------------------------
    def topic(self, tid: str, obj: dict[str, Any]) -> bool:
        topic = self.kb.topics[tid]
        english = topic.text()
        where = f"topic '{tid}' ({self.lang})"
        before = len(self.r.problems)
        self.r.check_keys(obj, TOPIC_FIELDS, where)
        title = self.r.plain(obj, "title")
        question = self.r.plain(obj, "question")
        self.record(line_of(obj, "title"), f"{where} 'title'", title, english.title)
        self.record(line_of(obj, "question"), f"{where} 'question'", question, english.question)
        answer = self.matching(obj, "answer", english.answer, where)
        details = self.matching(obj, "details", english.details, where)
        alternates = self.r.str_list(obj, "alternates", html=False)
        if len(alternates) < MIN_ALTERNATES:
            self.gap(
                line_of(obj, "alternates"),
                f"{where} has {len(alternates)} alternates; at least {MIN_ALTERNATES} wanted",
            )
        regions, region_details = self.regions(obj, english, where)
        summary, claims = self.disputed(obj, topic, where)
        change = self.matching(obj, "change", topic.change.text if topic.change else None, where)
        sources = self.r.sources(obj, required=False)
        if len(self.r.problems) > before or not (title and question and answer):
            return False
        self.topics[tid] = TopicText(
            title,
            question,
            alternates,
            answer,
            regions,
            details,
            region_details,
            disputed_summary=summary,
            disputed_claims=claims,
            change=change,
            sources=sources,
            file=self.r.file,
            line=obj.get("__line__", 0),
        )
        return True

    def regions(
        self, obj: dict[str, Any], english: TopicText, where: str
    ) -> tuple[dict[str, str], dict[str, str | None]]:
        """Exactly the region keys English has, each with details when English's has them."""
        regions, details = self.r.region_variants(obj, where)
        raw = obj.get("regions") if isinstance(obj.get("regions"), dict) else {}
        for key in english.regions:
            if key not in regions and key not in raw:
                self.r.problem(
                    line_of(obj, "regions"), f"{where}: missing region '{key}' (English has it)"
                )
        for key, text in regions.items():
            at = line_of(raw, key)
            if key not in english.regions:
                self.r.problem(at, f"{where}: region '{key}' is not in English; remove it")
                continue
            label = f"{where} region '{key}'"
            self.same_as_english(at, label, text, english.regions[key])
            self.record(at, label, text, english.regions[key])
            mine, theirs = details.get(key), english.region_details.get(key)
            if bool(mine) != bool(theirs):
                has = "has" if theirs else "has no"
                self.r.problem(at, f"{label}: English {has} details for this region")
            elif mine and theirs:
                self.same_as_english(at, f"{label} details", mine, theirs)
                self.record(at, f"{label} details", mine, theirs)
        return regions, details

    def disputed(
        self, obj: dict[str, Any], topic: Topic, where: str
    ) -> tuple[str | None, tuple[str, ...]]:
        value = obj.get("disputed")
        if topic.disputed is None:
            if value is not None:
                self.r.problem(line_of(obj, "disputed"), f"{where}: English has no 'disputed'")
            return None, ()
        if not isinstance(value, dict):
            self.r.problem(
                line_of(obj, "disputed"),
                f"{where}: missing 'disputed' with summary and positions (English has it)",
            )
            return None, ()
        self.r.check_keys(value, ("summary", "positions"), f"{where} 'disputed'")
        summary = self.matching(value, "summary", topic.disputed.summary, f"{where} 'disputed'")
        claims = self.r.str_list(value, "positions", html=True)
        english = [p.claim for p in topic.disputed.positions]
        if len(claims) != len(english):
            self.r.problem(
                line_of(value, "positions"),
                f"{where}: 'disputed' has {len(claims)} positions; English has {len(english)}",
            )
            return summary, ()
        raw = value.get("positions")
        for index, (claim, original) in enumerate(zip(claims, english, strict=True)):
            at = item_line(raw, index) or line_of(value, "positions")
            self.same_as_english(at, f"{where} position {index + 1}", claim, original)
            self.record(at, f"{where} position {index + 1}", claim, original)
        return summary, claims

    # -- platforms -------------------------------------------------------------------
    def platform(self, pid: str, obj: dict[str, Any]) -> bool:
        platform = self.kb.platforms[pid]
        where = f"platform '{pid}' ({self.lang})"
        before = len(self.r.problems)
        self.r.check_keys(obj, PLATFORM_FIELDS, where)
        aliases = self.r.str_list(obj, "aliases", html=False)
        expect = self.matching(obj, "expect", platform.expect, where)
        change = self.matching(
            obj, "change", platform.change.text if platform.change else None, where
        )
        routes: dict[str, RouteText] = {}
        raw = obj.get("routes")
        if not isinstance(raw, dict):
            self.r.problem(line_of(obj, "routes"), f"{where}: missing 'routes' (region -> steps)")
            raw = {}
        for key in raw:
            if not key.startswith("__") and key not in platform.routes:
                self.r.problem(line_of(raw, key), f"{where}: route '{key}' is not in English")
        for key, route in platform.routes.items():
            value = raw.get(key)
            label = f"{where} route '{key}'"
            if not isinstance(value, dict):
                self.r.problem(
                    line_of(raw, key) or line_of(obj, "routes"),
                    f"{label}: missing, or not a mapping with steps (English has it)",
                )
                continue
            self.r.check_keys(value, ("steps", "note"), label)
            steps = self.r.str_list(value, "steps", html=True)
            if len(steps) != len(route.steps):
                self.r.problem(
                    line_of(value, "steps") or line_of(raw, key),
                    f"{label} has {len(steps)} steps; English has {len(route.steps)}",
                )
                continue
            for index, (step, original) in enumerate(zip(steps, route.steps, strict=True)):
                at = item_line(value.get("steps"), index) or line_of(value, "steps")
                self.same_as_english(at, f"{label} step {index + 1}", step, original)
                self.record(at, f"{label} step {index + 1}", step, original)
            routes[key] = RouteText(steps, self.matching(value, "note", route.note, label))
        if len(self.r.problems) > before:
            return False
        self.platforms[pid] = PlatformText(
            routes, expect, change, file=self.r.file, line=obj.get("__line__", 0)
        )
        self.aliases[pid] = aliases
        return True

    # -- deadlines -------------------------------------------------------------------
    def deadline(self, did: str, obj: dict[str, Any]) -> bool:
        deadline = self.kb.deadlines[did]
        where = f"deadline '{did}' ({self.lang})"
        before = len(self.r.problems)
        self.r.check_keys(obj, DEADLINE_FIELDS, where)
        title = self.r.plain(obj, "title")
        self.record(line_of(obj, "title"), f"{where} 'title'", title, deadline.title)
        texts: dict[str, str | None] = {}
        for key in ("before", "after", "summary"):
            english = getattr(deadline, key) or None
            text = texts[key] = self.matching(obj, key, english, where)
            if text and ("{{" in text or WRITTEN_DATE_RE.search(text)):
                self.r.problem(
                    line_of(obj, key),
                    f"{where}: '{key}' cannot hold a placeholder or a written date; the bot "
                    "adds the dates",
                )
        change = self.matching(
            obj, "change", deadline.change.text if deadline.change else None, where
        )
        if len(self.r.problems) > before or not title:
            return False
        self.deadlines[did] = DeadlineText(
            title,
            texts["before"] or "",
            texts["after"] or "",
            texts["summary"] or "",
            change,
            file=self.r.file,
            line=obj.get("__line__", 0),
        )
        return True

    # -- out of scope ----------------------------------------------------------------
    def read_out_of_scope(self) -> None:
        path = self.folder / "out-of-scope.yaml"
        self.r.file = self._relative(path)
        if not path.exists():
            self.gap(
                None, "no out-of-scope.yaml: off-topic questions are told apart in English only"
            )
            return
        phrases = self.r.phrase_list(path, "out_of_scope")
        self.out_of_scope = phrases
        if len(phrases) < MIN_OUT_OF_SCOPE:
            self.gap(
                1, f"{len(phrases)} out-of-scope phrasings; at least {MIN_OUT_OF_SCOPE} wanted"
            )

    def read(self) -> None:
        self.each("topics", "topics", self.kb.topics, self.topic)
        self.each("platforms", "platforms", self.kb.platforms, self.platform)
        self.each("deadlines", "deadlines", self.kb.deadlines, self.deadline)
        self.read_out_of_scope()


def _merge_aliases(
    reader: Reader, kb: KnowledgeBase, languages: list[_Language]
) -> dict[str, tuple[str, ...]]:
    """Every platform's aliases with those the translations add: a name works in any language.

    An alias another platform already answers to is reported and left out.
    """
    owner = {
        name.strip().lower(): p.id
        for p in kb.platforms.values()
        for name in (p.id, p.name, *p.aliases)
    }
    merged = {pid: list(p.aliases) for pid, p in kb.platforms.items()}
    for language in languages:
        for pid, aliases in language.aliases.items():
            for alias in aliases:
                key = alias.strip().lower()
                if owner.setdefault(key, pid) != pid:
                    text = language.platforms[pid]
                    reader.problems.append(
                        Problem(
                            text.file,
                            text.line,
                            f"alias {alias!r} of '{pid}' ({language.lang}) is also used by "
                            f"'{owner[key]}'",
                        )
                    )
                elif all(a.strip().lower() != key for a in merged[pid]):
                    merged[pid].append(alias)
    return {pid: tuple(aliases) for pid, aliases in merged.items()}


def read_translations(
    reader: Reader, root: Path, kb: KnowledgeBase
) -> tuple[KnowledgeBase, dict[str, Coverage]]:
    """`kb` with every usable translation added, and the coverage of each language."""
    folder = root / I18N_FOLDER
    if folder.is_dir():
        for entry in sorted(folder.iterdir()):
            if not entry.name.startswith(".") and entry.name not in TRANSLATED_LANGUAGES:
                reader.problems.append(
                    Problem(
                        str(entry.relative_to(root.parent)),
                        None,
                        f"unknown language folder '{entry.name}' (expected one of "
                        f"{', '.join(TRANSLATED_LANGUAGES)})",
                    )
                )
    coverage: dict[str, Coverage] = {}
    languages: list[_Language] = []
    for lang in TRANSLATED_LANGUAGES:
        path = folder / lang
        cov = Coverage(lang, str(path.relative_to(root.parent)), exists=path.is_dir())
        coverage[lang] = cov
        if cov.exists:
            language = _Language(reader, kb, cov, path)
            language.read()
            languages.append(language)
    if not languages:
        return kb, coverage
    aliases = _merge_aliases(reader, kb, languages)
    topics = {
        tid: replace(
            t, texts={**t.texts, **{x.lang: x.topics[tid] for x in languages if tid in x.topics}}
        )
        for tid, t in kb.topics.items()
    }
    platforms = {
        pid: replace(
            p,
            aliases=aliases[pid],
            texts={x.lang: x.platforms[pid] for x in languages if pid in x.platforms},
        )
        for pid, p in kb.platforms.items()
    }
    deadlines = {
        did: replace(d, texts={x.lang: x.deadlines[did] for x in languages if did in x.deadlines})
        for did, d in kb.deadlines.items()
    }
    out_of_scope = {x.lang: x.out_of_scope for x in languages if x.out_of_scope}
    kb = replace(
        kb,
        topics=topics,
        platforms=platforms,
        deadlines=deadlines,
        out_of_scope_translations=out_of_scope,
    )
    return kb, coverage
