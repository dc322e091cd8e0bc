"""Read and validate `faq/` into a KnowledgeBase.

Loading and checking are one pass: every problem is collected with its file and line,
so `python -m bot check` can list them all and start-up can refuse a broken FAQ.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.knowledge.contract import read_contract
from bot.knowledge.entries import Reader
from bot.knowledge.model import Deadline, KnowledgeBase, Platform, Topic
from bot.knowledge.problems import KnowledgeBaseError, Problem
from bot.knowledge.translations import Coverage, read_translations
from bot.knowledge.validate import cross_check

__all__ = [
    "KnowledgeBaseError",
    "Problem",
    "load_knowledge_base",
    "read_knowledge_base",
    "read_with_coverage",
]

_Entry = TypeVar("_Entry", Platform, Deadline)


def _entries(
    reader: Reader, path: Path, key: str, build: Callable[[dict[str, Any]], _Entry | None]
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


def _topics(reader: Reader, root: Path) -> dict[str, Topic]:
    topics: dict[str, Topic] = {}
    folder = root / "topics"
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not files:
        reader.problems.append(Problem(str(folder), None, "no topic files (*.yaml)"))
    for path in files:
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
    return topics


def _check_aliases(reader: Reader, platforms: dict[str, Platform]) -> None:
    owner_of: dict[str, str] = {}
    for platform in platforms.values():
        for alias in (platform.id, platform.name, *platform.aliases):
            key = alias.strip().lower()
            owner = owner_of.get(key)
            if owner and owner != platform.id:
                reader.problems.append(
                    Problem(
                        platform.file,
                        platform.line,
                        f"alias {alias!r} of '{platform.id}' is also used by '{owner}'",
                    )
                )
            owner_of.setdefault(key, platform.id)


def read_knowledge_base(root: Path) -> tuple[KnowledgeBase, list[Problem]]:
    """Read `faq/` and return what could be read together with every problem found."""
    kb, problems, _coverage = read_with_coverage(root)
    return kb, problems


def read_with_coverage(root: Path) -> tuple[KnowledgeBase, list[Problem], dict[str, Coverage]]:
    """`read_knowledge_base` plus how far each language is translated (for `check`)."""
    reader = Reader(root)
    if not root.is_dir():
        reader.problems.append(Problem(str(root), None, "the FAQ folder does not exist"))
        return KnowledgeBase({}, {}, {}), reader.problems, {}
    topics = _topics(reader, root)
    platforms = _entries(reader, root / "platforms.yaml", "platforms", reader.platform)
    _check_aliases(reader, platforms)
    deadlines = _entries(reader, root / "deadlines.yaml", "deadlines", reader.deadline)
    contract = read_contract(reader, root)
    synonyms: dict[str, tuple[str, ...]] = {}
    if (root / "synonyms.yaml").exists():
        synonyms = reader.synonyms(root / "synonyms.yaml")
    out_of_scope: tuple[str, ...] = ()
    if (root / "out-of-scope.yaml").exists():
        out_of_scope = reader.phrase_list(root / "out-of-scope.yaml", "phrases")
    kb = KnowledgeBase(topics, platforms, deadlines, synonyms, out_of_scope)
    kb, coverage = read_translations(reader, root, kb)
    return kb, reader.problems + cross_check(kb, contract), coverage


def load_knowledge_base(root: Path) -> KnowledgeBase:
    """Load `faq/` or raise KnowledgeBaseError listing every error (warnings do not stop it)."""
    kb, problems = read_knowledge_base(root)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise KnowledgeBaseError(errors)
    return kb
