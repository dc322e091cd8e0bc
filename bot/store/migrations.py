"""A small versioned migration system, run at start-up.

Why not Alembic: the schema is a dozen small tables, the bot must upgrade itself on a host
where nobody runs commands by hand, and both SQLite and PostgreSQL must work. A numbered list
of steps, applied in one transaction, is enough and easy to test.

Rules:
- Each step is a plain function on a synchronous SQLAlchemy `Connection`. Steps are frozen:
  they never import the current table definitions from `schema.py`, because those
  describe the *latest* schema. A new change is a new step appended to `MIGRATIONS`.
- `schema_version` holds one row per applied step. The whole upgrade (all pending steps and
  their rows) is one transaction: it is applied entirely or not at all.
- Two processes starting at once: on PostgreSQL the transaction first takes a transaction-level
  advisory lock, so the second waits and then finds nothing to do. On SQLite the transaction
  starts with `BEGIN IMMEDIATE` (see `db.make_engine`), which serializes writers the same way.
- A database newer than the code (a rollback of the deploy) is refused rather than guessed at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "ADVISORY_LOCK_KEY",
    "LATEST_VERSION",
    "MIGRATIONS",
    "Migration",
    "SchemaTooNewError",
    "current_version",
    "migrate",
]

log = logging.getLogger(__name__)

# pg_advisory_xact_lock takes a bigint; this one spells "optout" in ASCII.
ADVISORY_LOCK_KEY = 0x6F70746F7574


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer version of the bot than this one."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


_version_metadata = MetaData()
schema_version = Table(
    "schema_version",
    _version_metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime, nullable=False),
)


def _v1_initial(conn: Connection) -> None:
    """Chats, subscriptions with their lead times, checklist ticks, delivery claims."""
    md = MetaData()
    Table(
        "chats",
        md,
        Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
        Column("language", String(16), nullable=False),
        Column("region", String(16), nullable=True),
        Column("timezone", String(64), nullable=True),
    )
    Table(
        "subscriptions",
        md,
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
    Table(
        "subscription_leads",
        md,
        Column(
            "chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False
        ),
        Column("lead_seconds", Integer, nullable=False),
        PrimaryKeyConstraint("chat_id", "lead_seconds"),
    )
    Table(
        "checklist",
        md,
        Column(
            "chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False
        ),
        Column("platform", String(64), nullable=False),
        Column("state", String(8), nullable=False),
        PrimaryKeyConstraint("chat_id", "platform"),
        CheckConstraint("state IN ('done', 'later', 'na')", name="ck_checklist_state"),
    )
    Table(
        "deliveries",
        md,
        Column(
            "chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False
        ),
        Column("deadline_id", String(128), nullable=False),
        Column("lead_seconds", Integer, nullable=False),
        Column("status", String(16), nullable=False),
        Column("claimed_at", DateTime, nullable=False),
        PrimaryKeyConstraint("chat_id", "deadline_id", "lead_seconds"),
    )
    md.create_all(conn, checkfirst=False)


def _v2_attempts_and_leases(conn: Connection) -> None:
    """Delivery attempt counters, lease owner and finish time; indexes for due-chat scans.

    v1 treated a claim as final (at most once). v2 lets a claim abandoned by a crashed process
    be taken over after a lease, which needs to know who holds it (`claimed_by`), how often it
    was claimed (`claims`), how many sends were tried (`attempts`), when it finished and with
    which error class. Rows that v1 had already finished count as one attempt, finished when
    claimed.
    """
    ts = DateTime().compile(dialect=conn.dialect)
    for ddl in (
        "ALTER TABLE deliveries ADD COLUMN claims INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE deliveries ADD COLUMN claimed_by VARCHAR(32)",
        f"ALTER TABLE deliveries ADD COLUMN finished_at {ts}",
        "ALTER TABLE deliveries ADD COLUMN error VARCHAR(64)",
        "CREATE INDEX ix_subscription_leads_lead_chat"
        " ON subscription_leads (lead_seconds, chat_id)",
        # Partial: only open claims, which are few; the anti-join in due_chats uses the PK.
        "CREATE INDEX ix_deliveries_open_claims ON deliveries (deadline_id, lead_seconds)"
        " WHERE status = 'claimed'",
    ):
        conn.execute(text(ddl))
    conn.execute(
        text(
            "UPDATE deliveries SET attempts = 1, finished_at = claimed_at WHERE status <> 'claimed'"
        )
    )


def _v3_operator_tables(conn: Connection) -> None:
    """Aggregate answer counts for /stats, and opt-in unmatched questions for FAQ authors.

    Neither table holds a chat or user id: counts are per day, outcome and topic; an
    unmatched question is its normalised text and the day it was asked.
    """
    md = MetaData()
    Table(
        "answer_counts",
        md,
        Column("day", Date, nullable=False),
        Column("outcome", String(16), nullable=False),
        Column("topic", String(64), nullable=False),  # "" when no topic was answered
        Column("count", Integer, nullable=False),
        PrimaryKeyConstraint("day", "outcome", "topic"),
    )
    Table(
        "unmatched_questions",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("text", String(300), nullable=False),
        Column("day", Date, nullable=False, index=True),
    )
    md.create_all(conn)


def _v4_checkup(conn: Connection) -> None:
    """The privacy checkup: apps a chat uses, re-check nudges, alerts on changes, feedback.

    Per chat: `chat_platforms` (the apps it uses) and `nudges` (period, next due time and its
    round key). Without chat ids: `kb_entries` (the `changed:` dates seen), `alert_rounds`
    (alerts still to send) and `feedback_votes` (counts per day, topic and language). Nudges
    and alerts are delivered through `deliveries` under round keys, so they need no table of
    their own for exactly-once. Apps already ticked done or later count as used.
    """
    md = MetaData()
    # Only the key the foreign keys point at: the table exists since v1 and is not created.
    Table("chats", md, Column("chat_id", BigInteger, primary_key=True))

    def chat_id() -> Column[int]:
        return Column(
            "chat_id", BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), nullable=False
        )

    new_tables = [
        Table(
            "chat_platforms",
            md,
            chat_id(),
            Column("platform", String(64), nullable=False),
            PrimaryKeyConstraint("chat_id", "platform"),
            Index("ix_chat_platforms_platform_chat", "platform", "chat_id"),
        ),
        Table(
            "nudges",
            md,
            chat_id(),
            Column("period_days", Integer, nullable=False),
            Column("active", Boolean, nullable=False),
            Column("next_due_at", DateTime, nullable=False),
            Column("round_key", String(128), nullable=False),
            Column("last_sent_at", DateTime, nullable=True),
            PrimaryKeyConstraint("chat_id"),
            CheckConstraint("period_days BETWEEN 30 AND 365", name="ck_nudges_period"),
            Index("ix_nudges_due", "next_due_at"),
        ),
        Table(
            "feedback_votes",
            md,
            Column("day", Date, nullable=False),
            Column("topic", String(64), nullable=False),
            Column("language", String(16), nullable=False),
            Column("up", Integer, nullable=False),
            Column("down", Integer, nullable=False),
            PrimaryKeyConstraint("day", "topic", "language"),
        ),
        Table(
            "kb_entries",
            md,
            Column("kind", String(16), nullable=False),
            Column("entry_id", String(64), nullable=False),
            Column("changed", Date, nullable=True),
            PrimaryKeyConstraint("kind", "entry_id"),
        ),
        Table(
            "alert_rounds",
            md,
            Column("round_key", String(128), primary_key=True, autoincrement=False),
            Column("kind", String(16), nullable=False),
            Column("entry_id", String(64), nullable=False),
            Column("changed", Date, nullable=True),
            Column("is_new", Boolean, nullable=False),
            Column("created_at", DateTime, nullable=False),
            Column("finished_at", DateTime, nullable=True),
            Column("outcome", String(16), nullable=True),
        ),
    ]
    md.create_all(conn, tables=new_tables, checkfirst=False)
    conn.execute(
        text(
            "INSERT INTO chat_platforms (chat_id, platform)"
            " SELECT chat_id, platform FROM checklist WHERE state IN ('done', 'later')"
        )
    )


def _v5_unchosen_language(conn: Connection) -> None:
    """`chats.language` 'en' that was a default, not a choice, becomes '' (not chosen).

    Since /language exists, '' means "the chat has not chosen" (bot/store/chats.py reads it
    as None): each reply then follows the message's language, else Telegram's language_code,
    else English, and reminders, nudges and alerts go out in English. Before that, the bot had
    no way to choose a language and wrote 'en' into every row, which now reads as a chosen
    English: such a chat would be answered in English whatever it writes in. No release has
    shipped /language, so an 'en' in the table is that default; a chat that does want English
    says so again with /language, and meanwhile English messages are still answered in English.
    Other languages could only have been written by /language, so they stay.
    """
    conn.execute(text("UPDATE chats SET language = '' WHERE language = 'en'"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _v1_initial),
    Migration(2, "delivery attempt counters and leases", _v2_attempts_and_leases),
    Migration(3, "answer counts and unmatched questions", _v3_operator_tables),
    Migration(4, "checkup: apps used, nudges, alerts, feedback", _v4_checkup),
    Migration(
        5, "chats.language: the old 'en' default becomes '' (not chosen)", _v5_unchosen_language
    ),
)
LATEST_VERSION = MIGRATIONS[-1].version


def _check_sequence(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1..N without gaps, got {versions}")


def _read_version(conn: Connection) -> int:
    return int(
        conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one()
    )


def _upgrade(conn: Connection, migrations: Sequence[Migration], goal: int) -> int:
    _version_metadata.create_all(conn, checkfirst=True)
    current = _read_version(conn)
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise SchemaTooNewError(
            f"the database is at schema version {current}, but this code knows only up to "
            f"{latest}; upgrade the bot instead of downgrading it"
        )
    for step in migrations:
        if current < step.version <= goal:
            log.info("database: applying migration %d (%s)", step.version, step.description)
            step.apply(conn)
            conn.execute(
                insert(schema_version).values(
                    version=step.version,
                    description=step.description,
                    applied_at=datetime.now(UTC).replace(tzinfo=None),
                )
            )
            current = step.version
    return current


async def migrate(
    engine: AsyncEngine,
    *,
    target: int | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> int:
    """Bring the schema up to `target` (default: the latest) and return the version reached.

    Idempotent: on an up-to-date database it only takes the lock, reads the version and commits.
    """
    _check_sequence(migrations)
    goal = migrations[-1].version if target is None else target
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
        return await conn.run_sync(_upgrade, migrations, goal)


async def current_version(engine: AsyncEngine) -> int:
    """The schema version of the database, 0 if it was never migrated."""

    def _read(conn: Connection) -> int:
        if not conn.dialect.has_table(conn, "schema_version"):
            return 0
        return _read_version(conn)

    async with engine.connect() as conn:
        return await conn.run_sync(_read)
