"""A topic's first message, its details, the whole answer, and how sources are cited."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.clock import FakeClock
from bot.knowledge.model import (
    Change,
    Disputed,
    KnowledgeBase,
    Position,
    Source,
    Topic,
    TopicText,
)
from bot.render.topics import (
    has_details,
    render_details,
    render_first_message,
    render_sources,
    render_topic,
    source_text,
)

PRIMARY = Source("Regulator notice", "https://regulator.example.org/n", date(2026, 6, 12))
SECONDARY = Source("A newspaper", "https://news.example.org/a", date(2026, 6, 13), True)
UNDATED = Source("A blog", "https://blog.example.org/b", None, True)
NO_DATE_GIVEN = Source("A forum", "https://forum.example.org/c", None, True, undated=True)
TEXT = TopicText(
    title="Objecting",
    question="How do I object?",
    alternates=(),
    answer="Open the form and send it.",
    regions={"uk": "UK: open the form.", "other": "There is no form where you live."},
    details="The form asks for an e-mail address.",
    region_details={"uk": None, "other": "Here is what you can do instead."},
)
TOPIC = Topic(
    id="objecting",
    texts={"en": TEXT},
    sources=(PRIMARY, SECONDARY),
    verified=date(2026, 11, 26),
    change=Change(date(2026, 11, 20), "The form moved into Accounts Centre."),
)
KB = KnowledgeBase({"objecting": TOPIC}, {}, {})
NOW = FakeClock(datetime(2026, 11, 29, 12, tzinfo=UTC)).now()


def test_first_message_is_the_answer_alone():
    text = render_first_message(KB, TOPIC, "eu", NOW).text
    assert text.startswith("<b>How do I object?</b>\n\nOpen the form and send it.")
    assert "e-mail address" not in text
    assert "Checked against 2 sources on 26 November 2026 (3 days ago)." in text


def test_details_alone_and_with_the_answer():
    details = render_details(KB, TOPIC, "eu", NOW)
    assert details is not None
    assert details.text == "The form asks for an e-mail address."
    assert details.buttons[0][0].data == "t:objecting"
    whole = render_topic(KB, TOPIC, "eu", NOW).text
    assert whole.index("Open the form and send it.") < whole.index("e-mail address")


def test_details_follow_the_region_variant():
    assert render_details(KB, TOPIC, "uk", NOW) is None  # the UK answer has no details
    assert not has_details(TOPIC, "uk")
    elsewhere = render_details(KB, TOPIC, "us", NOW)  # us falls back to other
    assert elsewhere is not None and elsewhere.text == "Here is what you can do instead."
    first = render_first_message(KB, TOPIC, "hk", NOW).text
    assert "There is no form where you live." in first


def test_disputes_are_details():
    disputed = Disputed("Courts differ.", (Position("It is allowed.", (PRIMARY,)),) * 2)
    topic = Topic("d", {"en": TEXT}, (PRIMARY,), date(2026, 11, 26), disputed=disputed)
    assert "Sources disagree" not in render_first_message(KB, topic, "uk", NOW).text
    details = render_details(KB, topic, "uk", NOW)
    assert details is not None and "Sources disagree" in details.text


def test_a_recent_change_is_news_and_an_old_one_is_not():
    assert "🆕 <i>Changed on 20 Nov 2026 (9 days ago):</i> The form moved" in (
        render_first_message(KB, TOPIC, "eu", NOW).text
    )
    later = FakeClock(datetime(2027, 6, 1, tzinfo=UTC)).now()
    assert "Changed on" not in render_first_message(KB, TOPIC, "eu", later).text


def test_sources_say_who_reported_what_and_when():
    assert source_text(SECONDARY) == (
        'reported by <a href="https://news.example.org/a">A newspaper</a> on 13 Jun 2026'
    )
    assert source_text(PRIMARY) == (
        '<a href="https://regulator.example.org/n">Regulator notice</a> (12 Jun 2026)'
    )
    assert source_text(UNDATED) == 'reported by <a href="https://blog.example.org/b">A blog</a>'
    assert source_text(NO_DATE_GIVEN) == (
        'reported by <a href="https://forum.example.org/c">A forum</a> (no date given)'
    )
    listing = render_sources(KB, TOPIC).text
    assert "• reported by <a" in listing and "on 13 Jun 2026" in listing


def test_every_shipped_topic_renders_in_every_region(kb, clock):
    from bot.knowledge.regions import REGIONS
    from bot.knowledge.telegram_html import check_html

    for topic in kb.topics.values():
        for region in (None, *REGIONS):
            first = render_first_message(kb, topic, region, clock.now()).text
            assert check_html(first) == [], (topic.id, region)
            details = render_details(kb, topic, region, clock.now())
            if details is not None:
                assert check_html(details.text) == [], (topic.id, region)
            assert check_html(render_topic(kb, topic, region, clock.now()).text) == []


def test_grouped_steps_name_only_regions_with_a_route_of_their_own():
    from bot.knowledge.model import Platform, Route
    from bot.render.platforms import render_steps

    app = Platform(
        "app",
        "App",
        "Company",
        (),
        {"eu": Route(("Use the form.",)), "other": Route(("Turn the setting off.",))},
        "Nothing to wait for.",
        (PRIMARY,),
        date(2026, 11, 26),
    )
    grouped = render_steps(app, None)
    assert "<u>EU / EEA</u>" in grouped and "<u>Elsewhere</u>" in grouped
    assert "Canada" not in grouped and "United Kingdom" not in grouped
    us = render_steps(app, "us")  # falls back to other
    assert "Turn the setting off." in us and "Use the form." not in us
    assert render_steps(app, "uk").count("<u>") == 2  # no route for the UK: every route shown
