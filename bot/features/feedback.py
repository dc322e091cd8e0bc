"""👍 / 👎 under every answer, and what authors should fix first (/stats, `bot feedback`).

A tap adds one to a counter per topic, language and day (`Store.record_vote`); no chat or
user id is stored with it. The report ranks topics by their share of 👎 and lists the
questions the bot could not answer (the operator's opt-in log), grouped.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.checkup import texts
from bot.checkup.buttons import vote_buttons
from bot.checkup.feedback import feedback_report, rank_topics
from bot.clock import Clock
from bot.core.commands import Router
from bot.core.context import ChatContext, LiveKnowledge
from bot.core.responder import stale
from bot.features.operator import group_unmatched
from bot.knowledge.model import DEFAULT_LANGUAGE, Topic
from bot.replies import Keyboard, Reply
from bot.store import analytics
from bot.store.repository import Store

VOTES = {"up": True, "down": False}


async def feedback_summary(
    store: Store, *, limit: int = 10, language: str = DEFAULT_LANGUAGE
) -> str:
    """Topics by share of 👎, then unanswered questions by how often they were asked."""
    ranked = rank_topics(await store.vote_counts())
    groups = group_unmatched(await analytics.list_unmatched(store.engine))
    unanswered = [(g.example, g.count) for g in groups]
    return feedback_report(ranked, unanswered, limit=limit, language=language)


@dataclass
class Feedback:
    store: Store
    clock: Clock
    knowledge: LiveKnowledge

    def routes(self) -> Router:
        return Router().button("v", self.vote)

    def answer_extras(self, topic: Topic, language: str = DEFAULT_LANGUAGE) -> Keyboard:
        """The 👍 / 👎 row under an answer, in the answer's language."""
        return vote_buttons(topic.id, language)

    async def vote(self, arg: str, ctx: ChatContext) -> list[Reply]:
        topic_id, _, how = arg.partition(":")
        if topic_id not in self.knowledge.kb.topics or how not in VOTES:
            return [stale(ctx.language)]
        helpful = VOTES[how]
        await self.store.record_vote(topic_id, ctx.language, self.clock.now().date(), helpful)
        thanks = texts.THANKS_UP if helpful else texts.THANKS_DOWN
        return [Reply("", toast=texts.tr(thanks, ctx.language))]
