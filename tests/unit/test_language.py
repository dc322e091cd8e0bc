"""Choosing the reply language per chat (issue 13, section 1), through the application as
`build_services` wires it and a real SQLite store: /language, the offer to switch, /start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Services, build_services
from bot.clock import FakeClock
from bot.config import load_config
from bot.features.language import LANGUAGE_NAMES, read_language
from bot.i18n.languages import LANGUAGES, NATIVE_NAMES
from bot.knowledge.loader import load_knowledge_base
from bot.replies import Reply
from bot.store.repository import Store
from tests.support.i18n_factory import write_multilingual

CHAT = 5151
GERMAN_QUESTION = "Wie kann ich bei Instagram der KI widersprechen?"
ENGLISH_QUESTION = "How can I stop Instagram from using my photos for AI training?"


@pytest.fixture
async def services(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    kb = load_knowledge_base(write_multilingual(tmp_path))
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    services = build_services(load_config({}), kb, store, clock=clock)
    try:
        yield services
    finally:
        await services.close()


async def say(
    services: Services, text: str, telegram: str | None = "en", chat: int | None = CHAT
) -> tuple[list[Reply], str]:
    """The replies to `text` and the language they were given in."""
    ctx = await services.chat_context(chat, 1, telegram, text)
    turn = await services.responder.message(text, ctx)
    return turn.replies, ctx.language


async def press(services: Services, data: str) -> list[Reply]:
    ctx = await services.chat_context(CHAT, 1, "en", None)  # a button: no text
    return await services.responder.callback(data, ctx)


def labels(reply: Reply) -> list[str]:
    return [b.label for b in reply.all_buttons()]


def test_language_names_in_every_language_are_understood():
    assert read_language("de") == read_language("Deutsch") == read_language("german") == "de"
    assert read_language("pt-BR") == read_language("Português") == read_language("portugues")
    assert read_language(" POLSKI ") == read_language("polnisch") == "pl"
    assert read_language("français") == read_language("Französisch") == "fr"
    assert read_language("klingon") is None and read_language("") is None
    assert set(LANGUAGE_NAMES.values()) == set(LANGUAGES)
    assert all(read_language(name) == code for code, name in NATIVE_NAMES.items())


async def test_the_first_german_message_gets_a_german_answer(services: Services):
    replies, language = await say(services, GERMAN_QUESTION, telegram="en")
    assert language == "de"
    (reply,) = replies
    topic = services.knowledge.kb.topics["opt-out-instagram"]
    assert reply.text.startswith(f"<b>{topic.text('de').question}</b>")
    assert not any(b.data and b.data.startswith("l:") for b in reply.all_buttons())
    assert (await services.store.get_settings(CHAT)).language is None  # not a choice
    # A button under the answer answers in its language, not in Telegram's.
    (sources,) = await press(services, "s:opt-out-instagram")
    assert sources.text.startswith("<b>Quellen zu „Widerspruch bei Instagram“</b>")


async def test_a_short_message_keeps_the_language_of_the_conversation(services: Services):
    await say(services, GERMAN_QUESTION, telegram="en")
    for short in ("ok", "ig?", "👍", "instagram", "danke"):
        _replies, language = await say(services, short, telegram="en")
        assert language == "de", short
    (deadlines,), language = await say(services, "/deadline", telegram="en")
    assert language == "de" and "Letzter Tag für den Widerspruch" in deadlines.text
    # Another chat of a reader whose Telegram is English: English.
    _replies, other = await say(services, "ok", telegram="en", chat=CHAT + 1)
    assert other == "en"


async def test_telegram_language_until_a_message_says_otherwise(services: Services):
    (steps,), language = await say(services, "/optout instagram", telegram="pt-br")
    assert language == "pt" and "1. Abra o Instagram" in steps.text
    _replies, language = await say(services, ENGLISH_QUESTION, telegram="pt-br")
    assert language == "en"


async def test_the_operators_default_language_when_nothing_tells(tmp_path: Path, clock: FakeClock):
    """DEFAULT_LANGUAGE=de (a consumer centre in Germany): a group, or a reader whose Telegram
    language is not one of the eight, who writes "ok" reads German; a clear English question
    is still answered in English, and a chosen language still wins."""
    kb = load_knowledge_base(write_multilingual(tmp_path))
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    services = build_services(load_config({"DEFAULT_LANGUAGE": "de"}), kb, store, clock=clock)
    try:
        _replies, language = await say(services, "/help", telegram=None, chat=-100)
        assert language == "de"
        _replies, language = await say(services, "ok", telegram="ja", chat=CHAT + 2)
        assert language == "de"
        _replies, language = await say(services, ENGLISH_QUESTION, telegram=None, chat=CHAT + 3)
        assert language == "en"
        _replies, language = await say(services, "/language fr", telegram=None, chat=CHAT + 4)
        _replies, language = await say(services, "ok", telegram=None, chat=CHAT + 4)
        assert language == "fr"
    finally:
        await services.close()


async def test_language_command_stores_the_choice(services: Services, clock: FakeClock):
    (reply,), _ = await say(services, "/language pt")
    assert reply.text == (
        "A partir de agora respondo em <b>português</b>. Mude quando quiser com /language."
    )
    assert (await services.store.get_settings(CHAT)).language == "pt"
    # Telegram's "de" names no country: the steps ask where the reader lives, in Portuguese.
    (ask,), language = await say(services, "/optout instagram", telegram="de")
    assert language == "pt" and "Onde você mora?" in ask.text
    assert "Brasil" in labels(ask) and "UE / EEE" in labels(ask)
    (steps,) = await press(services, "g:instagram:eu")
    assert "1. Abra o Instagram" in steps.text and steps.toast == "Região: UE / EEE"
    for spelled in ("deutsch", "DE", "German", "de-AT"):
        await say(services, f"/language {spelled}")
        assert (await services.store.get_settings(CHAT)).language == "de", spelled
    # A new application on the same database remembers it.
    again = build_services(load_config({}), services.knowledge.kb, services.store, clock=clock)
    assert (await again.chat_context(CHAT, 1, "en", "ok")).language == "de"


async def test_a_question_in_another_language_is_answered_in_it_with_an_offer(
    services: Services,
):
    await say(services, "/language de")
    (reply,), language = await say(services, ENGLISH_QUESTION)
    assert language == "en"
    assert reply.text.startswith("<b>How do I stop Instagram")
    assert labels(reply)[-1] == "Answer in English from now on"
    assert reply.all_buttons()[-1].data == "l:en"
    assert (await services.store.get_settings(CHAT)).language == "de"  # kept until tapped
    (sources,) = await press(services, "s:opt-out-instagram")  # under the English answer
    assert sources.text.startswith("<b>Sources for")
    (confirm,) = await press(services, "l:en")
    assert confirm.text.startswith("From now on I answer in <b>English</b>.")
    assert (await services.store.get_settings(CHAT)).language == "en"
    # A German question now gets a German answer and the offer to switch back.
    (reply,), language = await say(services, GERMAN_QUESTION)
    assert language == "de" and labels(reply)[-1] == "Ab jetzt auf Deutsch antworten"


async def test_language_without_arguments_shows_the_choice(services: Services):
    (picker,), _ = await say(services, "/language", telegram="fr")
    assert picker.text.startswith("Je réponds en <b>français</b>.")
    assert "réglages Telegram" in picker.text  # not chosen yet: says where it came from
    assert labels(picker) == [NATIVE_NAMES[code] for code in LANGUAGES]
    await say(services, "/language it")
    (picker,), _ = await say(services, "/language")
    assert picker.text.startswith("Rispondo in <b>italiano</b>.")
    assert "✓ Italiano" in labels(picker)
    (unknown,), _ = await say(services, "/language klingon")
    assert "«klingon»" in unknown.text and len(labels(unknown)) == len(LANGUAGES)
    (shown,) = await press(services, "l:")
    assert shown.text.startswith("Rispondo in")
    (stale,) = await press(services, "l:xx")
    assert "non è più valido" in stale.text  # the stale-button reply speaks Italian too


async def test_start_offers_the_language(services: Services):
    (start,), _ = await say(services, "/start", telegram="nl")
    assert "🌐 Taal: Nederlands" in labels(start)
    (picker,) = await press(services, next(b.data for b in start.all_buttons() if "🌐" in b.label))
    assert picker.text.startswith("Ik antwoord in het <b>Nederlands</b>.")


async def test_nothing_is_stored_where_there_is_no_chat(services: Services):
    (reply,), _ = await say(services, "/language de", chat=None)
    assert reply.text == "Hier kann ich keine Sprache speichern."


async def test_the_matcher_reads_the_question_in_its_language(services: Services):
    ctx = await services.chat_context(CHAT, 1, "en", GERMAN_QUESTION)
    assert ctx.question_language == "de"
    ctx = await services.chat_context(CHAT + 7, 1, "pt", "ok")
    assert (ctx.language, ctx.question_language) == ("pt", "pt")
    ctx = await services.chat_context(CHAT + 8, 1, None, "ok")
    assert (ctx.language, ctx.question_language) == ("en", None)  # the matcher guesses
