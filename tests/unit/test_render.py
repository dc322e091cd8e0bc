"""Rendering: deadlines from data and the injected clock, regions, steps, sources."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.knowledge.loader import load_knowledge_base
from bot.knowledge.model import KnowledgeBase
from bot.render.deadlines import fill_placeholders, render_deadlines
from bot.render.html import split_message, visible_length
from bot.render.platforms import render_steps
from bot.render.topics import render_sources, render_topic
from tests.support import kb_factory


def first_deadline(kb: KnowledgeBase):
    return min((d for d in kb.deadlines.values() if d.at), key=lambda d: d.at)


def test_placeholder_counts_down_before_and_back_after(kb: KnowledgeBase):
    deadline = first_deadline(kb)
    text = f"{{{{deadline:{deadline.id}:status}}}}"
    before = fill_placeholders(text, kb, deadline.at - timedelta(days=3))
    after = fill_placeholders(text, kb, deadline.at + timedelta(days=400))
    assert "in 3 days" in before and deadline.before in before
    assert "a year ago" in after and deadline.after in after
    assert "{{" not in before + after


def test_every_placeholder_in_every_answer_is_filled(kb: KnowledgeBase, clock: FakeClock):
    for topic in kb.topics.values():
        for region in (None, "eu", "uk", "ch", "br", "other"):
            reply = render_topic(kb, topic, region, clock.now())
            assert "{{" not in reply.text and "}}" not in reply.text, topic.id


def test_deadline_answer_changes_with_the_clock(kb: KnowledgeBase):
    topic = kb.topics["deadline"]
    deadline = first_deadline(kb)
    early = render_topic(kb, topic, "eu", deadline.at - timedelta(days=10)).text
    late = render_topic(kb, topic, "eu", deadline.at + timedelta(days=10)).text
    assert early != late
    assert "in 10 days" in early or "in 9 days" in early
    assert "ago" in late


def small_kb(tmp_path: Path, *deadlines: dict) -> KnowledgeBase:
    """A knowledge base with just these entries: the shipped dates keep changing."""
    data = kb_factory.faq_data()
    data["deadlines"] = list(deadlines)
    return load_knowledge_base(kb_factory.write_faq(tmp_path, data))


def test_deadline_list_before_and_after(tmp_path: Path):
    kb = small_kb(tmp_path, kb_factory.deadline("object-by", at="2026-12-10T23:59"))
    deadline = kb.deadlines["object-by"]
    assert deadline.at is not None
    before = render_deadlines(kb, None, deadline.at - timedelta(hours=5))
    after = render_deadlines(kb, None, deadline.at + timedelta(days=600))
    assert "in 5 hours" in before and "Last day" in before and "Words for before." in before
    assert "No deadline is coming up right now" not in before
    assert "No deadline is coming up right now" in after
    assert "Passed on" in after and "Words for after." in after


def test_deadlines_for_a_region_without_any(tmp_path: Path, clock: FakeClock):
    kb = small_kb(tmp_path, kb_factory.deadline("object-by", regions=["eu", "uk"]))
    assert "Nothing is listed for this region" in render_deadlines(kb, "br", clock.now())
    assert "Nothing is listed for this region" in render_deadlines(kb, "ca", clock.now())
    assert "Entry object-by" in render_deadlines(kb, "uk", clock.now())


def test_region_variant_replaces_the_general_answer(kb: KnowledgeBase, clock: FakeClock):
    topic = next(t for t in kb.topics.values() if t.text().regions)
    region, variant = next(iter(topic.text().regions.items()))
    general = render_topic(kb, topic, None, clock.now()).text
    specific = render_topic(kb, topic, region, clock.now()).text
    assert general != specific
    first_words = re.sub(r"<[^>]+>", "", variant).split()[:6]
    assert " ".join(first_words) in re.sub(r"<[^>]+>", "", specific)


def test_steps_for_one_region_and_grouped_for_unknown(kb: KnowledgeBase):
    instagram = kb.platforms["instagram"]
    eu = render_steps(instagram, "eu")
    other = render_steps(instagram, "other")
    unknown = render_steps(instagram, None)
    assert "1. " in eu and "767264225370182" in eu
    assert "no objection form" in other.lower()
    assert "EU / EEA" in unknown and "Elsewhere" in unknown


def test_platform_topic_shows_steps_and_sources_button(kb: KnowledgeBase, clock: FakeClock):
    reply = render_topic(kb, kb.topics["opt-out-instagram"], "eu", clock.now())
    assert "how to object" in reply.text
    assert reply.buttons[0][0].data == "s:opt-out-instagram"
    related = [b.data for b in reply.all_buttons()[1:]]
    assert related and all(d.startswith("t:") for d in related)


def test_sources_list_every_source_with_a_link(kb: KnowledgeBase):
    topic = kb.topics["deadline"]
    text = render_sources(kb, topic).text
    for source in topic.sources:
        if source.url.startswith("http"):
            assert source.url in text


def test_disputed_topics_show_both_positions(kb: KnowledgeBase, clock: FakeClock):
    topic = next(t for t in kb.topics.values() if t.disputed)
    text = render_topic(kb, topic, None, clock.now()).text
    assert "Sources disagree" in text
    for position in topic.disputed.positions:
        assert position.claim[:30] in text


def test_every_reply_fits_telegram_after_splitting(kb: KnowledgeBase, clock: FakeClock):
    for topic in kb.topics.values():
        for region in (None, "eu", "other"):
            text = render_topic(kb, topic, region, clock.now()).text
            assert all(visible_length(p) <= 4096 for p in split_message(text))


def test_unknown_placeholder_never_shows_braces(kb: KnowledgeBase, clock: FakeClock):
    broken = replace(kb, deadlines={})
    assert "{{" not in fill_placeholders("{{deadline:eu-training-start}}", broken, clock.now())
