"""/letter [app]: a short objection text to paste into a form or to e-mail.

Built by `bot.checkup.letters` from `letters.yaml` and the knowledge base, in the chat's
language and for its region; the parts the user fills in stay marked. Nothing the user
types is stored: the app name is only looked up (exactly, else the closest name).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.checkup import texts
from bot.checkup.letters import (
    LetterBook,
    LetterError,
    UnknownTarget,
    letter_text,
    load_letters,
    render_letter,
)
from bot.core.commands import Router
from bot.core.context import ChatContext, LiveKnowledge
from bot.i18n.catalog import N_
from bot.render.html import escape
from bot.replies import Reply

log = logging.getLogger(__name__)

FUZZY_CUTOFF = 80  # rapidfuzz ratio: "instagarm" finds Instagram, "myspace" finds nothing
UNAVAILABLE = texts.LETTERS_UNAVAILABLE


@dataclass
class Letters:
    knowledge: LiveKnowledge
    book: LetterBook | None = None  # read from letters.yaml on first use when not given
    _failed: bool = field(default=False, init=False)

    def routes(self) -> Router:
        return Router().command(
            "letter", self.letter, N_("An objection text to send, e.g. /letter instagram")
        )

    def _book(self) -> LetterBook | None:
        if self.book is None and not self._failed:
            try:
                self.book = load_letters()
            except LetterError:
                self._failed = True
                log.exception("letters.yaml cannot be used (python -m bot check says why)")
        return self.book

    def names(self) -> dict[str, str]:
        """Every name a letter can be asked for (lower case) -> what `render_letter` takes."""
        kb = self.knowledge.kb
        book = self._book()
        found: dict[str, str] = {}
        for platform in kb.platforms.values():
            for name in (platform.id, platform.name, *platform.aliases):
                found[name.lower()] = platform.id
        for target in book.targets.values() if book else ():
            for name in (target.id, target.name):
                if name:
                    found.setdefault(name.lower(), target.id)
        return found

    def resolve(self, wanted: str) -> str | None:
        """The target for what the user typed: exact (id, name, alias), else the closest."""
        names = self.names()
        key = " ".join(wanted.lower().split())
        if key in names:
            return names[key]
        match = process.extractOne(key, list(names), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        return names[match[0]] if match else None

    async def letter(self, args: str, ctx: ChatContext) -> list[Reply]:
        book = self._book()
        if book is None:
            return [Reply(texts.tr(UNAVAILABLE, ctx.language))]
        wanted = " ".join(args.split())[:100]
        target = self.resolve(wanted) if wanted else None
        if wanted and target is None:
            return [
                Reply(texts.unknown_letter_target(escape(wanted), self._listed(), ctx.language))
            ]
        try:
            letter = render_letter(book, self.knowledge.kb, target, ctx.region, ctx.language)
        except UnknownTarget:
            return [
                Reply(texts.unknown_letter_target(escape(wanted), self._listed(), ctx.language))
            ]
        return [Reply(letter_text(letter))]

    def _listed(self) -> list[str]:
        kb = self.knowledge.kb
        names = [p.name for p in kb.platforms.values()]
        book = self._book()
        for target in book.targets.values() if book else ():
            if target.id not in kb.platforms and target.name and target.name not in names:
                names.append(target.name)
        return names
