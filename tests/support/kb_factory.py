"""Small `faq/` folders written from Python, for tests of the loader and `check`.

Each builder returns a plain dict that a test may change before `write_faq` turns it into
YAML files; `yaml_text` keeps literal blocks, so line numbers in problems can be checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SOURCE = {"title": "Example regulator", "url": "https://regulator.example.org/notice"}


def alternates(stem: str) -> list[str]:
    return [f"{stem} question number {n}" for n in range(8)]


def topic(topic_id: str, **fields: Any) -> dict[str, Any]:
    entry = {
        "id": topic_id,
        "title": f"About {topic_id}",
        "question": f"What about {topic_id}?",
        "alternates": alternates(topic_id),
        "answer": f"The answer about {topic_id}.",
        "sources": [dict(SOURCE)],
        "verified": "2026-11-26",
    }
    entry.update(fields)
    return entry


def platform(pid: str = "facebook", **fields: Any) -> dict[str, Any]:
    entry = {
        "id": pid,
        "name": pid.capitalize(),
        "company": "Meta",
        "aliases": [f"{pid}-app"],
        "routes": {"default": {"steps": ["Open the app.", "Tap <b>Settings</b>."]}},
        "expect": "A confirmation e-mail.",
        "sources": [dict(SOURCE)],
        "verified": "2026-11-26",
    }
    entry.update(fields)
    return entry


def deadline(did: str, kind: str = "deadline", **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": did, "kind": kind, "title": f"Entry {did}"}
    if kind in ("deadline", "effective"):
        entry.update(
            at="2026-12-10T23:59",
            timezone="Europe/Brussels",
            before="Words for before.",
            after="Words for after.",
        )
    elif kind == "standing":
        entry.update(since="2025-12-16", summary="You can change it at any time.")
    else:
        entry.update(summary="Announced, no date yet.")
    entry.update(regions=["eu"], platforms=["facebook"], sources=[dict(SOURCE)])
    entry.update(fields)
    return entry


def faq_data() -> dict[str, Any]:
    """A valid knowledge base: two topics, one platform, one deadline, a contract."""
    return {
        "topics": [topic("first-topic"), topic("second-topic", related=["first-topic"])],
        "platforms": [platform()],
        "deadlines": [deadline("object-by")],
        "contract": {"required_topics": ["first-topic"], "required_platforms": ["facebook"]},
    }


class _Literal(str):
    pass


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


yaml.SafeDumper.add_representer(_Literal, _literal)


def literal(text: str) -> str:
    """A multi-line text written as a `|` block (its lines keep their file lines)."""
    return _Literal(text if text.endswith("\n") else text + "\n")


def yaml_text(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def write_faq(root: Path, data: dict[str, Any]) -> Path:
    faq = root / "faq"
    (faq / "topics").mkdir(parents=True, exist_ok=True)
    (faq / "topics" / "10-topics.yaml").write_text(
        yaml_text({"topics": data["topics"]}), encoding="utf-8"
    )
    (faq / "platforms.yaml").write_text(
        yaml_text({"platforms": data["platforms"]}), encoding="utf-8"
    )
    (faq / "deadlines.yaml").write_text(
        yaml_text({"deadlines": data["deadlines"]}), encoding="utf-8"
    )
    if data.get("contract") is not None:
        (faq / "contract.yaml").write_text(yaml_text(data["contract"]), encoding="utf-8")
    return faq


def line_containing(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
