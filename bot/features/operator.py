"""Tools for whoever runs the bot: aggregate stats, FAQ reload, flood control, unmatched log.

Nothing here identifies a person: counts are aggregates, and unmatched questions (opt-in)
are kept as normalised text with the day only. Replies are in the chat's language; topic ids,
outcome names and the FAQ's problems stay as the code and the files spell them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from babel.numbers import format_percent
from rapidfuzz import fuzz

from bot.clock import Clock
from bot.core.commands import Router
from bot.core.context import ChatContext, Knowledge, LiveKnowledge
from bot.i18n.catalog import N_, translator
from bot.i18n.formatting import babel_locale
from bot.knowledge.loader import read_knowledge_base
from bot.lang.normalize import normalize
from bot.matching.matcher import MatchResult
from bot.render.html import escape
from bot.replies import Reply
from bot.scrub import scrub
from bot.store import analytics
from bot.store.analytics import CountKey
from bot.store.repository import Store

log = logging.getLogger(__name__)

FloodVerdict = Literal["ok", "notice", "drop"]


class FloodGuard:
    """At most `limit` messages per chat per `window` seconds; one notice, then silence."""

    def __init__(
        self, limit: int = 20, window: float = 60.0, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.now = now
        self._seen: dict[int, deque[float]] = defaultdict(deque)
        self._warned: set[int] = set()

    def check(self, chat_id: int) -> FloodVerdict:
        now = self.now()
        seen = self._seen[chat_id]
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            self._warned.discard(chat_id)
            return "ok"
        if chat_id in self._warned:
            return "drop"
        self._warned.add(chat_id)
        return "notice"

    def forget_idle(self) -> None:
        """Drop chats that have been quiet for a whole window (keeps memory bounded)."""
        now = self.now()
        for chat_id in [c for c, s in self._seen.items() if not s or now - s[-1] >= self.window]:
            del self._seen[chat_id]
            self._warned.discard(chat_id)


SLOW_DOWN = N_(
    "You're sending messages very fast. I'll pause for a minute; "
    "then ask again, one question at a time."
)


@dataclass
class Operator:
    """Counts answers, keeps unmatched questions if allowed, and serves /stats and /reload."""

    store: Store
    knowledge: LiveKnowledge
    clock: Clock
    faq_dir: Path
    admin_ids: frozenset[int] = frozenset()
    log_unmatched: bool = False
    unmatched_days: int = 30
    on_reload: Callable[[], Awaitable[object]] | None = None  # reschedules the reminders
    # More for /stats: the answers' 👍/👎 and the unanswered questions (plain text), in the
    # language it is given.
    extra_stats: Callable[[str], Awaitable[str]] | None = None
    popular: list[str] = field(default_factory=list)  # most answered topics, for inline mode
    _counts: Counter[CountKey] = field(default_factory=Counter)
    _unmatched: list[str] = field(default_factory=list)

    def routes(self) -> Router:
        """Not in /help or the command menu: for anyone else they do not exist."""
        return Router().command("stats", self.stats).command("reload", self.reload)

    def record(self, result: MatchResult, question: str) -> None:
        """Count one answered (or not answered) question; written by `flush`."""
        day = self.clock.now().date()
        self._counts[(day, result.outcome, result.topic or "")] += 1
        if self.log_unmatched and result.outcome == "fallback":
            # Scrubbed first: normalising drops the "@" and dots that make an address one.
            text = normalize(scrub(question))[: analytics.MAX_UNMATCHED_TEXT]
            if text:
                self._unmatched.append(text)

    async def flush(self) -> None:
        """Write the counts gathered since the last flush; called by a repeating job."""
        counts, self._counts = self._counts, Counter()
        texts, self._unmatched = self._unmatched, []
        try:
            await analytics.add_counts(self.store.engine, counts)
            await analytics.add_unmatched(self.store.engine, texts, self.clock.now().date())
            keep_from = (self.clock.now() - timedelta(days=self.unmatched_days)).date()
            await analytics.purge_unmatched(self.store.engine, keep_from)
            answered = (await analytics.totals(self.store.engine)).by_topic
            self.popular = sorted(answered, key=answered.__getitem__, reverse=True)[:5]
        except Exception:
            self._counts.update(counts)  # keep them for the next flush
            self._unmatched.extend(texts)
            raise

    def is_admin(self, ctx: ChatContext) -> bool:
        return ctx.user_id is not None and ctx.user_id in self.admin_ids

    async def stats(self, args: str, ctx: ChatContext) -> list[Reply] | None:
        if not self.is_admin(ctx):
            return None
        await self.flush()
        answers = await analytics.totals(self.store.engine)
        store = await self.store.stats()
        total = answers.total
        fallback = answers.by_outcome.get("fallback", 0)
        top = sorted(answers.by_topic.items(), key=lambda kv: kv[1], reverse=True)[:5]
        _ = translator(ctx.language).gettext
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(answers.by_outcome.items()))
        share = (
            format_percent(fallback / total, "#,##0.0%", locale=babel_locale(ctx.language))
            if total
            else "-"
        )
        deliveries = ", ".join(f"{k} {v}" for k, v in sorted(store.deliveries.items()))
        lines = [
            _("<b>optout-bot statistics</b> (aggregates only)"),
            _("Chats with stored settings: {count}").format(count=store.chats),
            _("Subscriptions: {active} active, {inactive} inactive").format(
                active=store.active_subscriptions, inactive=store.inactive_subscriptions
            ),
            _("Questions: {count} ({outcomes})").format(count=total, outcomes=outcomes),
            _("Fallback share: {share}").format(share=share),
            _("Top topics: {topics}").format(topics=", ".join(f"{t} ({n})" for t, n in top) or "-"),
            _("Reminders: {deliveries}").format(deliveries=deliveries or _("none yet")),
        ]
        if self.extra_stats is not None:
            lines += ["", escape(await self.extra_stats(ctx.language))]
        return [Reply("\n".join(lines))]

    async def reload(self, args: str, ctx: ChatContext) -> list[Reply] | None:
        if not self.is_admin(ctx):
            return None
        # Reading and building take seconds: in a thread, so other chats get answers meanwhile.
        kb, problems = await asyncio.to_thread(read_knowledge_base, self.faq_dir)
        words = translator(ctx.language)
        _, ngettext = words.gettext, words.ngettext
        if problems:
            shown = "\n".join(f"• {p}" for p in problems[:20])
            more = ""
            if len(problems) > 20:
                more = "\n" + _("… and {count} more").format(count=len(problems) - 20)
            head = ngettext(
                "❌ The FAQ has {count} problem; I kept the running version.",
                "❌ The FAQ has {count} problems; I kept the running version.",
                len(problems),
            ).format(count=len(problems))
            return [Reply(f"{head}\n<code>{escape(shown)}{more}</code>")]
        self.knowledge.replace(await asyncio.to_thread(Knowledge.build, kb))
        if self.on_reload is not None:
            await self.on_reload()
        log.info("knowledge base reloaded: %d topics", len(kb.topics))
        return [
            Reply(
                _(
                    "✅ Reloaded: {topics} topics, {platforms} platforms, {deadlines} deadlines. "
                    "Reminders were rescheduled."
                ).format(
                    topics=len(kb.topics),
                    platforms=len(kb.platforms),
                    deadlines=len(kb.deadlines),
                )
            )
        ]


@dataclass(frozen=True, slots=True)
class UnmatchedGroup:
    example: str
    count: int
    variants: tuple[str, ...]


def group_unmatched(texts: list[str], threshold: float = 75.0) -> list[UnmatchedGroup]:
    """Greedy grouping by similarity: each text joins the first group it resembles."""
    groups: list[tuple[str, list[str]]] = []
    for text in sorted(texts, key=len):
        for head, members in groups:
            if fuzz.token_set_ratio(head, text) >= threshold:
                members.append(text)
                break
        else:
            groups.append((text, [text]))
    out = [
        UnmatchedGroup(head, len(members), tuple(dict.fromkeys(members))[:5])
        for head, members in groups
    ]
    return sorted(out, key=lambda g: g.count, reverse=True)
