"""`python -m bot check`: every kind of problem is found, with its file and line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.knowledge.loader import read_knowledge_base
from tests.conftest import FAQ_DIR, ROOT


@pytest.fixture
def faq(tmp_path: Path) -> Path:
    target = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, target)
    return target


def first_topic_file(faq: Path) -> Path:
    return sorted((faq / "topics").glob("*.yaml"))[0]


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems(faq: Path) -> list[str]:
    _kb, found = read_knowledge_base(faq)
    return [str(p) for p in found]


def test_shipped_faq_is_clean():
    assert problems(FAQ_DIR) == []


def test_broken_yaml_names_file_and_line(faq: Path):
    path = first_topic_file(faq)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "  - id: [unclosed")
    path.write_text("\n".join(lines), encoding="utf-8")
    found = problems(faq)
    assert any(path.name in p and "not valid YAML" in p for p in found), found
    assert any(f"{path.name}:" in p for p in found)


def test_duplicate_topic_id(faq: Path):
    path = first_topic_file(faq)
    edit(path, lambda d: d["topics"].append(dict(d["topics"][0])))
    assert any("duplicate topic id" in p for p in problems(faq))


def test_unknown_field_and_missing_answer(faq: Path):
    def change(d):
        d["topics"][0]["anwser"] = d["topics"][0].pop("answer")

    edit(first_topic_file(faq), change)
    found = problems(faq)
    assert any("unknown field 'anwser'" in p for p in found)
    assert any("missing 'answer'" in p for p in found)


def test_related_pointing_nowhere(faq: Path):
    edit(first_topic_file(faq), lambda d: d["topics"][0].update(related=["no-such-topic"]))
    assert any("related 'no-such-topic' points nowhere" in p for p in problems(faq))


def test_malformed_url(faq: Path):
    edit(
        first_topic_file(faq),
        lambda d: d["topics"][0].update(sources=[{"title": "x", "url": "htp:/broken"}]),
    )
    assert any("malformed URL" in p for p in problems(faq))


def test_too_few_alternates(faq: Path):
    edit(first_topic_file(faq), lambda d: d["topics"][0].update(alternates=["one", "two"]))
    assert any("at least 8 needed" in p for p in problems(faq))


def test_alternate_colliding_between_topics(faq: Path):
    def change(d):
        d["topics"][1]["alternates"].append(d["topics"][0]["alternates"][0].upper() + "?")

    edit(first_topic_file(faq), change)
    assert any("collides with topic" in p for p in problems(faq))


def test_missing_required_topic(faq: Path):
    path = faq / "topics"
    for file in path.glob("*.yaml"):
        edit(file, lambda d: d.update(topics=[t for t in d["topics"] if t["id"] != "minors"]))
    found = problems(faq)
    assert any("required topic 'minors' is missing" in p for p in found)


def test_deadline_that_does_not_parse(faq: Path):
    edit(faq / "deadlines.yaml", lambda d: d["deadlines"][0].update(at="27th of May"))
    assert any("'at' does not parse" in p for p in problems(faq))


def test_deadline_with_unknown_time_zone(faq: Path):
    edit(faq / "deadlines.yaml", lambda d: d["deadlines"][0].update(timezone="Europe/Atlantis"))
    assert any("unknown time zone" in p for p in problems(faq))


def test_platform_without_steps(faq: Path):
    def change(d):
        for route in d["platforms"][0]["routes"].values():
            route["steps"] = []

    edit(faq / "platforms.yaml", change)
    assert any("has no steps in any region" in p for p in problems(faq))


def test_hard_coded_deadline_date_in_an_answer(faq: Path):
    _kb, _ = read_knowledge_base(FAQ_DIR)
    deadline = next(iter(_kb.deadlines.values()))
    local = deadline.at
    written = f"{local.day} {local:%B %Y}"

    edit(
        first_topic_file(faq),
        lambda d: d["topics"][0].update(answer=f"Object before {written}, please."),
    )
    assert any("writes the date of deadline" in p for p in problems(faq))


def test_unknown_placeholder(faq: Path):
    edit(
        first_topic_file(faq),
        lambda d: d["topics"][0].update(answer="Before {{deadline:nope}} and {{deadline:x"),
    )
    found = problems(faq)
    assert any("unknown deadline 'nope'" in p for p in found)
    assert any("malformed placeholder" in p for p in found)


def test_cli_check_exit_codes(faq: Path):
    env = {"FAQ_DIR": str(faq), "PATH": "/usr/bin:/bin"}
    clean = subprocess.run(
        [sys.executable, "-m", "bot", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    edit(first_topic_file(faq), lambda d: d["topics"][0].update(related=["nowhere"]))
    broken = subprocess.run(
        [sys.executable, "-m", "bot", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert broken.returncode == 1
    assert "points nowhere" in broken.stdout
    assert "Traceback" not in broken.stdout + broken.stderr
