"""👍 / 👎 under answers: counts per day, topic and language, and nothing else.

No chat or user id is written with a vote, so a vote cannot be traced to anyone and `/forget`
has nothing to delete here. A tap adds one to a counter with a single
`INSERT ... ON CONFLICT DO UPDATE`, atomic on both databases: concurrent taps never lose a
count, and there is no read-then-write race.

`FeedbackQueries` is one part of `Store` (see repository.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from bot.store.chats import check_short
from bot.store.db import Database
from bot.store.schema import feedback_votes

__all__ = ["FeedbackQueries", "VoteCount"]


@dataclass(frozen=True, slots=True)
class VoteCount:
    topic: str
    language: str
    up: int
    down: int


class FeedbackQueries:
    _db: Database

    async def record_vote(self, topic: str, language: str, day: date, helpful: bool) -> None:
        """Count one 👍 (`helpful`) or 👎 for a topic's answer in a language on a day."""
        check_short("topic", topic, 64)
        check_short("language", language, 16)
        up, down = (1, 0) if helpful else (0, 1)
        stmt = self._db.insert(feedback_votes).values(
            day=day, topic=topic, language=language, up=up, down=down
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[
                feedback_votes.c.day,
                feedback_votes.c.topic,
                feedback_votes.c.language,
            ],
            set_={
                "up": feedback_votes.c.up + stmt.excluded.up,
                "down": feedback_votes.c.down + stmt.excluded.down,
            },
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)

    async def vote_counts(
        self, *, since: date | None = None, until: date | None = None
    ) -> list[VoteCount]:
        """Votes per topic and language, summed over the days in [since, until]."""
        stmt = select(
            feedback_votes.c.topic,
            feedback_votes.c.language,
            func.sum(feedback_votes.c.up),
            func.sum(feedback_votes.c.down),
        ).group_by(feedback_votes.c.topic, feedback_votes.c.language)
        if since is not None:
            stmt = stmt.where(feedback_votes.c.day >= since)
        if until is not None:
            stmt = stmt.where(feedback_votes.c.day <= until)
        stmt = stmt.order_by(feedback_votes.c.topic, feedback_votes.c.language)
        async with self._db.read() as conn:
            return [
                VoteCount(topic, language, int(up), int(down))
                for topic, language, up, down in await conn.execute(stmt)
            ]
