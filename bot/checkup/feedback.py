"""What to fix first: topics by share of 👎, and the questions the bot could not answer. Pure.

Votes come from `Store.vote_counts` (per topic and language, no chat ids); unanswered
questions from the operator's opt-in log, grouped by `operator_tools.group_unmatched`. A topic
with few votes can have a high share by chance, so the list is ordered by share and then by
the number of 👎, and `min_votes` leaves out topics with too few votes to say anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from babel.numbers import format_percent

from bot.i18n.catalog import translator
from bot.i18n.formatting import babel_locale
from bot.knowledge.model import DEFAULT_LANGUAGE
from bot.store.feedback import VoteCount

__all__ = ["TopicFeedback", "feedback_report", "rank_topics"]


@dataclass(frozen=True, slots=True)
class TopicFeedback:
    topic: str
    up: int
    down: int
    down_by_language: dict[str, int] = field(default_factory=dict)

    @property
    def votes(self) -> int:
        return self.up + self.down

    @property
    def down_share(self) -> float:
        return self.down / self.votes if self.votes else 0.0


def rank_topics(votes: Iterable[VoteCount], *, min_votes: int = 1) -> list[TopicFeedback]:
    """Topics with at least `min_votes` votes, the largest share of 👎 first."""
    totals: dict[str, list[int]] = {}
    down_by_language: dict[str, dict[str, int]] = {}
    for vote in votes:
        up_down = totals.setdefault(vote.topic, [0, 0])
        up_down[0] += vote.up
        up_down[1] += vote.down
        if vote.down:
            languages = down_by_language.setdefault(vote.topic, {})
            languages[vote.language] = languages.get(vote.language, 0) + vote.down
    ranked = [
        TopicFeedback(topic, up, down, down_by_language.get(topic, {}))
        for topic, (up, down) in totals.items()
        if up + down >= max(1, min_votes)
    ]
    ranked.sort(key=lambda t: (-t.down_share, -t.down, t.topic))
    return ranked


def feedback_report(
    ranked: Sequence[TopicFeedback],
    unanswered: Sequence[tuple[str, int]] = (),
    *,
    limit: int = 10,
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """Plain text for `/stats` (in the operator's chat language) and `python -m bot feedback`
    (English): the two lists to work from. Topic ids and questions stay as they are."""
    _ = translator(language).gettext
    locale = babel_locale(language)
    lines = [_("Topics by share of 👎 (votes: 👍 up / 👎 down):")]
    if not ranked:
        lines.append("  " + _("no votes yet"))
    for item in ranked[:limit]:
        languages = ", ".join(f"{lang} {n}" for lang, n in sorted(item.down_by_language.items()))
        share = format_percent(item.down_share, locale=locale)
        line = _("{topic}: {share} 👎 ({up} up / {down} down)")
        if languages:
            line = _("{topic}: {share} 👎 ({up} up / {down} down; 👎 by language: {languages})")
        lines.append(
            "  "
            + line.format(
                topic=item.topic, share=share, up=item.up, down=item.down, languages=languages
            )
        )
    lines.append(_("Unanswered questions (most asked first):"))
    if not unanswered:
        lines.append("  " + _("none logged (LOG_UNMATCHED is off, or every question was answered)"))
    for example, count in list(unanswered)[:limit]:
        lines.append(f"  {count} × {example}")
    return "\n".join(lines)
