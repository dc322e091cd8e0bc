"""Ranking topics by 👎 and the report an author works from."""

from __future__ import annotations

from bot.checkup.feedback import feedback_report, rank_topics
from bot.store.feedback import VoteCount

VOTES = [
    VoteCount("whatsapp", "en", 2, 6),
    VoteCount("whatsapp", "de", 0, 2),
    VoteCount("meta-ai", "en", 9, 1),
    VoteCount("linkedin", "pt", 1, 1),
    VoteCount("x", "en", 0, 1),
]


def test_topics_by_share_of_thumbs_down() -> None:
    ranked = rank_topics(VOTES)
    assert [(t.topic, t.up, t.down) for t in ranked] == [
        ("x", 0, 1),
        ("whatsapp", 2, 8),
        ("linkedin", 1, 1),
        ("meta-ai", 9, 1),
    ]
    assert ranked[1].down_share == 0.8 and ranked[1].down_by_language == {"de": 2, "en": 6}
    # Too few votes to say anything: left out.
    assert [t.topic for t in rank_topics(VOTES, min_votes=3)] == ["whatsapp", "meta-ai"]
    assert rank_topics([]) == []


def test_report_lists_both() -> None:
    report = feedback_report(rank_topics(VOTES), [("how to stop tiktok", 7), ("hi", 2)], limit=2)
    lines = report.splitlines()
    assert lines[0].startswith("Topics by share of 👎")
    assert lines[1] == "  x: 100% 👎 (0 up / 1 down; 👎 by language: en 1)"
    assert lines[2] == "  whatsapp: 80% 👎 (2 up / 8 down; 👎 by language: de 2, en 6)"
    assert lines[3] == "Unanswered questions (most asked first):"
    assert lines[4:] == ["  7 × how to stop tiktok", "  2 × hi"]
    empty = feedback_report([], [])
    assert "no votes yet" in empty and "none logged" in empty


def test_report_in_the_operators_language_keeps_ids_and_questions() -> None:
    report = feedback_report(
        rank_topics(VOTES), [("how to stop tiktok", 7)], limit=2, language="de"
    )
    lines = report.splitlines()
    assert lines[0] == "Themen nach Anteil 👎 (Stimmen: 👍 dafür / 👎 dagegen):"
    assert lines[2] == "  whatsapp: 80\u00a0% 👎 (2 dafür / 8 dagegen; 👎 nach Sprache: de 2, en 6)"
    assert lines[3:] == [
        "Unbeantwortete Fragen (die häufigsten zuerst):",
        "  7 × how to stop tiktok",
    ]
    assert "noch keine Stimmen" in feedback_report([], [], language="de")
