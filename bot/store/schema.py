"""The latest schema: everything the bot keeps, and nothing more (what `/privacy` promises).

Per chat:
- `chats`: chat id, language, region, time zone;
- `subscriptions` and `subscription_leads`: whether reminders are on, why they were switched
  off (a short code such as `blocked`), and the lead times in seconds;
- `checklist`: per platform, `done`, `later` or `na`;
- `chat_platforms`: which apps the chat said it uses (platform ids from `/checkup`);
- `nudges`: the re-check nudge: period in days, when the next one is due and its round key,
  when the last one went out, and whether it is active;
- `deliveries`: which reminder (deadline id x lead time), nudge or alert (a round key such as
  `nudge:2027-02-27` or `alert:platform:instagram:2026-12-01`, lead time 0) was claimed, sent,
  skipped or failed, when, how often it was tried, and the error *class* if any.
Without any chat or user id: `answer_counts` (per day, outcome and topic), `feedback_votes`
(👍/👎 counts per day, topic and language), `kb_entries` and `alert_rounds` (which `changed:`
dates of `faq/` entries the bot has seen and which alerts are still to send) and, only when the
operator opts in, `unmatched_questions` (normalised text and day).
Never names, usernames, or anything a user typed stored with their chat.

It must match what `migrations.MIGRATIONS` builds (a test checks that). Timestamps are stored
as naive UTC (`UtcDateTime`) so SQLite and PostgreSQL compare them the same way; the store
takes and returns timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
    text,
)

__all__ = [
    "CHAT_TABLES",
    "CHECK_STATES",
    "CLAIMED",
    "DONE",
    "LATER",
    "MAX_NUDGE_DAYS",
    "MAX_UNMATCHED_TEXT",
    "MIN_NUDGE_DAYS",
    "NOT_FOR_ME",
    "Outcome",
    "UtcDateTime",
    "alert_rounds",
    "answer_counts",
    "chat_platforms",
    "chats",
    "checklist",
    "deliveries",
    "feedback_votes",
    "kb_entries",
    "metadata",
    "nudges",
    "subscription_leads",
    "subscriptions",
    "unmatched_questions",
]

CHECK_STATES: tuple[str, ...] = ("done", "later", "na")
DONE, LATER, NOT_FOR_ME = CHECK_STATES
MIN_NUDGE_DAYS, MAX_NUDGE_DAYS = 30, 365
CLAIMED = "claimed"  # the `status` of a delivery that is claimed and not finished
MAX_UNMATCHED_TEXT = 300


class Outcome(StrEnum):
    """How a claimed delivery ended (the `status` column once it is no longer `claimed`)."""

    SENT = "sent"
    SKIPPED = "skipped"  # nothing left to remind, or no longer subscribed
    FAILED = "failed"  # retries exhausted, payload refused, or lease ran out for good
    DEACTIVATED = "deactivated"  # 403 / chat not found: subscription switched off
    EXPIRED = "expired"  # the deadline passed before it could be sent


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, naive UTC in the database, aware UTC datetimes out."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

chats = Table(
    "chats",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("language", String(16), nullable=False),
    Column("region", String(16), nullable=True),
    Column("timezone", String(64), nullable=True),
)
subscriptions = Table(
    "subscriptions",
    metadata,
    Column(
        "chat_id",
        BigInteger,
        ForeignKey("chats.chat_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("active", Boolean, nullable=False),
    Column("reason", String(32), nullable=True),
)
subscription_leads = Table(
    "subscription_leads",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False),
    Column("lead_seconds", Integer, nullable=False),
    PrimaryKeyConstraint("chat_id", "lead_seconds"),
    Index("ix_subscription_leads_lead_chat", "lead_seconds", "chat_id"),
)
checklist = Table(
    "checklist",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(64), nullable=False),
    Column("state", String(8), nullable=False),
    PrimaryKeyConstraint("chat_id", "platform"),
    CheckConstraint("state IN ('done', 'later', 'na')", name="ck_checklist_state"),
)
deliveries = Table(
    "deliveries",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False),
    Column("deadline_id", String(128), nullable=False),
    Column("lead_seconds", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_at", UtcDateTime, nullable=False),
    Column("claims", Integer, nullable=False, server_default="1"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(32), nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("error", String(64), nullable=True),
    PrimaryKeyConstraint("chat_id", "deadline_id", "lead_seconds"),
    Index(
        "ix_deliveries_open_claims",
        "deadline_id",
        "lead_seconds",
        sqlite_where=text("status = 'claimed'"),
        postgresql_where=text("status = 'claimed'"),
    ),
)
chat_platforms = Table(
    "chat_platforms",
    metadata,
    Column("chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(64), nullable=False),
    PrimaryKeyConstraint("chat_id", "platform"),
    # Alerts look chats up by the platform that changed.
    Index("ix_chat_platforms_platform_chat", "platform", "chat_id"),
)
nudges = Table(
    "nudges",
    metadata,
    Column(
        "chat_id",
        BigInteger,
        ForeignKey("chats.chat_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("period_days", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("next_due_at", UtcDateTime, nullable=False),
    Column("round_key", String(128), nullable=False),
    Column("last_sent_at", UtcDateTime, nullable=True),
    CheckConstraint(
        f"period_days BETWEEN {MIN_NUDGE_DAYS} AND {MAX_NUDGE_DAYS}", name="ck_nudges_period"
    ),
    Index("ix_nudges_due", "next_due_at"),
)
# Child tables first: the order `forget` and `migrate_chat` work in.
CHAT_TABLES: tuple[Table, ...] = (
    deliveries,
    checklist,
    chat_platforms,
    nudges,
    subscription_leads,
    subscriptions,
    chats,
)

answer_counts = Table(
    "answer_counts",
    metadata,
    Column("day", Date, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    PrimaryKeyConstraint("day", "outcome", "topic"),
)
unmatched_questions = Table(
    "unmatched_questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", String(MAX_UNMATCHED_TEXT), nullable=False),
    Column("day", Date, nullable=False, index=True),
)
feedback_votes = Table(
    "feedback_votes",
    metadata,
    Column("day", Date, nullable=False),
    Column("topic", String(64), nullable=False),
    Column("language", String(16), nullable=False),
    Column("up", Integer, nullable=False),
    Column("down", Integer, nullable=False),
    PrimaryKeyConstraint("day", "topic", "language"),
)
kb_entries = Table(
    "kb_entries",
    metadata,
    Column("kind", String(16), nullable=False),  # "platform" or "deadline"
    Column("entry_id", String(64), nullable=False),
    Column("changed", Date, nullable=True),  # the entry's `changed:` date, if any
    PrimaryKeyConstraint("kind", "entry_id"),
)
alert_rounds = Table(
    "alert_rounds",
    metadata,
    Column("round_key", String(128), primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("entry_id", String(64), nullable=False),
    Column("changed", Date, nullable=True),
    Column("is_new", Boolean, nullable=False),  # the entry itself is new, not just changed
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("outcome", String(16), nullable=True),  # "done", "superseded" or "dropped"
)
