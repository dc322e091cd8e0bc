"""A whole conversation in German and one in Portuguese, end to end (issue 13, "Done when"):
the real PTB application polling the Bot API stand-in, with the shipped knowledge base.

/start, a question in the chat's language, `/optout instagram` (tapping a region when asked),
a checklist button, /remind and /privacy: every message, button label and toast is checked
for stretches of the English interface strings (tests/support/leftover_english.py) and for
the words each step must show in that language. `/language` chosen by a reader whose
Telegram is set to English holds after a restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.clock import FakeClock
from bot.config import Config
from bot.knowledge.model import KnowledgeBase
from bot.telegram.context import services_of
from tests.support.botapi import BotApiStandIn, Call
from tests.support.e2e_helpers import Chat
from tests.support.leftover_english import leftover_english
from tests.support.standin_fixtures import (
    restartable_bot,
    standin,  # noqa: F401 - fixture
    standin_config,
)

GERMAN_QUESTION = "Wie widerspreche ich, dass Meta meine Instagram-Fotos für KI nutzt?"
PORTUGUESE_QUESTION = "Como faço para impedir a Meta de usar minhas fotos do Instagram na IA?"


@pytest.fixture
def config(standin: BotApiStandIn, tmp_path: Path) -> Config:
    return standin_config(standin, tmp_path / "data")


@pytest.fixture
async def bot(
    standin: BotApiStandIn, config: Config, kb: KnowledgeBase, clock: FakeClock
) -> AsyncIterator[Callable[[], Application]]:
    """Starts the application; calling the fixture's value restarts it on the same database."""
    async with restartable_bot(standin, config, kb, clock) as restart:
        yield restart  # type: ignore[misc]


def chat_in(standin: BotApiStandIn, name: str, language_code: str) -> Chat:
    """A private chat with a user whose Telegram app is set to `language_code`."""
    chat = Chat(standin, name)
    chat.user = standin.new_user(name, language_code=language_code)
    chat.id = chat.user["id"]
    return chat


class Transcript:
    """What one user read, step by step: each message's text, its buttons, each toast."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.steps: list[tuple[str, list[str]]] = []

    def add(self, step: str, *calls: Call) -> str:
        """Record a step's calls; return what the user read in them, as one text."""
        read: list[str] = []
        for call in calls:
            read += [call.params.get("text") or "", *(b["text"] for b in call.buttons)]
        self.steps.append((step, read))
        return "\n".join(read)

    def leftovers(self) -> dict[str, list[str]]:
        """The steps that still show English interface text, and the stretches shown."""
        found = {name: leftover_english(read, self.language) for name, read in self.steps}
        return {name: left for name, left in found.items() if left}


async def test_a_german_conversation_reads_german(standin: BotApiStandIn, bot):
    chat = chat_in(standin, "Jana", "de")
    seen = Transcript("de")

    start = await chat.say_one("/start")
    text = seen.add("start", start)
    assert "Ich helfe dir, deine Beiträge aus dem KI-Training herauszuhalten" in text
    assert "🛑 Widerspruch Schritt für Schritt" in text and "🌐 Sprache: Deutsch" in text

    answer = await chat.say_one(GERMAN_QUESTION)
    text = seen.add("question", answer)
    assert "📚 Quellen" in text and "Wo wohnst du?" in text

    ask = await chat.say_one("/optout instagram")
    text = seen.add("optout", ask)
    assert "<b>Instagram: so widersprichst du</b>" in text and "Wo wohnst du?" in text
    toast, steps = await chat.press(ask, "EU / EWR")
    text = seen.add("region tapped", toast, steps)
    assert "Region festgelegt: <b>EU / EWR</b>" in text and "1. " in text
    assert "✅ Erledigt" in text and "⏰ Später" in text and "🚫 Nicht für mich" in text

    toast, ticked = await chat.press(steps, "Erledigt")
    text = seen.add("checklist", toast, ticked)
    assert ticked.params["text"].startswith("Instagram: ✅ erledigt.")
    assert toast.params.get("text") == "Instagram: ✅ erledigt"

    reminders = await chat.say_one("/remind")
    text = seen.add("remind", reminders)
    assert "<b>✅ Erinnerungen sind an</b>: 3 Tage, 1 Tag, 2 Stunden vor jeder Frist." in text
    assert "Ändern: <code>/remind 3d 1d 2h</code>" in text

    privacy = await chat.say_one("/privacy")
    text = seen.add("privacy", privacy)
    assert text.startswith("<b>Was ich über diesen Chat speichere</b>")
    assert "• Region: EU / EWR" in text and "Instagram: ✅ erledigt" in text
    assert "• Erinnerungen: an, 3 Tage, 1 Tag und 2 Stunden vor jeder Frist" in text
    assert "🗑 Alles löschen" in text

    assert seen.leftovers() == {}


async def test_a_portuguese_conversation_reads_portuguese(standin: BotApiStandIn, bot):
    chat = chat_in(standin, "Ana", "pt-br")  # Telegram in Brazilian Portuguese
    seen = Transcript("pt")

    start = await chat.say_one("/start")
    text = seen.add("start", start)
    assert "Eu ajudo você a manter seus posts fora do treinamento de IA" in text
    assert "🛑 Oposição, passo a passo" in text and "🌐 Idioma: Português" in text

    answer = await chat.say_one(PORTUGUESE_QUESTION)
    text = seen.add("question", answer)
    assert "📚 Fontes" in text

    # No region stored: Telegram's "pt-br" says Brazil, so the steps are Brazil's, said so,
    # with a button to change it that asks where the reader lives.
    steps = await chat.say_one("/optout instagram")
    text = seen.add("optout", steps)
    assert "(pela configuração de idioma do seu Telegram)" in text
    _toast, ask = await chat.press(steps, "Mudar de região")
    text = seen.add("change region", ask)
    assert "Onde você mora?" in text and "UE / EEE" in text and "Brasil" in text
    toast, steps = await chat.press(ask, "Brasil")
    text = seen.add("region tapped", toast, steps)
    assert "Região definida: <b>Brasil</b>" in text
    assert "✅ Feito" in text and "⏰ Depois" in text and "🚫 Não é para mim" in text

    toast, later = await chat.press(steps, "Depois")
    text = seen.add("checklist", toast, later)
    assert later.params["text"].startswith("Instagram: ⏰ depois.")

    reminders = await chat.say_one("/remind")
    text = seen.add("remind", reminders)
    assert "<b>✅ Lembretes ativados</b>: 3 dias, 1 dia, 2 horas antes de cada prazo." in text

    privacy = await chat.say_one("/privacy")
    text = seen.add("privacy", privacy)
    assert text.startswith("<b>O que eu guardo sobre este chat</b>")
    assert "• Região: Brasil" in text and "Instagram: ⏰ depois" in text
    assert "• Idioma: não escolhido" in text  # never chosen: it follows the messages

    assert seen.leftovers() == {}


async def test_a_chosen_language_holds_for_the_whole_interface_after_a_restart(
    standin: BotApiStandIn, bot
):
    chat = chat_in(standin, "Paula", "en")  # Telegram in English
    chosen = await chat.say_one("/language pt")
    assert chosen.params["text"].startswith("A partir de agora respondo em <b>português</b>.")
    app = await bot()  # a new Application on the same database
    seen = Transcript("pt")
    text = seen.add("start", await chat.say_one("/start"))
    assert "Eu ajudo você" in text
    text = seen.add("privacy", await chat.say_one("/privacy"))
    assert "• Idioma: Português (para responder nesse idioma)" in text
    text = seen.add("remind list", await chat.say_one("/remind list"))
    assert text.startswith("Você não tem lembretes.")
    assert seen.leftovers() == {}
    assert (await services_of(app).store.get_settings(chat.id)).language == "pt"


async def test_the_feedback_buttons_under_an_answer_read_german(standin: BotApiStandIn, bot):
    chat = chat_in(standin, "Jonas", "de")
    answer = await chat.say_one(GERMAN_QUESTION)
    labels = [b["text"] for b in answer.buttons]
    assert "👍 Helpful" not in labels and "👎 Not helpful" not in labels
