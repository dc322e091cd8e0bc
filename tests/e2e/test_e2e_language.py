"""The reply language end to end: the real PTB application against the Bot API stand-in, with a
small knowledge base translated into German and (in part) Portuguese.

A chat whose first message is German is answered in German; `/language pt` is stored and
still holds after a restart (a new Application on the same database); a short "ok" never
changes the language; the command menu and inline mode speak the user's language.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.clock import FakeClock
from bot.config import Config
from bot.i18n.catalog import TRANSLATED_LANGUAGES, translator
from bot.knowledge.loader import load_knowledge_base
from bot.knowledge.model import KnowledgeBase
from bot.telegram.context import services_of
from tests.support.botapi import BotApiStandIn, Call
from tests.support.e2e_helpers import Chat
from tests.support.i18n_factory import write_multilingual
from tests.support.standin_fixtures import (
    restartable_bot,
    standin,  # noqa: F401 - fixture
    standin_config,
)

GERMAN_QUESTION = "Wie kann ich bei Instagram der KI widersprechen?"


@pytest.fixture
def multilingual_kb(tmp_path: Path) -> KnowledgeBase:
    return load_knowledge_base(write_multilingual(tmp_path / "kb"))


@pytest.fixture
def config(standin: BotApiStandIn, tmp_path: Path) -> Config:
    return standin_config(standin, tmp_path / "data")


@pytest.fixture
async def bot(
    standin: BotApiStandIn, config: Config, multilingual_kb: KnowledgeBase, clock: FakeClock
) -> AsyncIterator[Callable[[], Application]]:
    """Starts the application; calling the fixture's value restarts it on the same database."""
    async with restartable_bot(standin, config, multilingual_kb, clock) as restart:
        yield restart  # type: ignore[misc]


def german_question_of(kb: KnowledgeBase) -> str:
    return kb.topics["opt-out-instagram"].text("de").question


async def test_a_chat_whose_first_message_is_german_gets_german(
    standin: BotApiStandIn, bot, multilingual_kb: KnowledgeBase
):
    chat = Chat(standin, "Jana")  # Telegram set to English
    answer = await chat.say_one(GERMAN_QUESTION)
    assert answer.text is not None
    assert answer.text.startswith(f"<b>{german_question_of(multilingual_kb)}</b>")
    assert "Dezember 2026" in answer.text
    assert "Wo wohnst du?" in answer.text  # no region yet: asked, in German
    labels = [b["text"] for b in answer.buttons]
    assert "📚 Quellen" in labels and "EU / EWR" in labels
    assert not any("from now on" in label for label in labels)
    # A short message does not change the conversation's language: the next command and the
    # buttons under the German answer are German too.
    await chat.say_one("ok")
    deadlines = await chat.say_one("/deadline")
    assert deadlines.text is not None and "Letzter Tag für den Widerspruch" in deadlines.text
    _answer, sources = await chat.press(answer, "Quellen")
    assert sources.text is not None and sources.text.startswith("<b>Quellen zu")
    _answer, steps = await chat.press(answer, "EU / EWR")
    assert steps.text is not None and "1. Öffne Instagram" in steps.text


async def test_language_command_is_remembered_across_a_restart(
    standin: BotApiStandIn, bot, multilingual_kb: KnowledgeBase
):
    chat = Chat(standin, "Ana")
    set_it = await chat.say_one("/language pt")
    assert set_it.text == (
        "A partir de agora respondo em <b>português</b>. Mude quando quiser com /language."
    )
    app = await bot()  # a new Application on the same database
    ask = await chat.say_one("/optout instagram")  # no region yet: asked, in Portuguese
    assert ask.text is not None and "Onde você mora?" in ask.text
    _answer, steps = await chat.press(ask, "UE / EEE")
    assert steps.text is not None and "1. Abra o Instagram" in steps.text
    await chat.say_one("ok")
    deadlines = await chat.say_one("/deadline")
    assert deadlines.text is not None and "Último dia para se opor" in deadlines.text
    settings = await services_of(app).store.get_settings(chat.id)
    assert settings.language == "pt"


async def test_another_language_is_answered_in_it_with_a_button_to_switch(
    standin: BotApiStandIn, bot, multilingual_kb: KnowledgeBase
):
    chat = Chat(standin, "Jonas")
    await chat.say_one("/language de")
    answer = await chat.say_one("How can I stop Instagram from using my photos for AI?")
    assert answer.text is not None and answer.text.startswith("<b>How do I stop Instagram")
    _toast, confirm = await chat.press(answer, "Answer in English from now on")
    assert confirm.text is not None and confirm.text.startswith("From now on I answer in")
    german = await chat.say_one(GERMAN_QUESTION)
    assert german.text is not None
    assert german.text.startswith(f"<b>{german_question_of(multilingual_kb)}</b>")
    assert any(b["text"] == "Ab jetzt auf Deutsch antworten" for b in german.buttons)


async def test_the_command_menu_is_set_in_every_language(standin: BotApiStandIn, bot):
    app = await bot()
    menu = services_of(app).responder.menu
    assert "language" in {name for name, _ in menu}
    english = await app.bot.get_my_commands()
    assert [(c.command, c.description) for c in english] == list(menu)
    for language in TRANSLATED_LANGUAGES:
        commands = await app.bot.get_my_commands(language_code=language)
        _ = translator(language).gettext
        assert [(c.command, c.description) for c in commands] == [
            (name, _(description)) for name, description in menu
        ]
    german = dict(
        (c.command, c.description) for c in await app.bot.get_my_commands(language_code="de")
    )
    assert (
        german["optout"] == "Widerspruch Schritt für Schritt für eine App, z. B. /optout instagram"
    )
    assert german["language"] == "Die Sprache meiner Antworten, z. B. /language de"


async def test_inline_mode_answers_in_the_querys_language_or_the_users(
    standin: BotApiStandIn, bot, multilingual_kb: KnowledgeBase
):
    async def inline(query: str, language_code: str) -> Call:
        mark = standin.mark()
        standin.inline_query(query, user=standin.new_user("Inline", language_code=language_code))
        [answer] = await standin.wait_for("answerInlineQuery", 1, timeout=5, after=mark)
        return answer

    german = await inline("wie kann ich bei instagram der ki widersprechen", "en")
    first = german.params["results"][0]
    assert first["id"] == "opt-out-instagram"
    assert first["title"] == "Widerspruch bei Instagram"
    assert "<b>Quellen</b>" in first["input_message_content"]["message_text"]
    popular = await inline("", "pt-br")  # no words: the user's Telegram language
    titles = [r["title"] for r in popular.params["results"]]
    assert "Oposição no Instagram" in titles
    assert german.params.get("is_personal") is True
