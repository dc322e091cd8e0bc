"""A topic as an answer: text for the region, details, steps, disputes, sources and buttons.

`render_first_message` and `render_details` are the two halves a phone-first reply sends
separately; `render_topic` is the whole answer in one message.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import callbacks
from bot.knowledge.model import DEFAULT_LANGUAGE, Change, KnowledgeBase, Source, Topic
from bot.knowledge.regions import region_chain
from bot.render.deadlines import fill_placeholders
from bot.render.platforms import render_steps
from bot.render.timefmt import dated, format_day
from bot.replies import Button, Keyboard, Reply

MAX_RELATED = 4
# A `change` is news for this long after its date; after that it is just how things are.
RECENT_CHANGE = timedelta(days=90)


def _link(title: str, url: str) -> str:
    if url.startswith(("http://", "https://")):
        return f'<a href="{url}">{title}</a>'
    return title


def source_text(source: Source, now: datetime | None = None) -> str:
    """'<a>Title</a>', with its date when known; a secondary source is 'reported by ... on ...'.

    With `now`, the date also says how long ago it was ("13 Jun 2026 (5 months ago)").
    """
    link = _link(source.title, source.url)
    if source.date is None:
        if not source.secondary:
            return link
        return f"reported by {link} (no date given)" if source.undated else f"reported by {link}"
    when = (
        dated(source.date, now, short=True)
        if now is not None
        else format_day(source.date, short=True)
    )
    if source.secondary:
        return f"reported by {link} on {when}"
    return f"{link} ({when})" if now is None else f"{link}, {when}"


def topic_buttons(kb: KnowledgeBase, topic: Topic, language: str = DEFAULT_LANGUAGE) -> Keyboard:
    rows: list[tuple[Button, ...]] = [
        (Button("📚 Sources", callbacks.encode("s", topic.id)),),
    ]
    related = [kb.topics[r] for r in topic.related if r in kb.topics][:MAX_RELATED]
    buttons = [Button(r.text(language).title, callbacks.encode("t", r.id)) for r in related]
    rows.extend(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return tuple(rows)


def change_line(change: Change | None, now: datetime) -> str | None:
    """'🆕 Changed on 20 Nov 2026: ...' while the change is recent, else nothing."""
    if change is None or now.date() - change.on > RECENT_CHANGE:
        return None
    return f"🆕 <i>Changed on {dated(change.on, now, short=True)}:</i> {change.text}"


def footer(topic: Topic, now: datetime) -> str:
    count = len(topic.sources)
    sources = "1 source" if count == 1 else f"{count} sources"
    return f"<i>Checked against {sources} on {dated(topic.verified, now)}.</i>"


def disputes_concern(region: str | None) -> bool:
    """Whether "sources disagree" notes concern a reader in `region`.

    Every dispute in faq/ is about the objection rounds (the EU/EEA, the UK, Switzerland,
    Brazil): a reader elsewhere (us, ca, hk fall back there) has no objection to doubt.
    """
    return region is None or "other" not in region_chain(region)


def _disputed(topic: Topic, region: str | None, now: datetime) -> str | None:
    if not topic.disputed or not disputes_concern(region):
        return None
    claims = "\n".join(
        f"• {p.claim} ({', '.join(source_text(s, now) for s in p.sources)})"
        if p.sources
        else f"• {p.claim}"
        for p in topic.disputed.positions
    )
    return f"⚖️ <b>Sources disagree.</b> {topic.disputed.summary}\n{claims}"


def _first_parts(
    kb: KnowledgeBase, topic: Topic, region: str | None, now: datetime, language: str
) -> list[str]:
    text = topic.text(language)
    parts = [f"<b>{text.question}</b>", fill_placeholders(text.answer_for(region), kb, now)]
    news = change_line(topic.change, now)
    if news:
        parts.append(news)
    return parts


def _detail_parts(
    kb: KnowledgeBase, topic: Topic, region: str | None, now: datetime, language: str
) -> list[str]:
    details = topic.text(language).details_for(region)
    return [fill_placeholders(details, kb, now)] if details else []


def render_topic(
    kb: KnowledgeBase,
    topic: Topic,
    region: str | None,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> Reply:
    """The whole answer: first message, details, steps, disputes and the checked-on line."""
    parts = _first_parts(kb, topic, region, now, language)
    parts.extend(_detail_parts(kb, topic, region, now, language))
    if topic.platform and topic.platform in kb.platforms:
        parts.append(render_steps(kb.platforms[topic.platform], region))
    disputed = _disputed(topic, region, now)
    if disputed:
        parts.append(disputed)
    parts.append(footer(topic, now))
    return Reply("\n\n".join(parts), topic_buttons(kb, topic, language))


def render_first_message(
    kb: KnowledgeBase,
    topic: Topic,
    region: str | None,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> Reply:
    """What a phone shows first: the question, the direct answer, a recent change, the date."""
    parts = _first_parts(kb, topic, region, now, language)
    parts.append(footer(topic, now))
    return Reply("\n\n".join(parts), topic_buttons(kb, topic, language))


def has_details(topic: Topic, region: str | None, language: str = DEFAULT_LANGUAGE) -> bool:
    disputed = topic.disputed is not None and disputes_concern(region)
    return bool(topic.text(language).details_for(region) or disputed)


def render_details(
    kb: KnowledgeBase,
    topic: Topic,
    region: str | None,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> Reply | None:
    """The rest, for a "More details" button: details and where sources disagree (or None)."""
    parts = _detail_parts(kb, topic, region, now, language)
    disputed = _disputed(topic, region, now)
    if disputed:
        parts.append(disputed)
    if not parts:
        return None
    back = ((Button("↩️ Back to the answer", callbacks.encode("t", topic.id)),),)
    return Reply("\n\n".join(parts), back)


def format_date_only(topic: Topic) -> str:
    return format_day(topic.verified)


def render_sources(
    kb: KnowledgeBase,
    topic: Topic,
    language: str = DEFAULT_LANGUAGE,
    now: datetime | None = None,
) -> Reply:
    """Every source of a topic (and of its app's steps); with `now`, dates say how long ago."""
    lines = [f"<b>Sources for “{topic.text(language).title}”</b>"]
    lines.extend(f"• {source_text(s, now)}" for s in topic.sources)
    if topic.platform and topic.platform in kb.platforms:
        platform = kb.platforms[topic.platform]
        extra = [s for s in platform.sources if s not in topic.sources]
        if extra:
            lines.append(f"\n<b>For the {platform.name} steps</b>")
            lines.extend(f"• {source_text(s, now)}" for s in extra)
    checked = dated(topic.verified, now) if now is not None else format_date_only(topic)
    lines.append(f"\n<i>Last checked: {checked}.</i>")
    back = ((Button("↩️ Back to the answer", callbacks.encode("t", topic.id)),),)
    return Reply("\n".join(lines), back)
