"""Alert planning: which entries changed, who gets each alert, the dry-run summary, the text."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.checkup.alerts import (
    Audience,
    Change,
    DryRunLine,
    audience_for,
    change_note,
    detect_changes,
    dry_run_summary,
    snapshot_of,
)
from bot.checkup.texts import alert_text
from bot.knowledge.model import KnowledgeBase
from tests.conftest import kb  # noqa: F401 - fixture
from tests.support.checkup_kb import brussels, deadline, make_kb, sample_platforms

D1, D2 = date(2026, 12, 1), date(2026, 12, 9)


def _kb(**platform_changes: dict[str, object]) -> KnowledgeBase:
    deadlines = [
        deadline("eu-date", brussels(2027, 3, 1, 23, 59), ["eu", "ch"], ["gram", "book"]),
        deadline("everyone", None, ["other"], kind="standing"),
    ]
    return make_kb(sample_platforms(**platform_changes), deadlines)


def test_the_first_start_only_records_what_is_there() -> None:
    kb = _kb(gram={"changed": D1, "change": "Gram moved the form"})
    assert detect_changes({}, kb) == []
    snapshot = snapshot_of(kb)
    assert snapshot[("platform", "gram")] == D1
    assert snapshot[("platform", "network")] is None
    assert snapshot[("deadline", "everyone")] is None
    assert len(snapshot) == len(kb.platforms) + len(kb.deadlines)


def test_a_newer_changed_date_is_a_change_and_an_older_one_is_not() -> None:
    before = snapshot_of(_kb(gram={"changed": D1}, network={"changed": D2}))
    kb = _kb(
        gram={"changed": D2, "change": "Gram moved the form into Accounts Centre"},
        network={"changed": D1},  # went back: recorded, no alert
        chatter={"changed": D1},  # first date on an entry that had none
    )
    changes = detect_changes(before, kb)
    assert changes == [
        Change("platform", "gram", D2, False, "Gram moved the form into Accounts Centre"),
        Change("platform", "chatter", D1, False, None),
    ]
    assert changes[0].round_key == "alert:platform:gram:2026-12-09"
    assert changes[0].change_id == "platform:gram:2026-12-09"
    assert detect_changes(snapshot_of(kb), kb) == []  # nothing twice


def test_new_entries_are_changes_of_their_own() -> None:
    old = snapshot_of(_kb())
    del old[("platform", "chatter")]
    del old[("deadline", "everyone")]
    changes = detect_changes(old, _kb())
    assert [(c.kind, c.entry_id, c.is_new, c.changed) for c in changes] == [
        ("platform", "chatter", True, None),
        ("deadline", "everyone", True, None),
    ]
    assert changes[0].round_key == "alert:platform:chatter:new"


def test_the_knowledge_models_change_is_read(kb: KnowledgeBase) -> None:
    """faq/'s `changed:`/`change:` load as `entry.change` (Change(on, text)): both are read."""
    snapshot = snapshot_of(kb)
    dated = {entry: day for entry, day in snapshot.items() if day is not None}
    assert dated, "the shipped faq/ has entries with a changed: date"
    for (kind, entry_id), day in dated.items():
        entry = kb.platforms[entry_id] if kind == "platform" else kb.deadlines[entry_id]
        assert entry.change is not None and day == entry.change.on
        assert change_note(entry) == entry.change.text
    assert detect_changes(snapshot, kb) == []
    undated = [p for p in kb.platforms.values() if p.change is None]
    assert all(change_note(p) is None for p in undated)
    (kind, entry_id), day = next(iter(dated.items()))
    older = {**snapshot, (kind, entry_id): day - timedelta(days=1)}
    [change] = detect_changes(older, kb)
    assert (change.kind, change.entry_id, change.changed, change.is_new) == (
        kind,
        entry_id,
        day,
        False,
    )


def test_change_notes_in_the_chats_language() -> None:
    kb = _kb(gram={"change": {"en": "Moved the form", "de": "Formular verschoben"}})
    gram = kb.platforms["gram"]
    assert change_note(gram, "de") == "Formular verschoben"
    assert change_note(gram, "pl") == "Moved the form"
    assert change_note(_kb(gram={"change": "  "}).platforms["gram"]) is None


def test_who_gets_each_alert() -> None:
    kb = _kb()
    platform_changed = audience_for(Change("platform", "gram", D1, False), kb)
    assert platform_changed == Audience(("gram",), None)
    # A new app with routes only for some regions goes to every subscriber there.
    assert audience_for(Change("platform", "gram", None, True), kb) == Audience(
        None, ("ca", "eu", "hk", "other", "uk", "us")
    )
    assert audience_for(Change("platform", "network", None, True), kb) == Audience(None, None)
    assert audience_for(Change("deadline", "eu-date", D1, False), kb) == Audience(
        ("book", "gram"), ("ch", "eu")
    )
    assert audience_for(Change("deadline", "eu-date", D1, True), kb) == Audience(None, ("ch", "eu"))
    assert audience_for(Change("deadline", "everyone", D1, False), kb) == Audience(
        None, ("ca", "hk", "other", "us")
    )
    assert audience_for(Change("platform", "removed", D1, False), kb) is None
    assert audience_for(Change("deadline", "removed", D1, False), kb) is None


@pytest.mark.parametrize(
    ("chat", "gets_it"),
    [
        ({"subscribed": True, "region": "eu", "platforms_used": ["gram"], "checklist": {}}, True),
        ({"subscribed": True, "region": None, "platforms_used": ["book"], "checklist": {}}, True),
        (
            {
                "subscribed": True,
                "region": "eu",
                "platforms_used": ["gram"],
                "checklist": {"gram": "done"},
            },
            True,  # done, but the steps changed: worth knowing
        ),
        (
            {
                "subscribed": True,
                "region": "eu",
                "platforms_used": ["gram"],
                "checklist": {"gram": "na"},
            },
            False,
        ),
        ({"subscribed": False, "region": "eu", "platforms_used": ["gram"], "checklist": {}}, False),
        ({"subscribed": True, "region": "uk", "platforms_used": ["gram"], "checklist": {}}, False),
        (
            {"subscribed": True, "region": "eu", "platforms_used": ["chatter"], "checklist": {}},
            False,
        ),
    ],
)
def test_audience_rule_for_one_chat(chat: dict[str, object], gets_it: bool) -> None:
    audience = Audience(("gram", "book"), ("eu", "ch"))
    assert audience.includes(**chat) is gets_it  # type: ignore[arg-type]


def test_dry_run_summary_counts_without_chat_ids() -> None:
    lines = [
        DryRunLine(Change("platform", "gram", D2, False, "Gram moved the form"), 1234),
        DryRunLine(Change("deadline", "everyone", None, True), 1),
    ]
    summary = dry_run_summary(lines)
    assert summary.splitlines() == [
        "platform gram: changed 2026-12-09 (Gram moved the form): 1234 chats",
        "deadline everyone: new: 1 chat",
        "2 changes, 1235 alerts in all.",
    ]
    assert dry_run_summary([]).startswith("No entry changed")


def test_alert_text_has_the_note_and_the_current_steps() -> None:
    kb = _kb(gram={"changed": D2, "change": "Gram moved the form into Accounts Centre"})
    text = alert_text(Change("platform", "gram", D2, False), kb, "eu")
    assert text is not None
    assert "<b>Gram changed</b>" in text
    assert "Gram moved the form into Accounts Centre" in text
    assert "1. Open the form." in text and "help/contact/123" in text
    assert "/remind off" in text
    other = alert_text(Change("platform", "gram", D2, False), kb, "other")
    assert other is not None and "Make your posts private." in other
    new = alert_text(Change("platform", "chatter", None, True), kb, None)
    assert new is not None and "New in the guide: Chatter" in new
    deadline_text = alert_text(Change("deadline", "eu-date", D1, False), kb, "eu")
    assert deadline_text is not None and "Title of eu-date" in deadline_text
    assert alert_text(Change("platform", "removed", D1, False), kb, "eu") is None
