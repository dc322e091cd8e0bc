"""Answers in the reader's language: the translated texts, dates by Babel, the words around them
from the catalogues, and English with a one-line note where a translation is missing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.i18n import formatting
from bot.i18n.catalog import TRANSLATED_LANGUAGES, catalog_problems, translator
from bot.knowledge.loader import load_knowledge_base
from bot.knowledge.model import KnowledgeBase
from bot.render.dates import relative_words
from bot.render.deadlines import fill_placeholders, render_deadlines
from bot.render.language import fallback_note
from bot.render.platforms import render_steps
from bot.render.topics import render_details, render_sources, render_topic
from tests.support.i18n_factory import LOCAL_SOURCE, multilingual_data, write_multilingual

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return load_knowledge_base(write_multilingual(tmp_path_factory.mktemp("faq")))


def test_a_translated_topic_reads_in_its_language(kb: KnowledgeBase):
    topic = kb.topics["opt-out-instagram"]
    text = render_topic(kb, topic, "eu", NOW, "de").text
    german = topic.text("de")
    deadline = kb.deadlines["object-by"]
    assert deadline.at is not None
    day = formatting.format_date(deadline.at, "de", deadline.timezone)
    when = f"{day}, {formatting.relative(deadline.at, NOW, 'de')}"
    assert text.startswith(f"<b>{german.question}</b>")
    assert german.answer.replace("{{deadline:object-by}}", when) in text
    assert "1. Öffne Instagram" in text and "Eine E-Mail, die deinen Widerspruch" in text
    assert "<b>Instagram: so widersprichst du</b>" in text
    assert "Am 26. November 2026 (heute) anhand von 1 Quelle geprüft." in text
    assert fallback_note("de") not in text
    for english in ("How do I stop", "Open Instagram", "Checked against", "What to expect"):
        assert english not in text


def test_a_missing_translation_is_english_after_a_note_in_the_readers_language(kb):
    topic = kb.topics["bot-privacy"]  # not translated at all
    reply = render_topic(kb, topic, "eu", NOW, "pt")
    note = fallback_note("pt")
    assert note == (
        "<i>(Esta resposta ainda não está disponível em português; aqui está ela em inglês.)</i>"
    )
    assert reply.text.startswith(note + "\n\n<b>What does this bot store about me?</b>")
    assert "Verificado em 26 de novembro de 2026" in reply.text  # the words around: Portuguese
    # In French nothing is translated: note, English answer, English dates inside it.
    instagram = render_topic(kb, kb.topics["opt-out-instagram"], "eu", NOW, "fr").text
    assert instagram.count("<i>(Cette réponse n'existe pas encore en français") == 1
    deadline = kb.deadlines["object-by"]
    assert deadline.at is not None
    english = f"10 December 2026, {relative_words(deadline.at, NOW, 'en')}"
    assert f"send it by {english}." in instagram and "décembre" not in instagram
    assert "1. Open Instagram" in instagram
    # English readers never see a note.
    assert fallback_note("en") is None
    assert "<i>(" not in render_topic(kb, topic, "eu", NOW).text


def test_steps_in_english_get_the_note_when_the_answer_around_them_is_translated(tmp_path):
    data = multilingual_data()
    del data["de"]["platforms"]
    kb = load_knowledge_base(write_multilingual(tmp_path, data))
    text = render_topic(kb, kb.topics["opt-out-instagram"], "eu", NOW, "de").text
    steps = text.index("<b>Instagram: so widersprichst du</b>")
    note = fallback_note("de")
    assert note is not None and text.index(note) < steps
    assert text.count(note) == 1
    assert "1. Open Instagram" in text
    assert render_steps(kb.platforms["instagram"], "eu", "de").startswith(note)


def test_steps_in_every_region_and_the_route_without_a_form(kb: KnowledgeBase):
    instagram = kb.platforms["instagram"]
    grouped = render_steps(instagram, None, "pt")
    assert "1. Abra o Instagram" in grouped and "1. Deixe sua conta privada." in grouped
    assert "Aqui não há formulário de oposição para Instagram." in grouped
    assert "Link direto para o formulário" in grouped


def test_details_sources_and_disputed_notes(kb: KnowledgeBase):
    training = kb.topics["what-is-training"]
    details = render_details(kb, training, "eu", NOW, "de")
    assert details is not None
    assert "⚖️ <b>Die Quellen sind sich nicht einig.</b> Ob ein späterer Widerspruch" in (
        details.text
    )
    assert "• Meta sagt, trainierte Modelle behalten" in details.text
    assert details.buttons[0][0].label == "↩️ Zurück zur Antwort"
    sources = render_sources(kb, training, "de").text
    assert sources.startswith("<b>Quellen zu „Was KI-Training ist“</b>")
    assert f'<a href="{LOCAL_SOURCE["url"]}">{LOCAL_SOURCE["title"]}</a> (02.05.2025)' in sources
    assert "Zuletzt geprüft: 26. November 2026." in sources
    english_sources = render_sources(kb, training, "en").text
    assert LOCAL_SOURCE["url"] not in english_sources
    assert render_topic(kb, training, "eu", NOW, "de").buttons[0][0].label == "📚 Quellen"


def test_deadlines_in_the_readers_language(kb: KnowledgeBase):
    deadline = kb.deadlines["object-by"]
    assert deadline.at is not None
    text = render_deadlines(kb, "eu", NOW, "de")
    moment = formatting.format_datetime(deadline.at, "de", "Europe/Brussels")
    distance = formatting.relative(deadline.at, NOW, "de")
    assert text.startswith("<b>Termine und Einstellungen: EU / EWR</b>")  # the region, too
    assert "<u>Demnächst</u>\n<b>Letzter Tag für den Widerspruch</b>" in text
    assert f"⏳ Letzter Tag: {moment}, {distance}." in text
    assert "Widersprich bis zum Ende dieses Tages" in text
    assert fallback_note("de") not in text
    later = datetime(2027, 6, 1, tzinfo=UTC)
    passed = render_deadlines(kb, None, later, "pt")
    assert "Já passou" in passed and "O dia já passou" in passed
    assert "Vale para: UE / EEE." in passed
    status = fill_placeholders("{{deadline:object-by:status}}", kb, later, "pt")
    assert status.endswith("O dia já passou; a oposição ainda impede o treino futuro.")
    # Italian has no translation of the entry: a note, then English words between Italian.
    italian = render_deadlines(kb, "eu", NOW, "it")
    assert fallback_note("it") in italian and "Object before the end of this day" in italian
    assert "⏳ Ultimo giorno:" in italian


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_catalogue_is_complete_and_keeps_every_placeholder(language: str):
    assert catalog_problems(language) == []
    _ = translator(language).gettext
    assert _("(This answer is not yet available in {language}; here it is in English.)") != (
        "(This answer is not yet available in {language}; here it is in English.)"
    )


def test_catalogue_source_strings_are_the_english_the_renderers_use(tmp_path: Path):
    """English needs no catalogue: the English answer is what it was before translation."""
    kb = load_knowledge_base(write_multilingual(tmp_path))
    text = render_topic(kb, kb.topics["what-is-training"], "eu", NOW).text
    assert "⚖️ <b>Sources disagree.</b> Whether a later objection" in text
    assert "<i>Checked against 1 source on 26 November 2026 (" in text  # English counts
