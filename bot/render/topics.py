"""A topic as an answer: text for the region, steps, disputes, sources and buttons."""

from __future__ import annotations

from datetime import datetime

from bot import callbacks
from bot.knowledge.model import DEFAULT_LANGUAGE, KnowledgeBase, Topic
from bot.render.deadlines import fill_placeholders
from bot.render.platforms import render_steps
from bot.render.timefmt import format_date
from bot.replies import Button, Keyboard, Reply

MAX_RELATED = 4


def _link(title: str, url: str) -> str:
    if url.startswith(("http://", "https://")):
        return f'<a href="{url}">{title}</a>'
    return title


def topic_buttons(kb: KnowledgeBase, topic: Topic, language: str = DEFAULT_LANGUAGE) -> Keyboard:
    rows: list[tuple[Button, ...]] = [
        (Button("📚 Sources", callbacks.encode("s", topic.id)),),
    ]
    related = [kb.topics[r] for r in topic.related if r in kb.topics][:MAX_RELATED]
    buttons = [Button(r.text(language).title, callbacks.encode("t", r.id)) for r in related]
    rows.extend(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return tuple(rows)


def render_topic(
    kb: KnowledgeBase,
    topic: Topic,
    region: str | None,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> Reply:
    text = topic.text(language)
    parts = [f"<b>{text.question}</b>", fill_placeholders(text.answer_for(region), kb, now)]
    if topic.platform and topic.platform in kb.platforms:
        parts.append(render_steps(kb.platforms[topic.platform], region))
    if topic.disputed:
        claims = "\n".join(
            f"• {p.claim} ({', '.join(_link(s.title, s.url) for s in p.sources)})"
            if p.sources
            else f"• {p.claim}"
            for p in topic.disputed.positions
        )
        parts.append(f"⚖️ <b>Sources disagree.</b> {topic.disputed.summary}\n{claims}")
    parts.append(
        f"<i>Checked against {len(topic.sources)} source(s) on {format_date_only(topic)}.</i>"
    )
    return Reply("\n\n".join(parts), topic_buttons(kb, topic, language))


def format_date_only(topic: Topic) -> str:
    return format_date(datetime(topic.verified.year, topic.verified.month, topic.verified.day))


def render_sources(kb: KnowledgeBase, topic: Topic, language: str = DEFAULT_LANGUAGE) -> Reply:
    lines = [f"<b>Sources for “{topic.text(language).title}”</b>"]
    lines.extend(f"• {_link(s.title, s.url)}" for s in topic.sources)
    if topic.platform and topic.platform in kb.platforms:
        platform = kb.platforms[topic.platform]
        extra = [s for s in platform.sources if s not in topic.sources]
        if extra:
            lines.append(f"\n<b>For the {platform.name} steps</b>")
            lines.extend(f"• {_link(s.title, s.url)}" for s in extra)
    lines.append(f"\n<i>Last checked: {format_date_only(topic)}.</i>")
    back = ((Button("↩️ Back to the answer", callbacks.encode("t", topic.id)),),)
    return Reply("\n".join(lines), back)
