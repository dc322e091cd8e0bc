"""The faq/ schema: details, region variants and fallback, changes, deadline kinds, sources,
the contract; every bad value named with its file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.knowledge.loader import load_knowledge_base, read_knowledge_base
from bot.knowledge.model import Deadline
from bot.knowledge.regions import REGION_NAMES, REGIONS, region_chain
from tests.support.kb_factory import (
    deadline,
    faq_data,
    line_containing,
    literal,
    platform,
    topic,
    write_faq,
)


def problems(faq: Path) -> list[str]:
    return [str(p) for p in read_knowledge_base(faq)[1]]


def topics_file(faq: Path) -> Path:
    return faq / "topics" / "10-topics.yaml"


def test_the_small_faq_is_clean(tmp_path: Path):
    assert problems(write_faq(tmp_path, faq_data())) == []


def test_regions_and_their_names_in_one_place():
    assert REGIONS == ("eu", "uk", "ch", "br", "ca", "hk", "us", "other")
    assert [REGION_NAMES[r] for r in REGIONS] == [
        "EU / EEA",
        "United Kingdom",
        "Switzerland",
        "Brazil",
        "Canada",
        "Hong Kong",
        "United States",
        "Elsewhere",
    ]
    assert region_chain("ca") == ("ca", "other")
    assert region_chain("eu") == ("eu",)
    assert region_chain(None) == ()


def test_details_and_region_variants_with_fallback(tmp_path: Path):
    data = faq_data()
    data["topics"][0].update(
        answer="General answer.",
        details="General details.",
        regions={
            "uk": "UK answer.",
            "other": {"answer": "Elsewhere answer.", "details": "Elsewhere details."},
            "ca": {"answer": "Canada answer."},
        },
    )
    kb = load_knowledge_base(write_faq(tmp_path, data))
    text = kb.topics["first-topic"].text()
    assert text.answer_for("eu") == "General answer."
    assert text.details_for("eu") == "General details."
    assert text.answer_for("uk") == "UK answer."
    assert text.details_for("uk") is None  # details belong to the answer they follow
    assert text.answer_for("other") == "Elsewhere answer."
    assert text.answer_for("hk") == "Elsewhere answer."  # hk falls back to other
    assert text.details_for("us") == "Elsewhere details."
    assert text.answer_for("ca") == "Canada answer."  # ca has its own
    assert text.details_for("ca") is None


def test_platform_routes_and_deadlines_fall_back_to_other(tmp_path: Path):
    data = faq_data()
    data["platforms"][0]["routes"] = {
        "eu": {"steps": ["EU step."]},
        "other": {"steps": ["Elsewhere step."], "available": False},
    }
    data["deadlines"][0]["regions"] = ["other"]
    kb = load_knowledge_base(write_faq(tmp_path, data))
    facebook = kb.platforms["facebook"]
    assert facebook.route_for("us") == ("other", facebook.routes["other"])
    assert facebook.route_for("eu") == ("eu", facebook.routes["eu"])
    assert facebook.route_for("uk") is None  # no route and no default
    entry = kb.deadlines["object-by"]
    assert entry.applies_to("hk") and entry.applies_to("other") and not entry.applies_to("eu")


def test_unknown_region_names_its_line(tmp_path: Path):
    data = faq_data()
    data["topics"][0]["regions"] = {"mars": "Red answer."}
    faq = write_faq(tmp_path, data)
    line = line_containing(topics_file(faq), "mars:")
    assert f"faq/topics/10-topics.yaml:{line}: unknown region 'mars'" in "\n".join(problems(faq))


def test_region_variant_with_an_unknown_field(tmp_path: Path):
    data = faq_data()
    data["topics"][0]["regions"] = {"uk": {"answer": "x", "detials": "y"}}
    faq = write_faq(tmp_path, data)
    line = line_containing(topics_file(faq), "detials:")
    assert any(f":{line}: unknown field 'detials'" in p for p in problems(faq))


def test_changed_and_change_go_together(tmp_path: Path):
    data = faq_data()
    data["topics"][0]["changed"] = "2026-11-20"
    data["platforms"][0].update(changed="2026-11-20", change="The form moved.")
    data["deadlines"][0].update(changed="20/11/2026", change="New date.")
    faq = write_faq(tmp_path, data)
    found = problems(faq)
    assert any("topic 'first-topic': 'changed' (the date) and 'change'" in p for p in found)
    line = line_containing(faq / "deadlines.yaml", "changed:")
    assert any(f"deadlines.yaml:{line}: 'changed' must be a date" in p for p in found), found
    kb, _ = read_knowledge_base(faq)
    change = kb.platforms["facebook"].change
    assert change is not None and change.on == date(2026, 11, 20) and change.text


def test_every_kind_of_deadline_loads(tmp_path: Path):
    data = faq_data()
    data["deadlines"] = [
        deadline("act-by", "deadline"),
        deadline("in-force", "effective"),
        deadline("a-setting", "standing"),
        deadline("announced", "watch"),
    ]
    kb = load_knowledge_base(write_faq(tmp_path, data))
    kinds = {d.id: d.kind for d in kb.deadlines.values()}
    assert kinds == {
        "act-by": "deadline",
        "in-force": "effective",
        "a-setting": "standing",
        "announced": "watch",
    }
    assert kb.deadlines["a-setting"].since == date(2025, 12, 16)
    assert kb.deadlines["a-setting"].at is None and kb.deadlines["announced"].since is None
    assert [d.id for d in kb.deadlines.values() if d.is_task] == ["act-by"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (deadline("x", "standing", at="2026-01-01T00:00"), "a 'standing' entry has no 'at'"),
        (deadline("x", "watch", since="2026-01-01"), "a 'watch' entry has no 'since'"),
        (deadline("x", "deadline", since="2026-01-01"), "a 'deadline' entry has no 'since'"),
        (deadline("x", "standing", summary=None), "a 'standing' entry needs 'summary'"),
        (deadline("x", "effective", before=None), "an 'effective' entry needs 'before'"),
        (deadline("x", "task"), "unknown kind 'task'"),
        (deadline("x", "standing", since="last spring"), "'since' must be a date"),
        (deadline("x", regions=["eu", "atlantis"]), "unknown region 'atlantis'"),
        (deadline("x", regions=[]), "'regions' must list at least one region"),
    ],
)
def test_bad_deadline_entries(tmp_path: Path, entry: dict, message: str):
    entry = {k: v for k, v in entry.items() if v is not None}
    data = faq_data()
    data["deadlines"].append(entry)
    found = problems(write_faq(tmp_path, data))
    assert any(message in p and "deadlines.yaml:" in p for p in found), found


def test_missing_kind_is_reported(tmp_path: Path):
    data = faq_data()
    del data["deadlines"][0]["kind"]
    assert any("missing 'kind'" in p for p in problems(write_faq(tmp_path, data)))


@pytest.mark.parametrize("field", ["before", "after", "summary"])
def test_no_date_written_in_deadline_texts(tmp_path: Path, field: str):
    data = faq_data()
    entry = deadline("x", "effective" if field != "summary" else "watch")
    entry[field] = literal("First line.\nIt applies from 2 August 2026 on.")
    data["deadlines"].append(entry)
    faq = write_faq(tmp_path, data)
    line = line_containing(faq / "deadlines.yaml", "It applies from")
    assert any(
        f"deadlines.yaml:{line}:" in p and f"'{field}' writes a date (2 August 2026)" in p
        for p in problems(faq)
    ), problems(faq)


def test_sources_with_date_and_secondary(tmp_path: Path):
    data = faq_data()
    data["topics"][0]["sources"] = [
        {"title": "Regulator", "url": "https://regulator.example.org/a", "date": "2026-06-12"},
        {
            "title": "A newspaper",
            "url": "https://news.example.org/b",
            "date": "2026-06-13",
            "secondary": True,
        },
        {"title": "A blog", "url": "https://blog.example.org/c", "secondary": True},
        {
            "title": "A forum",
            "url": "https://forum.example.org/d",
            "secondary": True,
            "undated": True,
        },
    ]
    faq = write_faq(tmp_path, data)
    kb, found = read_knowledge_base(faq)
    first, second, third, fourth = kb.topics["first-topic"].sources
    assert first.date == date(2026, 6, 12) and not first.secondary
    assert second.secondary and second.date == date(2026, 6, 13)
    assert third.secondary and third.date is None and not third.undated
    assert fourth.secondary and fourth.date is None and fourth.undated
    assert found == []  # a missing date is a `check` warning (tests/unit/test_check.py)


def test_bad_source_fields(tmp_path: Path):
    data = faq_data()
    data["topics"][0]["sources"] = [
        {"title": "R", "url": "https://r.example.org/", "date": "June 2026", "secondary": "yes"},
        {"title": "R2", "url": "https://r2.example.org/", "publisher": "x"},
    ]
    found = problems(write_faq(tmp_path, data))
    assert any("'date' must be a date" in p for p in found)
    assert any("'secondary' must be true or false" in p for p in found)
    assert any("unknown field 'publisher' in a source" in p for p in found)


def test_undated_is_only_for_secondary_sources_without_a_date(tmp_path: Path):
    data = faq_data()
    data["topics"][0]["sources"] = [
        {"title": "Primary", "url": "https://p.example.org/", "undated": True},
        {
            "title": "Dated",
            "url": "https://d.example.org/",
            "secondary": True,
            "date": "2026-01-02",
            "undated": True,
        },
        {"title": "Typo", "url": "https://t.example.org/", "secondary": True, "undated": "yes"},
    ]
    faq = write_faq(tmp_path, data)
    kb, issues = read_knowledge_base(faq)
    found = [str(p) for p in issues]
    needs = "'undated: true' marks a secondary source whose date could not be found"
    assert sum(needs in p for p in found) == 2, found
    assert any("'undated' must be true or false" in p for p in found)
    assert not any(s.undated for s in kb.topics["first-topic"].sources)


def test_contract_lists_required_ids(tmp_path: Path):
    data = faq_data()
    data["contract"] = {
        "required_topics": ["first-topic", "not-written-yet"],
        "required_platforms": ["facebook", "myspace"],
    }
    faq = write_faq(tmp_path, data)
    topic_line = line_containing(faq / "contract.yaml", "not-written-yet")
    platform_line = line_containing(faq / "contract.yaml", "myspace")
    found = problems(faq)
    assert f"faq/contract.yaml:{topic_line}: required topic 'not-written-yet' is missing" in found
    assert f"faq/contract.yaml:{platform_line}: required platform 'myspace' is missing" in found


def test_contract_file_is_required_and_checked(tmp_path: Path):
    data = faq_data()
    data["contract"] = None
    assert any("missing contract.yaml" in p for p in problems(write_faq(tmp_path / "a", data)))
    data["contract"] = {"required_topic": ["first-topic"]}
    found = problems(write_faq(tmp_path / "b", data))
    assert any("unknown field 'required_topic'" in p for p in found)
    assert any("missing 'required_topics'" in p for p in found)


def test_shipped_contract_holds_the_required_topics():
    kb = load_knowledge_base(Path(__file__).resolve().parents[2] / "faq")
    for topic_id in ("how-to-opt-out", "minors", "reminders-help"):
        assert topic_id in kb.topics


def test_placeholder_for_a_watched_entry_has_no_date(tmp_path: Path):
    data = faq_data()
    data["deadlines"].append(deadline("announced", "watch"))
    data["topics"][0]["answer"] = "Maybe {{deadline:announced}}."
    found = problems(write_faq(tmp_path, data))
    assert any("'watch' entry with no date to show" in p for p in found)


def test_answer_writing_a_standing_date_is_refused(tmp_path: Path):
    data = faq_data()
    data["deadlines"].append(deadline("a-setting", "standing"))
    data["topics"][0]["answer"] = "It started on 16 December 2025."
    found = problems(write_faq(tmp_path, data))
    assert any("writes the date of deadline 'a-setting'" in p for p in found)


def test_hand_made_deadlines_default_to_the_deadline_kind():
    made = Deadline("d", "D", None, None, ("eu",), ())
    assert made.kind == "deadline" and not made.is_task  # no date, so nothing to remind of


def test_value_lines_point_at_the_field(tmp_path: Path):
    data = faq_data()
    data["platforms"].append(platform("threads", verified="yesterday", aliases=["t"]))
    faq = write_faq(tmp_path, data)
    line = line_containing(faq / "platforms.yaml", "verified: yesterday")
    assert any(f"platforms.yaml:{line}: 'verified' must be a date" in p for p in problems(faq))


def test_topic_helper_builds_valid_entries(tmp_path: Path):
    data = faq_data()
    data["topics"].append(topic("third-topic", details="More."))
    assert problems(write_faq(tmp_path, data)) == []
