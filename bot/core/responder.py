"""The responder: text, commands and button presses in, replies out.

Framework-free so that Telegram, the local console and the tests share one brain: the same
question gets the same answer everywhere. Its command and button tables are fixed when it is
built: the core's own, and those of the features (`Router`), which may answer a core command
themselves (/start with the region buttons).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from bot import callbacks
from bot.clock import Clock
from bot.core.answers import Answers, Reader, RememberRegion, region_label
from bot.core.commands import ButtonHandler, CommandHandler, Router, parse_command
from bot.core.context import ChatContext, Knowledge, LiveKnowledge
from bot.core.smalltalk import ABOUT_BOT_TOPIC, SMALL_TALK_REPLIES, about_the_bot, small_talk
from bot.i18n.catalog import N_, translator
from bot.i18n.countries import place_in_text
from bot.i18n.formatting import format_list
from bot.i18n.languages import DEFAULT_LANGUAGE
from bot.knowledge.model import REGIONS, KnowledgeBase, Platform, Topic
from bot.lang.normalize import normalize
from bot.matching.matcher import Candidate, MatchResult
from bot.render.deadlines import render_deadlines
from bot.render.html import escape
from bot.render.topics import render_sources
from bot.replies import Button, Keyboard, Reply

FAQ_PAGE_SIZE = 8
# The console's keys for the /faq pages' "Back" and "More": the same on every page.
FAQ_BACK_KEY, FAQ_MORE_KEY = "0", str(FAQ_PAGE_SIZE + 1)
MAX_QUESTION = 1000  # longer texts are matched on their first part only
# What people type when lost, and to say hello, in the eight languages (normalized: no accents).
HELP_WORDS = frozenset(
    {
        "help", "menu", "commands", "what can you do", "how does this work",
        "hilfe", "aide", "ayuda", "aiuto", "hulp", "pomoc", "ajuda", "befehle", "comandos",
    }
)  # fmt: skip
GREETINGS = frozenset(
    {
        "hi", "hello", "hey", "hallo", "hola", "start", "good morning",
        "guten tag", "moin", "servus", "bonjour", "salut", "buenas", "buenos dias",
        "buongiorno", "hoi", "goedemorgen", "czesc", "dzien dobry", "oi", "ola", "bom dia",
    }
)  # fmt: skip
MAX_ECHO = 60
# rapidfuzz ratio from which an unknown app name is offered as a typo of a known one: one or
# two letters wrong in a word of eight ("fakebook" 87.5, "instagarm" 88.9, "fcbook" 85.7).
PLATFORM_CUTOFF = 75


def echo(text: str) -> str:
    """What the user typed, shortened to one line and escaped, to quote it back."""
    text = " ".join(text.split())
    if len(text) > MAX_ECHO:
        text = text[: MAX_ECHO - 1] + "…"
    return escape(text)


def similar_platforms(kb: KnowledgeBase, name: str, limit: int = 2) -> list[Platform]:
    """Apps whose name or alias is a near miss of `name` ("fakebook", "instagarm"), best first.

    One- and two-letter aliases (x, ig, fb) are left out: nearly anything is close to them.
    """
    key = " ".join(name.lower().split())
    if len(key) < 3:
        return []
    spellings = {
        spelling.lower(): platform
        for platform in kb.platforms.values()
        for spelling in (platform.name, platform.id, *platform.aliases)
        if len(spelling) >= 3
    }
    found = process.extract(
        key, list(spellings), scorer=fuzz.ratio, limit=None, score_cutoff=PLATFORM_CUTOFF
    )
    best: dict[str, Platform] = {}
    for spelling, _score, _index in found:  # best score first
        best.setdefault(spellings[spelling].id, spellings[spelling])
    return list(best.values())[:limit]


def _rows(buttons: list[Button], per_row: int = 2) -> Keyboard:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def menu(language: str = DEFAULT_LANGUAGE) -> Keyboard:
    """The buttons under the welcome, help and replies that have nothing else to offer."""
    _ = translator(language).gettext
    return (
        (Button(_("🛑 Opt out, step by step"), callbacks.encode("o")),),
        (
            Button(_("📖 All questions"), callbacks.encode("f", "0")),
            Button(_("⏰ Deadlines"), callbacks.encode("d")),
        ),
    )


# Descriptions are English gettext messages: /help and Telegram's menu (bot/telegram/lifecycle.py)
# show them translated.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Welcome and what I can do")),
    ("optout", N_("Step-by-step objection for an app, e.g. /optout instagram")),
    ("faq", N_("All questions I can answer")),
    ("deadline", N_("Key dates and what they mean for you now")),
    ("help", N_("How to use this bot")),
)

WELCOME = N_(
    "👋 <b>Hi! I help you keep your posts out of AI training.</b>\n\n"
    "Meta trains its AI on public Facebook and Instagram content. In the EU/EEA, the UK, "
    "Switzerland and Brazil you can object; I walk you through it, app by app, "
    "and answer your questions with sources.\n\n"
    "Ask in your own words, for example <i>how do I stop insta using my photos?</i>, "
    "or tap a button."
)


def welcome(language: str = DEFAULT_LANGUAGE) -> Reply:
    return Reply(translator(language).gettext(WELCOME), menu(language))


def stale(language: str = DEFAULT_LANGUAGE) -> Reply:
    """The answer to a button that no longer means anything (old, or forged)."""
    _ = translator(language).gettext
    return Reply(
        _("That button is out of date (the answers have been updated). Here is the menu again:"),
        menu(language),
        toast=_("That button is out of date."),
    )


@dataclass(frozen=True, slots=True)
class Turn:
    """What one message got, and how it was understood (for the update log and /stats)."""

    replies: list[Reply]
    question: str = ""  # the text the matcher saw
    match: MatchResult | None = None  # set when the text went to the matcher
    command: str | None = None  # set when it ran a command (typed, or "hi", "help")
    small_talk: str | None = None  # "thanks", "ok" or "bye" when that is all the text was

    @property
    def outcome(self) -> str:
        if self.command is not None:
            return f"command:{self.command}"
        if self.small_talk is not None:
            return f"small-talk:{self.small_talk}"
        return self.match.outcome if self.match is not None else "empty"

    @property
    def topic(self) -> str | None:
        return self.match.topic if self.match is not None else None


CORE_BUTTONS = frozenset("tspfodhmwg")  # callback kinds the responder answers itself


class Responder:
    """Answers one chat's message or button press; holds no per-chat state of its own."""

    def __init__(
        self,
        knowledge: LiveKnowledge,
        clock: Clock,
        *,
        routes: Router | None = None,
        platform_extras: Callable[[Platform, str], Keyboard] | None = None,
        remember_region: RememberRegion | None = None,
        language_offer: Callable[[ChatContext], Keyboard] | None = None,
        answer_extras: Callable[[Topic, str], Keyboard] | None = None,
    ) -> None:
        """`routes`: the features' commands and buttons. `platform_extras`: button rows
        shown above an app's steps (the checklist, when storage is on), in the language
        given. `remember_region`:
        stores the region a reader taps when an answer asks "Where do you live?".
        `language_offer`: rows below an answer given in another language than the chat's.
        `answer_extras`: rows under every answer (👍 / 👎), in the language given."""
        self.live = knowledge
        self.clock = clock
        self.language_offer = language_offer
        self.answers = Answers(
            knowledge,
            clock,
            platform_extras=platform_extras,
            remember_region=remember_region,
            answer_extras=answer_extras,
        )
        routes = routes or Router()
        if taken := CORE_BUTTONS & set(routes.buttons):
            raise ValueError(f"button kinds {sorted(taken)} are the core's own")
        builtin: dict[str, CommandHandler] = {
            "start": self._single(self.start),
            "help": self._single(self.help),
            "faq": self._single(self.faq),
            "optout": self._single(self.optout),
            "deadline": self._single(self.deadline),
            "deadlines": self._single(self.deadline),
        }
        self._commands: dict[str, CommandHandler] = {
            **builtin,
            **{name: c.handler for name, c in routes.commands.items()},
        }
        self._buttons: dict[str, ButtonHandler] = dict(routes.buttons)
        listed = {name for name, _ in COMMANDS}
        self.menu: tuple[tuple[str, str], ...] = (
            *COMMANDS,
            *(
                (c.name, c.description)
                for c in routes.commands.values()
                if c.description and c.name not in listed
            ),
        )

    @staticmethod
    def _single(handler: Callable[[str, ChatContext], Awaitable[Reply]]) -> CommandHandler:
        async def run(args: str, ctx: ChatContext) -> list[Reply]:
            return [await handler(args, ctx)]

        return run

    @property
    def knowledge(self) -> Knowledge:
        return self.live.current

    @property
    def kb(self) -> KnowledgeBase:
        return self.live.kb

    @property
    def command_names(self) -> frozenset[str]:
        """Every command this responder answers (to tell ours from other bots' in groups)."""
        return frozenset(self._commands)

    # -- entry points ------------------------------------------------------------------
    async def message(self, text: str, ctx: ChatContext) -> Turn:
        """Anything a person types: a command, or words to answer."""
        command = parse_command(text)
        if command is not None:
            name, args = command
            return Turn(await self.command(name, args, ctx), command=name)
        return await self.text(text, ctx)

    async def text(self, text: str, ctx: ChatContext) -> Turn:
        question = (text or "").strip()
        if not question:
            return Turn([self.empty_reply(ctx.language)])
        word = normalize(question)
        if word in HELP_WORDS:  # "help", "menu": what people type when lost
            return Turn(await self.command("help", "", ctx), command="help")
        if word in GREETINGS:  # the same welcome as /start
            return Turn(await self.command("start", "", ctx), command="start")
        talk = small_talk(question)
        if talk is not None:
            reply = translator(ctx.language).gettext(SMALL_TALK_REPLIES[talk])
            return Turn([Reply(reply, menu(ctx.language))], question, small_talk=talk)
        about = self.kb.topic(ABOUT_BOT_TOPIC)
        if about is not None and about_the_bot(question):
            result = MatchResult("answer", about.id, 100.0, (Candidate(about.id, 100.0),))
            return Turn([self.topic_reply(about, ctx)], question, result)
        if ctx.region is None:  # "I'm from Poland, ...": answer for Poland's region, and say so
            place = place_in_text(question[:MAX_QUESTION])
            if place is not None and place.region in REGIONS:
                ctx.region_guess, ctx.guessed_from = place.region, place.code
        result = self.knowledge.matcher.match(question[:MAX_QUESTION], ctx.question_language)
        reply = self.reply_for(result, question, ctx)
        if self.language_offer is not None and (offer := self.language_offer(ctx)):
            reply = replace(reply, buttons=(*reply.buttons, *offer))
        return Turn([reply], question, result)

    async def command(self, name: str, args: str, ctx: ChatContext) -> list[Reply]:
        name = name.lower()
        handler = self._commands.get(name)
        replies = await handler(args, ctx) if handler is not None else None
        return replies if replies is not None else [self.unknown_command(name, ctx.language)]

    async def callback(self, data: str | None, ctx: ChatContext) -> list[Reply]:
        cb = callbacks.decode(data)
        if cb is None:
            return [stale(ctx.language)]
        if cb.kind == "t":
            topic = self.kb.topic(cb.arg)
            if topic is None:
                return [stale(ctx.language)]
            return [self.topic_reply(topic, ctx)]
        if cb.kind == "s":
            topic = self.kb.topic(cb.arg)
            if topic is None:
                return [stale(ctx.language)]
            return [render_sources(self.kb, topic, ctx.language, self.clock.now())]
        if cb.kind == "m":
            topic = self.kb.topic(cb.arg)
            return [self.answers.details(topic, ctx) if topic is not None else stale(ctx.language)]
        if cb.kind in ("w", "g"):
            reply = await self.answers.where(cb.kind, cb.arg, ctx)
            return [reply if reply is not None else stale(ctx.language)]
        if cb.kind == "p":
            platform = self.kb.platforms.get(cb.arg)
            if platform is None:
                return [stale(ctx.language)]
            return [self.platform_reply(platform, ctx)]
        if cb.kind == "f":
            page = int(cb.arg) if cb.arg.isdigit() else 0
            return [self.faq_page(page, ctx, edit=True)]
        if cb.kind == "o":
            return [await self.optout("", ctx)]
        if cb.kind == "d":
            return [await self.deadline("", ctx)]
        if cb.kind == "h":
            return [await self.help("", ctx)]
        if cb.kind in self._buttons:
            return await self._buttons[cb.kind](cb.arg, ctx)
        return [stale(ctx.language)]

    # -- replies -------------------------------------------------------------------
    def topic_reply(self, topic: Topic, ctx: ChatContext) -> Reply:
        return self.answers.topic(topic, ctx)

    def reply_for(self, result: MatchResult, question: str, ctx: ChatContext) -> Reply:
        if result.outcome == "answer" and result.topic:
            topic = self.kb.topics[result.topic]
            return self.topic_reply(topic, ctx)
        if result.outcome == "clarify" and result.candidates:
            buttons = [
                Button(
                    self.kb.topics[c.topic].text(ctx.language).title, callbacks.encode("t", c.topic)
                )
                for c in result.candidates
            ]
            _ = translator(ctx.language).gettext
            none = Button(_("None of these"), callbacks.encode("h"))
            rows = (*((b,) for b in buttons), (none,))
            text = _("I'm not sure I understood “{question}”. Did you mean:")
            return Reply(text.format(question=echo(question)), rows)
        return self.fallback(question, ctx.language)

    def fallback(self, question: str, language: str = DEFAULT_LANGUAGE) -> Reply:
        _ = translator(language).gettext
        text = _(
            "Sorry, I don't have an answer for “{question}”.\n\n"
            "I can help with Meta using Facebook, Instagram and WhatsApp content to train AI, "
            "and with how to object. Try asking it another way, for example "
            "<i>how do I stop Instagram using my photos</i>, or pick from the list."
        )
        return Reply(text.format(question=echo(question)), menu(language))

    def empty_reply(self, language: str = DEFAULT_LANGUAGE) -> Reply:
        _ = translator(language).gettext
        text = _(
            "Send me a question in your own words, for example "
            "<i>can Meta use my Facebook photos for AI?</i>, or pick one below."
        )
        return Reply(text, menu(language))

    def unknown_command(self, name: str, language: str = DEFAULT_LANGUAGE) -> Reply:
        _ = translator(language).gettext
        text = _("I don't know the command /{command}. Here is what I can do:")
        return Reply(
            text.format(command=echo(name)) + "\n\n" + self.help_text(language), menu(language)
        )

    def help_text(self, language: str = DEFAULT_LANGUAGE) -> str:
        _ = translator(language).gettext
        lines = [f"/{name} – {_(desc)}" for name, desc in self.menu]
        intro = _("Ask me anything about Meta training AI on your posts, in your own words.")
        return intro + "\n\n" + "\n".join(lines)

    async def start(self, args: str, ctx: ChatContext) -> Reply:
        return welcome(ctx.language)

    async def help(self, args: str, ctx: ChatContext) -> Reply:
        return Reply(self.help_text(ctx.language), menu(ctx.language))

    async def faq(self, args: str, ctx: ChatContext) -> Reply:
        page = int(args) - 1 if args.strip().isdigit() and int(args) > 0 else 0
        return self.faq_page(page, ctx)

    def faq_page(self, page: int, ctx: ChatContext, edit: bool = False) -> Reply:
        topics = list(self.kb.topics.values())
        pages = max(1, -(-len(topics) // FAQ_PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        chunk = topics[page * FAQ_PAGE_SIZE : (page + 1) * FAQ_PAGE_SIZE]
        rows: list[tuple[Button, ...]] = [
            (Button(t.text(ctx.language).title, callbacks.encode("t", t.id)),) for t in chunk
        ]
        _ = translator(ctx.language).gettext
        nav = []
        if page > 0:
            back = callbacks.encode("f", str(page - 1))
            nav.append(Button(_("◀️ Back"), back, shortcut=FAQ_BACK_KEY))
        if page < pages - 1:
            more = callbacks.encode("f", str(page + 1))
            nav.append(Button(_("More ▶️"), more, shortcut=FAQ_MORE_KEY))
        if nav:
            rows.append(tuple(nav))
        text = _("<b>Questions I can answer</b> (page {page} of {pages}). Tap one:")
        return Reply(text.format(page=page + 1, pages=pages), tuple(rows), edit=edit)

    def platform_buttons(self) -> Keyboard:
        platforms = sorted(self.kb.platforms.values(), key=lambda p: (p.company != "Meta", p.name))
        return _rows([Button(p.name, callbacks.encode("p", p.id)) for p in platforms], 3)

    async def optout(self, args: str, ctx: ChatContext) -> Reply:
        _ = translator(ctx.language).gettext
        wanted = " ".join(args.split())
        if not wanted:
            return Reply(
                _("<b>Which app?</b> Tap one and I'll show you the steps for your region."),
                self.platform_buttons(),
            )
        platform = self.kb.platform_by_name(wanted[:100])
        if platform is None:
            close = similar_platforms(self.kb, wanted[:100])
            if close:
                names = format_list((p.name for p in close), ctx.language, style="or")
                rows = [(Button(p.name, callbacks.encode("p", p.id)),) for p in close]
                rows.append((Button(_("Other apps"), callbacks.encode("o")),))
                text = _("I don't know an app called “{app}”. Did you mean {names}?")
                return Reply(text.format(app=echo(wanted), names=names), tuple(rows))
            names = ", ".join(p.name for p in self.kb.platforms.values())
            text = _(
                "I don't know an app called “{app}”. I can show the steps for: {names}.\n\n"
                "Tap one, or type for example <code>/optout instagram</code>."
            )
            return Reply(text.format(app=echo(wanted), names=names), self.platform_buttons())
        return self.platform_reply(platform, ctx)

    def platform_reply(self, platform: Platform, ctx: ChatContext) -> Reply:
        return self.answers.steps(platform, ctx)

    async def deadline(self, args: str, ctx: ChatContext) -> Reply:
        language = ctx.language
        _ = translator(language).gettext
        reader = Reader.of(ctx)
        text = render_deadlines(self.kb, reader.region, self.clock.now(), language)
        if reader.region is None:
            text += "\n\n" + _(
                "<i>Dates for every region are shown. For yours only, tell me where you "
                "live, for example</i> <code>/region Germany</code>."
            )
        elif reader.guessed_from:
            change = _("<i>Change it with</i> <code>/region</code>.")
            text += f"\n\n{reader.note(language)} {change}"
        else:
            shown = _("<i>Showing dates for {region}.</i>")
            text += "\n\n" + shown.format(region=region_label(reader.region, language))
        return Reply(text, menu(language))
