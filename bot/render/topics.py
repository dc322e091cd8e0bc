"""A topic as an answer: text for the region, details, steps, disputes, sources and buttons.

`render_first_message` and `render_details` are the two halves a phone-first reply sends
separately; `render_topic` is the whole answer in one message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot import callbacks
from bot.i18n.catalog import translator
from bot.knowledge.model import DEFAULT_LANGUAGE, Change, KnowledgeBase, Source, Topic
from bot.knowledge.regions import region_chain
from bot.render.dates import dated_words, day_words
from bot.render.deadlines import fill_placeholders
from bot.render.language import fallback_note, words
from bot.render.platforms import render_steps
from bot.replies import Button, Keyboard, Reply

MAX_RELATED = 4
# A `change` is news for this long after its date; after that it is just how things are.
RECENT_CHANGE = timedelta(days=90)


def _link(title: str, url: str) -> str:
    if url.startswith(("http://", "https://")):
        return f'<a href="{url}">{title}</a>'
    return title


def _dated(day: date, now: datetime | None, language: str, *, short: bool = False) -> str:
    """A date in `language`, with how long ago it was when `now` is known."""
    if now is None:
        return day_words(day, language, short=short)
    return dated_words(day, now, language, short=short)


def source_text(
    source: Source, language: str = DEFAULT_LANGUAGE, now: datetime | None = None
) -> str:
    """'<a>Title</a>', with its date when known; a secondary source is 'reported by ... on ...'.

    With `now`, an English date also says how long ago it was ("13 Jun 2026, 5 months ago").
    """
    _ = words(language)
    link = _link(source.title, source.url)
    day = _dated(source.date, now, language, short=True) if source.date else None
    if source.secondary:
        if day:
            return _("reported by {source} on {date}").format(source=link, date=day)
        if source.undated:
            return _("reported by {source} (no date given)").format(source=link)
        return _("reported by {source}").format(source=link)
    if not day:
        return link
    return (
        f"{link}, {day}" if now is not None and language == DEFAULT_LANGUAGE else f"{link} ({day})"
    )


def topic_buttons(kb: KnowledgeBase, topic: Topic, language: str = DEFAULT_LANGUAGE) -> Keyboard:
    _ = words(language)
    rows: list[tuple[Button, ...]] = [
        (Button(_("📚 Sources"), callbacks.encode("s", topic.id)),),
    ]
    related = [kb.topics[r] for r in topic.related if r in kb.topics][:MAX_RELATED]
    buttons = [Button(r.text(language).title, callbacks.encode("t", r.id)) for r in related]
    rows.extend(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return tuple(rows)


def change_line(
    change: Change | None, now: datetime, language: str = DEFAULT_LANGUAGE
) -> str | None:
    """'🆕 Changed on 20 Nov 2026: ...' while the change is recent, else nothing."""
    if change is None or now.date() - change.on > RECENT_CHANGE:
        return None
    _ = words(language)
    day = _dated(change.on, now, language, short=True)
    return _("🆕 <i>Changed on {date}:</i> {change}").format(date=day, change=change.text)


def footer(topic: Topic, now: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """'Checked against 8 sources on 29 November 2026 (yesterday).' in the reader's language."""
    count = len(topic.sources)
    message = translator(language).ngettext(
        "<i>Checked against {count} source on {date}.</i>",
        "<i>Checked against {count} sources on {date}.</i>",
        count,
    )
    return message.format(count=count, date=_dated(topic.verified, now, language))


def disputes_concern(region: str | None) -> bool:
    """Whether "sources disagree" notes concern a reader in `region`.

    Every dispute in faq/ is about the objection rounds (the EU/EEA, the UK, Switzerland,
    Brazil): a reader elsewhere (us, ca, hk fall back there) has no objection to doubt.
    """
    return region is None or "other" not in region_chain(region)


def _disputed(topic: Topic, region: str | None, now: datetime, language: str) -> str | None:
    disputed = topic.disputed_in(language)
    if not disputed or not disputes_concern(region):
        return None
    claims = "\n".join(
        f"• {p.claim} ({', '.join(source_text(s, language, now) for s in p.sources)})"
        if p.sources
        else f"• {p.claim}"
        for p in disputed.positions
    )
    _ = words(language)
    lead = _("⚖️ <b>Sources disagree.</b> {summary}").format(summary=disputed.summary)
    return f"{lead}\n{claims}"


def _first_parts(
    kb: KnowledgeBase, topic: Topic, region: str | None, now: datetime, language: str
) -> list[str]:
    text = topic.text(language)
    answer = fill_placeholders(text.answer_for(region), kb, now, _text_language(topic, language))
    parts = [f"<b>{text.question}</b>", answer]
    note = None if topic.has_text(language) else fallback_note(language)
    if note:
        parts.insert(0, note)
    news = change_line(topic.change_in(language), now, language)
    if news:
        parts.append(news)
    return parts


def _detail_parts(
    kb: KnowledgeBase, topic: Topic, region: str | None, now: datetime, language: str
) -> list[str]:
    details = topic.text(language).details_for(region)
    return [fill_placeholders(details, kb, now, _text_language(topic, language))] if details else []


def _text_language(topic: Topic, language: str) -> str:
    """The language a topic's text is shown in: dates inside it follow it."""
    return language if topic.has_text(language) else DEFAULT_LANGUAGE


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
        platform = kb.platforms[topic.platform]
        # One note per answer: a topic shown in English has it at the top already.
        parts.append(render_steps(platform, region, language, note=topic.has_text(language)))
    disputed = _disputed(topic, region, now, language)
    if disputed:
        parts.append(disputed)
    parts.append(footer(topic, now, language))
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
    parts.append(footer(topic, now, language))
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
    disputed = _disputed(topic, region, now, language)
    if disputed:
        parts.append(disputed)
    if not parts:
        return None
    return Reply("\n\n".join(parts), back_button(topic, language))


def back_button(topic: Topic, language: str = DEFAULT_LANGUAGE) -> Keyboard:
    _ = words(language)
    return ((Button(_("↩️ Back to the answer"), callbacks.encode("t", topic.id)),),)


def render_sources(
    kb: KnowledgeBase,
    topic: Topic,
    language: str = DEFAULT_LANGUAGE,
    now: datetime | None = None,
) -> Reply:
    """Every source of a topic (and of its app's steps); with `now`, dates say how long ago."""
    _ = words(language)
    sources = topic.sources_in(language)
    title = topic.text(language).title
    lines = [_("<b>Sources for “{title}”</b>").format(title=title)]
    lines.extend(f"• {source_text(s, language, now)}" for s in sources)
    if topic.platform and topic.platform in kb.platforms:
        platform = kb.platforms[topic.platform]
        extra = [s for s in platform.sources if s not in sources]
        if extra:
            steps = _("<b>For the {platform} steps</b>").format(platform=platform.name)
            lines.append(f"\n{steps}")
            lines.extend(f"• {source_text(s, language, now)}" for s in extra)
    checked_on = _dated(topic.verified, now, language)
    checked = _("<i>Last checked: {date}.</i>").format(date=checked_on)
    lines.append(f"\n{checked}")
    return Reply("\n".join(lines), back_button(topic, language))
