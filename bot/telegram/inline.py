"""Inline mode: `@botname question` in any chat offers shareable answers with sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode

from bot.core.context import Knowledge
from bot.knowledge.model import DEFAULT_LANGUAGE
from bot.lang.detect import default_detector
from bot.matching.matcher import OUT_OF_SCOPE, THRESHOLDS
from bot.render.html import MESSAGE_LIMIT, split_message, visible_length
from bot.render.language import words
from bot.render.topics import render_topic
from bot.telegram.context import BotContext

MAX_RESULTS = 5
MAX_QUERY = 256


@dataclass(frozen=True, slots=True)
class InlineAnswer:
    topic: str
    title: str
    description: str
    text: str  # HTML, fits one message, ends with its sources


def shareable(
    knowledge: Knowledge, topic_id: str, now: datetime, language: str = DEFAULT_LANGUAGE
) -> InlineAnswer:
    kb = knowledge.kb
    topic = kb.topics[topic_id]
    body = render_topic(kb, topic, None, now, language).text
    sources = "\n".join(
        f'• <a href="{s.url}">{s.title}</a>' if s.url.startswith("http") else f"• {s.title}"
        for s in topic.sources_in(language)
    )
    _ = words(language)
    heading, shared = _("<b>Sources</b>"), _("<i>Shared via optout-bot</i>")
    tail = f"\n\n{heading}\n{sources}\n\n{shared}"
    room = MESSAGE_LIMIT - visible_length(tail) - 10
    first = split_message(body, room)[0]
    if first != body:
        first += "\n…"
    text = topic.text(language)
    return InlineAnswer(topic.id, text.title, text.question, first + tail)


def inline_answers(
    knowledge: Knowledge,
    query: str,
    now: datetime,
    popular: list[str] | None = None,
    telegram_code: str | None = None,
    default_language: str = DEFAULT_LANGUAGE,
) -> list[InlineAnswer]:
    """Up to five matching answers; for an empty query, the most asked topics.

    In the query's language when it is clear, else the user's Telegram language, else the
    operator's DEFAULT_LANGUAGE.
    """
    query = query.strip()[:MAX_QUERY]
    choice = default_detector().choose(query, None, telegram_code, default_language)
    language = choice.language
    if not query:
        ids = [t for t in (popular or []) if t in knowledge.kb.topics]
        ids += [t for t in knowledge.kb.topics if t not in ids]
        return [shareable(knowledge, t, now, language) for t in ids[:MAX_RESULTS]]
    hint = choice.guess.language if choice.guess and choice.guess.kind != "weak" else None
    scored = knowledge.matcher.scores(query, hint)
    ids = [
        c.topic for c in scored.ranked if c.topic != OUT_OF_SCOPE and c.score >= THRESHOLDS.clarify
    ][:MAX_RESULTS]
    return [shareable(knowledge, t, now, language) for t in ids]


async def on_inline(update: Update, context: BotContext) -> None:
    """`@botname question`: up to five shareable answers with their sources."""
    query = update.inline_query
    if query is None:
        return
    services = context.services
    answers = inline_answers(
        services.knowledge.current,
        query.query,
        services.clock.now(),
        services.operator.popular,
        query.from_user.language_code if query.from_user else None,
        services.config.default_language,
    )
    results = [
        InlineQueryResultArticle(
            id=a.topic,
            title=a.title,
            description=a.description,
            input_message_content=InputTextMessageContent(a.text, parse_mode=ParseMode.HTML),
        )
        for a in answers
    ]
    # Personal: without a clear language in the query, the user's Telegram language decides.
    await query.answer(results, cache_time=300, is_personal=True)
