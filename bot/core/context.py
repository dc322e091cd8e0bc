"""What the core knows when it answers: the chat's settings and the knowledge in use."""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.model import DEFAULT_LANGUAGE, KnowledgeBase
from bot.matching.matcher import Matcher

# `ChatContext.guessed_from` for a region taken from Telegram's language setting.
GUESSED_FROM_TELEGRAM = "telegram"


@dataclass(slots=True)
class ChatContext:
    """What the core may know about the chat it answers (never the message history)."""

    chat_id: int | None = None
    user_id: int | None = None  # only to check operator rights; never stored
    region: str | None = None
    language: str = DEFAULT_LANGUAGE  # the reply's language
    timezone: str | None = None
    # Where the reader probably lives when no region is set: from the country part of
    # Telegram's language_code ("pt-br"), or a country the question names. Used for one
    # answer and said so, with a one-tap change; never stored.
    region_guess: str | None = None
    # Why: GUESSED_FROM_TELEGRAM, or the code of the country the question named ("PL", or
    # "EU" for the EU as a whole); the answer says it in the reader's language.
    guessed_from: str = ""
    # From the language feature, per message: the chat's own choice (None until /language),
    # the language to read the question in (None: the matcher guesses), and a language to
    # offer "Answer in X from now on" for (the question's, when it is not the chat's).
    chosen_language: str | None = None
    question_language: str | None = None
    offer_language: str | None = None


@dataclass(frozen=True, slots=True)
class Knowledge:
    """A knowledge base and its matcher, swapped together on reload."""

    kb: KnowledgeBase
    matcher: Matcher

    @classmethod
    def build(cls, kb: KnowledgeBase) -> Knowledge:
        """The knowledge base with its matcher. Building a matcher embeds every phrasing in
        every language (seconds), and a knowledge base never changes once loaded, so the
        same one gets the same matcher: every application, console and test that is handed
        it shares one build. `/reload` loads a new knowledge base and so builds anew."""
        known = _BUILT.get(id(kb))
        if known is not None and known.kb is kb:
            return known
        built = cls(kb, Matcher(kb))
        _BUILT[id(kb)] = built  # the entry holds `kb`, so its id cannot be reused meanwhile
        while len(_BUILT) > _KEEP_BUILT:
            del _BUILT[next(iter(_BUILT))]
        return built


_KEEP_BUILT = 4  # the knowledge bases in use now, and a few just replaced by /reload
_BUILT: dict[int, Knowledge] = {}


class LiveKnowledge:
    """The knowledge in use, shared by everything that reads it.

    The responder, the features, inline mode and the reminder scheduler all hold this one
    object, so `/reload` swaps the knowledge base for all of them at once.
    """

    __slots__ = ("_current",)

    def __init__(self, knowledge: Knowledge) -> None:
        self._current = knowledge

    @classmethod
    def build(cls, kb: KnowledgeBase) -> LiveKnowledge:
        return cls(Knowledge.build(kb))

    @property
    def current(self) -> Knowledge:
        return self._current

    @property
    def kb(self) -> KnowledgeBase:
        return self._current.kb

    def replace(self, knowledge: Knowledge) -> None:
        self._current = knowledge
