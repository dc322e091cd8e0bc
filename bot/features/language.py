"""The language a chat is answered in: chosen per message, stored with /language.

`choose` runs for every message and button press, where the chat's context is built: until
the chat chooses, the reply follows the message when it is clearly in one of the eight
languages, else Telegram's language_code, else English (the rules are in
bot/lang/detect.py). A chat that chose is answered in its language, except a question
clearly in another one, which is answered in that language with a one-tap "Answer in X
from now on" (`offer_buttons`). The choice is stored only when the user makes it.

The language of each chat's last reply is kept in memory (never stored, gone on restart):
until the chat chooses, it is the conversation's language, so that "ok" or /deadline after
a German question stays German for a reader whose Telegram is set to English; and a button
is answered in it, as the message the button is under was.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from bot import callbacks
from bot.core.commands import Router
from bot.core.context import ChatContext
from bot.core.responder import stale
from bot.i18n.catalog import N_
from bot.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES, NATIVE_NAMES, normalize_language
from bot.lang.detect import Detector, default_detector
from bot.render.html import escape
from bot.render.language import name_in_text, words
from bot.replies import Button, Keyboard, Reply
from bot.store.repository import Store

# What people type after /language besides the codes: each language's name in the eight
# languages, without accents ("portugues", "allemand", "niemiecki").
_NAMES = {
    "en": "english inglese ingles englisch anglais engels angielski",
    "de": "deutsch german allemand aleman tedesco duits niemiecki alemao",
    "fr": "francais french franzosisch frances francese frans francuski",
    "es": "espanol spanish spanisch espagnol spagnolo spaans hiszpanski espanhol castellano",
    "it": "italiano italian italienisch italien italiaans wloski",
    "nl": "nederlands dutch niederlandisch neerlandais neerlandes olandese holenderski "
    "holandes vlaams flemish",
    "pl": "polski polish polnisch polonais polaco polacco pools polones",
    "pt": "portugues portuguese portugiesisch portugais portoghese portugees portugalski "
    "brasileiro",
}
MAX_REMEMBERED = 10_000  # chats whose last reply language is kept in memory
LANGUAGE_NAMES: dict[str, str] = {
    name: code for code, names in _NAMES.items() for name in names.split()
}

_COMMAND = re.compile(r"^\s*/\S*")  # the command word with its @bot, if any


def fold(text: str) -> str:
    """Lower case without accents or surrounding space: 'Português ' -> 'portugues'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ł", "l")


def read_language(text: str) -> str | None:
    """One of the eight languages from a code, a tag or a name: 'de', 'pt-BR', 'Deutsch'."""
    return normalize_language(text.strip()) or LANGUAGE_NAMES.get(fold(text))


def language_buttons(current: str | None = None) -> Keyboard:
    """Each language in its own name, two a row; the current one ticked."""
    buttons = [
        Button(
            f"✓ {NATIVE_NAMES[code]}" if code == current else NATIVE_NAMES[code],
            callbacks.encode("l", code),
        )
        for code in LANGUAGES
    ]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def start_button(ctx: ChatContext) -> Keyboard:
    """The row /start shows: the reply language, one tap from the choice."""
    _ = words(ctx.language)
    label = _("🌐 Language: {language}").format(language=NATIVE_NAMES[ctx.language])
    return ((Button(label, callbacks.encode("l")),),)


def offer_button(language: str) -> Button:
    """'Answer in Deutsch from now on', in the language it offers."""
    _ = words(language)
    label = _("Answer in {language} from now on").format(language=name_in_text(language))
    return Button(label, callbacks.encode("l", language))


@dataclass
class Languages:
    """/language, the language buttons, and the reply language of every message."""

    store: Store
    detector: Callable[[], Detector] = field(default=default_detector)
    default: str = DEFAULT_LANGUAGE  # the operator's DEFAULT_LANGUAGE: when nothing tells
    _recent: OrderedDict[int, str] = field(default_factory=OrderedDict, repr=False)

    def routes(self) -> Router:
        return (
            Router()
            .command(
                "language",
                self.language,
                N_("The language I answer in, e.g. /language de"),
            )
            .button("l", self.button)
        )

    def choose(self, ctx: ChatContext, text: str | None, telegram_code: str | None) -> None:
        """Set the reply language, the matcher's hint and the offer on `ctx`.

        `text` is the message; None for a button, which is answered in the language of the
        chat's last reply (the message the button is under, as a rule).
        """
        chosen, chat = ctx.chosen_language, ctx.chat_id
        last = self._recent.get(chat) if chat is not None else None
        if text is None and last is not None:
            ctx.language = ctx.question_language = last
            ctx.offer_language = None
            return
        # "/help@optout_bot" is no language; a command's arguments may be.
        words = _COMMAND.sub("", text or "")
        choice = self.detector().choose(words, chosen or last, telegram_code, self.default)
        guess = choice.guess
        ctx.language = choice.language
        if guess is not None and guess.kind != "weak":
            ctx.question_language = guess.language
        elif choice.source in ("stored", "telegram"):
            ctx.question_language = choice.language
        else:
            ctx.question_language = None
        # Only a chosen language is worth a button; otherwise the reply simply follows.
        ctx.offer_language = choice.language if choice.offer_switch and chosen else None
        if chat is not None:
            self._remember(chat, choice.language)

    def last_language(self, chat_id: int) -> str | None:
        """The language this chat was last answered in, while this process remembers it."""
        return self._recent.get(chat_id)

    def _remember(self, chat_id: int, language: str) -> None:
        self._recent[chat_id] = language
        self._recent.move_to_end(chat_id)
        while len(self._recent) > MAX_REMEMBERED:
            self._recent.popitem(last=False)

    def offer_buttons(self, ctx: ChatContext) -> Keyboard:
        """Below an answer in another language than the chat's: make it the chat's."""
        if ctx.offer_language is None or ctx.chat_id is None:
            return ()
        return ((offer_button(ctx.offer_language),),)

    async def language(self, args: str, ctx: ChatContext) -> list[Reply]:
        wanted = " ".join(args.split())[:40]
        if not wanted:
            return [self.picker(ctx)]
        language = read_language(wanted)
        if language is None:
            _ = words(ctx.language)
            text = _("I don't know the language “{wanted}”. I can answer in these:")
            return [Reply(text.format(wanted=escape(wanted)), language_buttons(ctx.language))]
        return [await self._set(language, ctx)]

    async def button(self, arg: str, ctx: ChatContext) -> list[Reply]:
        if not arg:
            return [self.picker(ctx)]
        if arg not in LANGUAGES:
            return [stale(ctx.language)]
        return [await self._set(arg, ctx)]

    def picker(self, ctx: ChatContext) -> Reply:
        _ = words(ctx.language)
        text = _("I answer in <b>{language}</b>.").format(language=name_in_text(ctx.language))
        if ctx.chosen_language is None:
            text += " " + _("I took it from your messages and your Telegram settings.")
        text += "\n" + _("Tap a language to keep it, or type for example /language de.")
        return Reply(text, language_buttons(ctx.chosen_language))

    async def _set(self, language: str, ctx: ChatContext) -> Reply:
        _ = words(language)
        if ctx.chat_id is None:
            return Reply(_("I can't store a language here."))
        await self.store.set_language(ctx.chat_id, language)
        self._remember(ctx.chat_id, language)
        ctx.language = ctx.chosen_language = language
        ctx.offer_language = None
        text = _("From now on I answer in <b>{language}</b>. Change it at any time with /language.")
        return Reply(text.format(language=name_in_text(language)))
