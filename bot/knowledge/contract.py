"""`faq/contract.yaml`: the topics and platforms the bot promises to cover.

Code, commands and labelled eval sets rely on these ids, so the list is content policy kept
beside the content, and `check` refuses a `faq/` that drops one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.knowledge.entries import Reader
from bot.knowledge.fields import ID_RE
from bot.knowledge.problems import Problem
from bot.knowledge.yaml_reader import item_line, line_of

CONTRACT_FILE = "contract.yaml"
CONTRACT_KEYS = ("required_topics", "required_platforms")


@dataclass(frozen=True, slots=True)
class Contract:
    """Required ids, each with the line of the contract that requires it."""

    required_topics: dict[str, int | None] = field(default_factory=dict)
    required_platforms: dict[str, int | None] = field(default_factory=dict)
    file: str = CONTRACT_FILE


def read_contract(reader: Reader, root: Path) -> Contract:
    path = root / CONTRACT_FILE
    if not path.exists():
        reader.problems.append(
            Problem(str(path), None, f"missing {CONTRACT_FILE} (required_topics: [ids...])")
        )
        return Contract()
    data = reader.read_yaml(path)
    if not isinstance(data, dict):
        if data is not None or not reader.problems or reader.problems[-1].file != reader.file:
            reader.problem(1, "expected a mapping with 'required_topics:' (a list of topic ids)")
        return Contract(file=reader.file)
    reader.check_keys(data, CONTRACT_KEYS, CONTRACT_FILE)
    if "required_topics" not in data:
        reader.problem(1, "missing 'required_topics' (a list of topic ids)")
    topics, platforms = (_ids(reader, data, key) for key in CONTRACT_KEYS)
    return Contract(topics, platforms, reader.file)


def _ids(reader: Reader, data: dict[str, Any], key: str) -> dict[str, int | None]:
    raw = data.get(key)
    found: dict[str, int | None] = {}
    for index, value in enumerate(reader.str_list(data, key)):
        line = item_line(raw, index) or line_of(data, key)
        if not ID_RE.match(value):
            reader.problem(line, f"'{key}': {value!r} is not an id")
        elif value in found:
            reader.problem(line, f"'{key}' lists '{value}' twice")
        else:
            found[value] = line
    return found
