"""The storage layer, on a SQLite file and on PostgreSQL (see tests/support/store_fixtures.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy

from bot.store.db import WriterQueue, database_url_from, make_engine
from bot.store.repository import (
    ChatSettings,
    DeliveryResult,
    Outcome,
    Store,
    Subscription,
    deliveries,
    metadata,
)
from tests.support.store_fixtures import (
    Backend,
    backend_fixture,  # noqa: F401 - fixture
    bulk_subscribe,
    rows_per_table,
    store_fixture,  # noqa: F401 - fixture
    table_columns,
)
from tests.support.store_helpers import StoreForTests

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = 86400

# -- database_url_from / make_engine (no database needed) --------------------------------


def test_url_defaults_to_sqlite_file_and_creates_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    url = database_url_from(None, data_dir)
    assert data_dir.is_dir()
    assert url == f"sqlite+aiosqlite:///{(data_dir / 'optout.sqlite3').resolve()}"
    assert database_url_from("   ", data_dir) == url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/d1", "postgresql+asyncpg://u:p@db.example:5432/d1"),
        ("postgresql://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
        (
            "postgres://u:p@h:5432/d?sslmode=require",
            "postgresql+asyncpg://u:p@h:5432/d?ssl=require",
        ),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
    ],
)
def test_url_accepts_heroku_and_sqlalchemy_forms(tmp_path: Path, given: str, expected: str) -> None:
    assert database_url_from(given, tmp_path / "unused") == expected
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize("given", ["mysql://u@h/d", "redis://h", "http://x", "just-a-path.db"])
def test_url_rejects_other_schemes_saying_what_is_expected(tmp_path: Path, given: str) -> None:
    with pytest.raises(ValueError, match=r"postgres://.*sqlite"):
        database_url_from(given, tmp_path)


def test_url_error_does_not_echo_a_password(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as info:
        database_url_from("mysql://user:s3cret@h/d", tmp_path)
    assert "s3cret" not in str(info.value)


async def test_sqlite_engine_uses_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        async with engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one()
            busy = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
    finally:
        await engine.dispose()
    assert (mode, fks) == ("wal", 1)
    assert busy >= 1000


# -- settings -------------------------------------------------------------------------------


async def test_unknown_chat_gets_defaults_without_a_row(
    store: StoreForTests, backend: Backend
) -> None:
    assert await store.get_settings(42) == ChatSettings(42, None, None, None)
    assert await store.get_subscription(42) is None
    assert await store.get_checklist(42) == {}
    assert set((await rows_per_table(store.engine, 42)).values()) == {0}


async def test_settings_round_trip(store: StoreForTests) -> None:
    await store.set_language(7, "de")
    await store.set_region(7, "ch")
    await store.set_timezone(7, "Europe/Zurich")
    assert await store.get_settings(7) == ChatSettings(7, "de", "ch", "Europe/Zurich")
    await store.set_region(7, None)
    await store.set_timezone(7, None)
    assert await store.get_settings(7) == ChatSettings(7, "de", None, None)
    assert await store.get_settings(8) == ChatSettings(8)  # other chats untouched


async def test_language_is_none_until_chosen_and_can_be_forgotten(store: StoreForTests) -> None:
    await store.set_region(9, "eu")  # a row for the chat, with no language chosen
    assert (await store.get_settings(9)).language is None
    assert (await store.delivery_context(9)).settings.language is None
    await store.set_language(9, "pt")
    assert await store.get_settings(9) == ChatSettings(9, "pt", "eu", None)
    assert (await store.delivery_context(9)).settings.language == "pt"
    await store.set_language(9, None)
    assert await store.get_settings(9) == ChatSettings(9, None, "eu", None)
    await store.set_language(10, "de")  # a chat never seen before
    assert (await store.get_settings(10)).language == "de"
    for bad in ("xx", "EN", "", "pt-br"):
        with pytest.raises(ValueError, match="language must be one of"):
            await store.set_language(9, bad)
    assert (await store.get_settings(9)).language is None


@pytest.mark.parametrize(
    ("method", "value"),
    [
        ("set_region", "mars"),
        ("set_timezone", "Europe/Berln"),
        ("set_timezone", "../../etc/passwd"),
    ],
)
async def test_invalid_settings_are_refused(store: StoreForTests, method: str, value: str) -> None:
    with pytest.raises(ValueError):
        await getattr(store, method)(1, value)
    assert await store.get_settings(1) == ChatSettings(1)


async def test_chat_ids_beyond_32_bits(store: StoreForTests) -> None:
    supergroup = -1001234567890
    await store.set_region(supergroup, "eu")
    await store.subscribe(supergroup, [DAY])
    assert (await store.get_settings(supergroup)).region == "eu"
    assert await store.due_chats("dl", DAY, ["eu"]) == [supergroup]


# -- subscription ---------------------------------------------------------------------------


async def test_subscribe_replace_unsubscribe(store: StoreForTests) -> None:
    sub = await store.subscribe(5, [3600, 3 * DAY, DAY])
    assert sub == Subscription(5, True, (3 * DAY, DAY, 3600), None)
    assert await store.get_subscription(5) == sub
    await store.subscribe(5, [7200])
    assert await store.get_subscription(5) == Subscription(5, True, (7200,), None)
    assert await store.lead_times_in_use() == (7200,)
    assert await store.unsubscribe(5) is True
    assert await store.get_subscription(5) is None
    assert await store.unsubscribe(5) is False
    assert await store.lead_times_in_use() == ()


@pytest.mark.parametrize("leads", [[], [0], [-5], [60, 60], [1.5]])
async def test_subscribe_validates_lead_times(store: StoreForTests, leads: list[int]) -> None:
    with pytest.raises(ValueError):
        await store.subscribe(1, leads)
    assert await store.get_subscription(1) is None


async def test_deactivate_keeps_lead_times_and_resubscribe_reactivates(
    store: StoreForTests,
) -> None:
    await store.subscribe(9, [DAY])
    assert await store.deactivate(9, "blocked") is True
    assert await store.get_subscription(9) == Subscription(9, False, (DAY,), "blocked")
    assert await store.due_chats("dl", DAY, ["eu"]) == []
    assert await store.lead_times_in_use() == ()
    await store.subscribe(9, [DAY])
    assert await store.get_subscription(9) == Subscription(9, True, (DAY,), None)
    assert await store.deactivate(12345, "blocked") is False


# -- checklist ------------------------------------------------------------------------------


async def test_checklist(store: StoreForTests) -> None:
    await store.set_check(3, "meta", "later")
    await store.set_check(3, "linkedin", "na")
    await store.set_check(3, "meta", "done")
    assert await store.get_checklist(3) == {"linkedin": "na", "meta": "done"}
    assert await store.clear_check(3, "linkedin") is True
    assert await store.get_checklist(3) == {"meta": "done"}
    with pytest.raises(ValueError):
        await store.set_check(3, "meta", "maybe")
    assert await store.get_checklist(3) == {"meta": "done"}


# -- forget ---------------------------------------------------------------------------------


async def _populate(db: StoreForTests, chat_id: int) -> None:
    await db.set_language(chat_id, "fr")
    await db.set_region(chat_id, "eu")
    await db.set_timezone(chat_id, "Europe/Paris")
    await db.subscribe(chat_id, [DAY, 3600])
    await db.set_check(chat_id, "meta", "done")
    await db.set_check(chat_id, "linkedin", "later")
    assert await db.claim_delivery(chat_id, "dl-a", DAY, owner="w", now=T0)
    await db.record_delivery_result(chat_id, "dl-a", DAY, Outcome.SENT, owner="w", now=T0)
    assert await db.claim_delivery(chat_id, "dl-a", 3600, owner="w", now=T0)  # pending
    await db.set_platforms(chat_id, ["facebook", "linkedin"])
    await db.set_nudge(chat_id, 90, T0 + timedelta(days=90))
    assert await db.claim_delivery(chat_id, "nudge:2026-03-01", 0, owner="w", now=T0)


async def test_forget_leaves_no_row_for_that_chat_in_any_table(store: StoreForTests) -> None:
    await _populate(store, 100)
    await _populate(store, 200)
    before = await rows_per_table(store.engine, 100)
    # Every table that has a chat_id holds something for chat 100, so the check below bites.
    assert set(before) == {
        "chats",
        "subscriptions",
        "subscription_leads",
        "checklist",
        "chat_platforms",
        "nudges",
        "deliveries",
    }
    assert all(n > 0 for n in before.values()), before

    await store.forget(100)

    assert await rows_per_table(store.engine, 100) == dict.fromkeys(before, 0)
    assert await rows_per_table(store.engine, 200) == before  # the other chat is intact
    assert await store.get_settings(100) == ChatSettings(100)
    await store.forget(100)  # idempotent


async def test_no_message_text_is_stored(store: StoreForTests) -> None:
    """The schema holds exactly the documented columns: nothing like message text."""
    columns = await table_columns(store.engine)
    assert columns.pop("schema_version") == {"version", "description", "applied_at"}
    assert columns == {
        "chats": {"chat_id", "language", "region", "timezone"},
        "subscriptions": {"chat_id", "active", "reason"},
        "subscription_leads": {"chat_id", "lead_seconds"},
        "checklist": {"chat_id", "platform", "state"},
        "deliveries": {
            "chat_id",
            "deadline_id",
            "lead_seconds",
            "status",
            "claimed_at",
            "claims",
            "attempts",
            "claimed_by",
            "finished_at",
            "error",
        },
        # Aggregates without any chat id; question text only when the operator opts in
        # (LOG_UNMATCHED), and then never with a chat or user id.
        "answer_counts": {"day", "outcome", "topic", "count"},
        "unmatched_questions": {"id", "text", "day"},
        # The checkup: apps used and the nudge schedule per chat; votes and the `changed:`
        # dates seen without any chat id.
        "chat_platforms": {"chat_id", "platform"},
        "nudges": {
            "chat_id",
            "period_days",
            "active",
            "next_due_at",
            "round_key",
            "last_sent_at",
        },
        "feedback_votes": {"day", "topic", "language", "up", "down"},
        "kb_entries": {"kind", "entry_id", "changed"},
        "alert_rounds": {
            "round_key",
            "kind",
            "entry_id",
            "changed",
            "is_new",
            "created_at",
            "finished_at",
            "outcome",
        },
    }
    assert columns == {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}


# -- migrate_chat ---------------------------------------------------------------------------


async def test_migrate_chat_moves_everything(store: StoreForTests) -> None:
    await _populate(store, -55)
    assert await store.migrate_chat(-55, -10055) is True
    assert set((await rows_per_table(store.engine, -55)).values()) == {0}
    assert await store.get_settings(-10055) == ChatSettings(-10055, "fr", "eu", "Europe/Paris")
    assert await store.get_subscription(-10055) == Subscription(-10055, True, (DAY, 3600), None)
    assert await store.get_checklist(-10055) == {"linkedin": "later", "meta": "done"}
    sent = await store.get_delivery(-10055, "dl-a", DAY)
    assert sent is not None and sent.status == "sent"
    pending = await store.get_delivery(-10055, "dl-a", 3600)
    assert pending is not None and pending.status == "claimed" and pending.claimed_by == "w"
    assert await store.get_platforms(-10055) == ("facebook", "linkedin")
    nudge = await store.get_nudge(-10055)
    assert nudge is not None and nudge.period_days == 90
    assert await store.get_delivery(-10055, "nudge:2026-03-01", 0) is not None
    assert await store.migrate_chat(-55, -10055) is False  # nothing left under the old id


async def test_migrate_chat_into_existing_chat_keeps_the_new_ids_rows(store: StoreForTests) -> None:
    await _populate(store, -66)
    await store.set_language(-10066, "de")
    await store.subscribe(-10066, [7200])
    await store.set_check(-10066, "meta", "na")
    await store.set_platforms(-10066, ["linkedin", "x"])
    await store.set_nudge(-10066, 30, T0 + timedelta(days=30))
    assert await store.migrate_chat(-66, -10066)
    assert await store.get_settings(-10066) == ChatSettings(-10066, "de", None, None)
    assert await store.get_subscription(-10066) == Subscription(-10066, True, (7200,), None)
    assert await store.get_checklist(-10066) == {"linkedin": "later", "meta": "na"}
    assert await store.get_platforms(-10066) == ("facebook", "linkedin", "x")
    nudge = await store.get_nudge(-10066)
    assert nudge is not None and nudge.period_days == 30
    assert set((await rows_per_table(store.engine, -66)).values()) == {0}


# -- claims and deliveries ------------------------------------------------------------------


async def test_claim_is_unique_per_chat_deadline_and_lead(store: StoreForTests) -> None:
    await store.subscribe(1, [DAY, 3600])
    assert await store.claim_delivery(1, "dl", DAY, owner="a", now=T0) is True
    assert await store.claim_delivery(1, "dl", DAY, owner="b", now=T0) is False
    assert await store.claim_delivery(1, "dl", 3600, owner="b", now=T0) is True
    assert await store.claim_delivery(1, "other", DAY, owner="b", now=T0) is True


async def test_claim_for_a_forgotten_chat_is_refused(store: StoreForTests) -> None:
    assert await store.claim_delivery(999, "dl", DAY, owner="a", now=T0) is False


async def test_concurrent_claims_from_two_engines_have_one_winner(backend: Backend) -> None:
    first = await backend.store()
    second = await backend.store()
    await bulk_subscribe(first, range(1, 21), [DAY])

    async def claim(s: StoreForTests, chat_id: int, owner: str) -> bool:
        return await s.claim_delivery(chat_id, "dl", DAY, owner=owner, now=T0)

    results = await asyncio.gather(
        *(claim(s, chat, f"o{i}") for chat in range(1, 21) for i, s in enumerate([first, second]))
    )
    per_chat = [results[i : i + 2] for i in range(0, len(results), 2)]
    assert all(sorted(pair) == [False, True] for pair in per_chat), per_chat


async def test_record_result_only_by_the_holder(store: StoreForTests) -> None:
    await store.subscribe(1, [DAY])
    assert await store.claim_delivery(1, "dl", DAY, owner="a", now=T0)
    assert not await store.record_delivery_result(1, "dl", DAY, "sent", owner="b", now=T0)
    assert await store.record_delivery_result(
        1,
        "dl",
        DAY,
        "failed",
        owner="a",
        attempts=4,
        error="TimedOut",
        now=T0 + timedelta(seconds=9),
    )
    record = await store.get_delivery(1, "dl", DAY)
    assert record is not None
    assert (record.status, record.attempts, record.error, record.claims) == (
        "failed",
        4,
        "TimedOut",
        1,
    )
    assert record.claimed_at == T0 and record.finished_at == T0 + timedelta(seconds=9)
    # A finished delivery is final.
    assert not await store.record_delivery_result(1, "dl", DAY, "sent", owner="a", now=T0)
    with pytest.raises(ValueError):
        await store.record_delivery_result(1, "dl", DAY, "delivered-ish", now=T0)


async def test_stale_claim_is_taken_over_once_then_closed(store: StoreForTests) -> None:
    await store.subscribe(1, [DAY])
    lease = timedelta(minutes=2)
    assert await store.claim_delivery(1, "dl", DAY, owner="crashed", now=T0)
    now = T0 + timedelta(minutes=1)
    # Within the lease: neither due nor claimable.
    assert await store.due_chats("dl", DAY, ["eu"], stale_before=now - lease) == []
    assert not await store.claim_delivery(
        1, "dl", DAY, owner="b", now=now, stale_before=now - lease
    )
    # After the lease: due again, and exactly one taker.
    now = T0 + timedelta(minutes=3)
    assert await store.due_chats("dl", DAY, ["eu"], stale_before=now - lease) == [1]
    assert await store.claim_delivery(1, "dl", DAY, owner="b", now=now, stale_before=now - lease)
    assert not await store.claim_delivery(
        1, "dl", DAY, owner="c", now=now, stale_before=now - lease
    )
    record = await store.get_delivery(1, "dl", DAY)
    assert record is not None and (record.claimed_by, record.claims) == ("b", 2)
    # The original holder cannot record any more; the new one can renew.
    assert not await store.record_delivery_result(1, "dl", DAY, "sent", owner="crashed", now=now)
    assert not await store.renew_claim(1, "dl", DAY, owner="crashed", now=now)
    assert await store.renew_claim(1, "dl", DAY, owner="b", now=now)
    # "b" crashes too: max_claims=2 reached, so it is not offered again ...
    now = T0 + timedelta(minutes=10)
    assert await store.due_chats("dl", DAY, ["eu"], stale_before=now - lease) == []
    assert not await store.claim_delivery(
        1, "dl", DAY, owner="d", now=now, stale_before=now - lease
    )
    assert [c.chat_id for c in await store.open_claims("dl", DAY)] == [1]
    # ... and is closed as failed.
    assert await store.close_abandoned_claims("dl", DAY, stale_before=now - lease, now=now) == 1
    assert await store.open_claims("dl", DAY) == []
    record = await store.get_delivery(1, "dl", DAY)
    assert record is not None and (record.status, record.error) == ("failed", "lease_expired")


async def test_due_chats_filters_region_activity_lead_and_claims(store: StoreForTests) -> None:
    await store.subscribe(1, [DAY])  # region unset: applies
    await store.subscribe(2, [DAY])
    await store.set_region(2, "eu")
    await store.subscribe(3, [DAY])
    await store.set_region(3, "br")  # not an EU deadline
    await store.subscribe(4, [3600])  # other lead time
    await store.subscribe(5, [DAY, 3600])
    await store.deactivate(5, "blocked")
    await store.subscribe(6, [DAY])
    await store.claim_delivery(6, "dl", DAY, owner="x", now=T0)  # already claimed
    await store.set_region(7, "eu")  # settings but no subscription
    await store.subscribe(8, [DAY])
    await store.claim_delivery(8, "other-deadline", DAY, owner="x", now=T0)

    assert await store.due_chats("dl", DAY, ["eu", "uk"]) == [1, 2, 8]
    assert await store.due_chats("dl", DAY, ["br"]) == [1, 3, 8]
    assert await store.due_chats("dl", DAY, []) == [1, 8]
    assert await store.due_chats("dl", 3600, ["eu"]) == [4]
    assert await store.count_subscribers_by_lead(["eu"]) == {DAY: 4, 3600: 1}  # 1, 2, 6, 8; 4
    assert await store.lead_times_in_use() == (DAY, 3600)


async def test_due_chats_keyset_pagination_streams_everyone_once(store: StoreForTests) -> None:
    ids = [-1000000000123, -5, *range(1, 2600, 1)]
    await bulk_subscribe(store, ids, [DAY], region="eu")
    seen: list[int] = []
    after: int | None = None
    batches = 0
    while True:
        batch = await store.due_chats("dl", DAY, ["eu"], after_chat_id=after, limit=1000)
        if not batch:
            break
        assert len(batch) <= 1000
        batches += 1
        seen.extend(batch)
        after = batch[-1]
    assert seen == sorted(ids)
    assert batches == 3


async def test_stats_are_aggregates(store: StoreForTests) -> None:
    await _populate(store, 1)
    await _populate(store, 2)
    await store.deactivate(2, "blocked")
    await store.set_language(3, "en")
    stats = await store.stats()
    assert (stats.chats, stats.active_subscriptions, stats.inactive_subscriptions) == (3, 1, 1)
    assert stats.checklist == {"done": 2, "later": 2}
    assert stats.deliveries == {"sent": 2, "claimed": 4}  # a reminder and a nudge each


async def test_store_open_migrates_and_closes(backend: Backend) -> None:
    async with await Store.open(backend.url, connect_args=dict(backend.connect_args)) as db:
        await db.subscribe(1, [DAY])
    async with await Store.open(backend.url, connect_args=dict(backend.connect_args)) as again:
        assert await again.get_subscription(1) == Subscription(1, True, (DAY,), None)


async def test_due_chats_looks_past_long_stretches_of_finished_chats(store: StoreForTests) -> None:
    """Most chats already done: the batch is still filled from further along the index."""
    await bulk_subscribe(store, range(1, 3001), [DAY], region="eu")
    keep = {700, 1400, 2100, 2800}
    async with store.engine.begin() as conn:
        await conn.execute(
            deliveries.insert(),
            [
                {
                    "chat_id": c,
                    "deadline_id": "dl",
                    "lead_seconds": DAY,
                    "status": "sent",
                    "claimed_at": T0,
                }
                for c in range(1, 3001)
                if c not in keep
            ],
        )
    await store.analyze()
    assert await store.due_chats("dl", DAY, ["eu"], limit=3) == [700, 1400, 2100]
    assert await store.due_chats("dl", DAY, ["eu"], after_chat_id=2100, limit=3) == [2800]
    assert await store.due_chats("dl", DAY, ["eu"], after_chat_id=2800, limit=3) == []
    assert await store.due_chats("dl", DAY, ["eu"], limit=0) == []


async def test_claim_deliveries_in_batches(store: StoreForTests) -> None:
    await bulk_subscribe(store, range(1, 7), [DAY])
    assert await store.claim_deliveries([3, 1, 2], "dl", DAY, owner="a", now=T0) == [1, 2, 3]
    assert await store.claim_deliveries([2, 3, 4, 5], "dl", DAY, owner="b", now=T0) == [4, 5]
    # A forgotten chat in the chunk does not spoil the others.
    assert await store.claim_deliveries([6, 99], "dl", DAY, owner="b", now=T0) == [6]
    assert await store.claim_deliveries([], "dl", DAY, owner="b", now=T0) == []
    records = [await store.get_delivery(c, "dl", DAY) for c in range(1, 7)]
    assert [r.claimed_by if r else None for r in records] == ["a", "a", "a", "b", "b", "b"]


async def test_concurrent_batch_claims_split_the_chats(backend: Backend) -> None:
    stores = [await backend.store() for _ in range(3)]
    await bulk_subscribe(stores[0], range(1, 101), [DAY])
    chunks = [list(range(start, start + 20)) for start in range(1, 101, 10)]  # overlapping

    async def claim(i: int, chunk: list[int]) -> list[int]:
        return await stores[i % 3].claim_deliveries(chunk, "dl", DAY, owner=f"o{i}", now=T0)

    won = await asyncio.gather(*(claim(i, chunk) for i, chunk in enumerate(chunks)))
    flat = [chat for chats_won in won for chat in chats_won]
    assert sorted(flat) == list(range(1, 101))  # every chat claimed exactly once


async def test_release_claims_gives_back_only_untouched_claims_of_ours(
    store: StoreForTests,
) -> None:
    await bulk_subscribe(store, range(1, 5), [DAY])
    lease = timedelta(minutes=2)
    assert await store.claim_deliveries([1, 2, 3], "dl", DAY, owner="a", now=T0) == [1, 2, 3]
    assert await store.claim_delivery(4, "dl", DAY, owner="crashed", now=T0)
    later = T0 + timedelta(minutes=5)
    assert await store.claim_delivery(
        4, "dl", DAY, owner="a", now=later, stale_before=later - lease
    )
    await store.record_delivery_result(3, "dl", DAY, "sent", owner="a", now=later)

    assert await store.release_claims([1, 3, 4], "dl", DAY, owner="b") == 0  # not b's
    assert await store.release_claims([1, 3, 4], "dl", DAY, owner="a") == 2  # 3 is finished
    assert await store.get_delivery(1, "dl", DAY) is None  # fresh claim: gone
    taken = await store.get_delivery(4, "dl", DAY)
    assert taken is not None and (taken.status, taken.claims) == ("claimed", 1)
    # ... and immediately available to the next run, which takes it over once more.
    now = later + timedelta(seconds=1)
    second = await store.get_delivery(2, "dl", DAY)
    assert second is not None and second.status == "claimed"  # not released: not asked
    # 1 (released) and 4 (handed back) are due at once; 2 only because its lease ran out.
    assert await store.due_chats("dl", DAY, ["eu"], stale_before=now - lease) == [1, 2, 4]
    assert await store.due_chats("dl", DAY, ["eu"], stale_before=T0) == [1, 4]


async def test_delivery_contexts_read_several_chats_at_once(store: StoreForTests) -> None:
    await store.subscribe(1, [3600, DAY])
    await store.set_check(1, "meta", "done")
    await store.set_language(2, "pt")
    contexts = await store.delivery_contexts([1, 2, 3])
    assert contexts[1].subscription == Subscription(1, True, (DAY, 3600), None)
    assert contexts[1].checklist == {"meta": "done"}
    assert contexts[2].settings == ChatSettings(2, "pt") and contexts[2].subscription is None
    assert contexts[3].settings == ChatSettings(3) and contexts[3].checklist == {}
    assert await store.delivery_contexts([]) == {}


async def test_record_results_in_one_transaction(store: StoreForTests) -> None:
    await bulk_subscribe(store, [1, 2, 3], [DAY])
    await store.claim_deliveries([1, 3], "dl", DAY, owner="a", now=T0)
    await store.claim_delivery(2, "dl", DAY, owner="b", now=T0)
    results = [
        DeliveryResult(1, "dl", DAY, Outcome.SENT, 1),
        DeliveryResult(2, "dl", DAY, Outcome.SENT, 1),  # b's claim: not ours to close
        DeliveryResult(3, "dl", DAY, Outcome.FAILED, 4, "TimedOut"),
    ]
    assert await store.record_delivery_results(results, owner="a", now=T0) == [True, False, True]
    assert (await store.stats()).deliveries == {"sent": 1, "failed": 1, "claimed": 1}


async def test_grouped_results_keep_each_rows_own_values(store: StoreForTests) -> None:
    """Results are written grouped by (deadline, lead, outcome, attempts, error): check
    that every row still gets exactly its own values, across groups and rounds."""
    await bulk_subscribe(store, range(1, 7), [DAY, 3600])
    await store.claim_deliveries([1, 2, 3, 4], "dl", DAY, owner="a", now=T0)
    await store.claim_deliveries([5, 6], "dl", 3600, owner="a", now=T0)
    await store.claim_deliveries([1], "other", DAY, owner="a", now=T0)
    later = T0 + timedelta(minutes=5)
    results = [
        DeliveryResult(1, "dl", DAY, Outcome.SENT, 1),
        DeliveryResult(2, "dl", DAY, Outcome.SENT, 2),  # same outcome, other attempts
        DeliveryResult(3, "dl", DAY, Outcome.FAILED, 4, "TimedOut"),
        DeliveryResult(4, "dl", DAY, Outcome.FAILED, 4, "NetworkError"),
        DeliveryResult(5, "dl", 3600, Outcome.SENT, 1),  # other lead time
        DeliveryResult(6, "dl", 3600, Outcome.DEACTIVATED, 1, "Forbidden"),
        DeliveryResult(1, "other", DAY, Outcome.SKIPPED, 0),  # other deadline, same chat
    ]
    assert await store.record_delivery_results(results, owner="a", now=later) == [True] * 7
    for r in results:
        row = await store.get_delivery(r.chat_id, r.deadline_id, r.lead_seconds)
        assert row is not None
        assert (row.status, row.attempts, row.error) == (r.outcome.value, r.attempts, r.error)
        assert row.finished_at == later
    # Recording again finds no open claim: nothing changes.
    assert await store.record_delivery_results(results[:2], owner="a", now=later) == [
        False,
        False,
    ]


async def test_the_same_claim_twice_in_one_batch_is_recorded_once(store: StoreForTests) -> None:
    await bulk_subscribe(store, [1, 2], [DAY])
    await store.claim_deliveries([1, 2], "dl", DAY, owner="a", now=T0)
    results = [
        DeliveryResult(1, "dl", DAY, Outcome.SENT, 1),
        DeliveryResult(1, "dl", DAY, Outcome.FAILED, 3, "TimedOut"),
        DeliveryResult(2, "dl", DAY, Outcome.SENT, 1),
    ]
    # Without an owner, any open claim may be closed.
    assert await store.record_delivery_results(results) == [True, False, True]
    row = await store.get_delivery(1, "dl", DAY)
    assert row is not None and (row.status, row.attempts) == ("sent", 1)


FORGOTTEN = (
    "the chat's data was deleted during the round (/forget, or the group moved to a new chat id)"
)


def _store_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("bot.store")]


async def test_a_result_for_a_forgotten_chat_is_logged_as_deleted_not_taken_over(
    store: StoreForTests, caplog: pytest.LogCaptureFixture
) -> None:
    """`/forget` during a round deletes the claim with the chat: the log says so."""
    await bulk_subscribe(store, [1, 2, 3], [DAY])
    await store.claim_deliveries([1, 2, 3], "dl", DAY, owner="a", now=T0)
    await store.forget(1)
    later = T0 + timedelta(minutes=5)
    assert await store.claim_delivery(
        2, "dl", DAY, owner="b", now=later, stale_before=later - timedelta(minutes=2)
    )
    results = [DeliveryResult(chat, "dl", DAY, Outcome.SENT) for chat in (1, 2, 3)]
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        recorded = await store.record_delivery_results(results, owner="a", now=later)
    assert recorded == [False, False, True]
    assert _store_warnings(caplog) == [
        f"delivery dl (lead {DAY} s): result not recorded, {FORGOTTEN}",
        f"delivery dl (lead {DAY} s): result not recorded, the claim was taken over",
    ]


async def test_a_lease_lost_to_forget_and_a_closed_claim_are_logged_as_such(
    store: StoreForTests, caplog: pytest.LogCaptureFixture
) -> None:
    await bulk_subscribe(store, [1, 2], [DAY])
    await store.claim_deliveries([1, 2], "dl", DAY, owner="a", now=T0)
    await store.forget(1)
    twice = [
        DeliveryResult(2, "dl", DAY, Outcome.SENT, 1),
        DeliveryResult(2, "dl", DAY, Outcome.FAILED, 3, "TimedOut"),
    ]
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        assert not await store.renew_claim(1, "dl", DAY, owner="a", now=T0)
        assert await store.renew_claim(2, "dl", DAY, owner="a", now=T0)
        assert await store.record_delivery_results(twice, owner="a", now=T0) == [True, False]
    assert _store_warnings(caplog) == [
        f"delivery dl (lead {DAY} s): lease not renewed, {FORGOTTEN}",
        f"delivery dl (lead {DAY} s): result not recorded, the delivery was already closed as sent",
    ]


async def test_count_by_lead_agrees_with_counting_each_lead(store: StoreForTests) -> None:
    await bulk_subscribe(store, range(1, 11), [DAY, 3600], region="eu")
    await bulk_subscribe(store, range(11, 16), [DAY], region="br")
    await bulk_subscribe(store, range(16, 19), [7 * DAY, DAY])  # region unset: applies
    await store.deactivate(2, "blocked")
    await store.unsubscribe(3)
    by_lead = await store.count_subscribers_by_lead(["eu", "ch"])
    assert by_lead == {DAY: 8 + 3, 3600: 8, 7 * DAY: 3}
    for regions in (["eu", "ch"], ["br"], []):
        by_lead = await store.count_subscribers_by_lead(regions)
        for lead in (DAY, 3600, 7 * DAY, 2 * DAY):
            assert by_lead.get(lead, 0) == await store.count_subscribers(lead, regions)


async def test_sqlite_reads_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}"
    async with await Store.open(url) as store:
        await store.subscribe(1, [DAY])
        other = make_engine(url)
        try:
            async with other.begin() as conn:  # another process holds the write lock
                await conn.exec_driver_sql("UPDATE chats SET language = 'de'")
                settings = await asyncio.wait_for(store.get_settings(1), timeout=2)
                assert settings.language is None  # the committed snapshot
                assert await asyncio.wait_for(store.due_chats("dl", DAY, ["eu"]), 2) == [1]
        finally:
            await other.dispose()
        assert (await store.get_settings(1)).language == "de"


async def test_sqlite_writer_queue_serves_urgent_writers_first() -> None:
    queue = WriterQueue()
    order: list[str] = []
    release = asyncio.Event()

    async def writer(name: str, urgent: bool) -> None:
        async with queue.turn(urgent):
            order.append(name)
            if name == "holder":
                await release.wait()

    holder = asyncio.create_task(writer("holder", False))
    await asyncio.sleep(0)
    waiting = [
        asyncio.create_task(writer(name, urgent))
        for name, urgent in [("claim1", False), ("result1", True), ("claim2", False)]
    ]
    cancelled = asyncio.create_task(writer("cancelled", True))
    await asyncio.sleep(0)
    cancelled.cancel()  # a writer that gives up while queued must not block the others
    last = asyncio.create_task(writer("result2", True))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, *waiting, last)
    assert order == ["holder", "result1", "result2", "claim1", "claim2"]
    # Results go first, but at most twice in a row while a claim waits.
    order.clear()
    release.clear()
    holder = asyncio.create_task(writer("holder", False))
    await asyncio.sleep(0)
    queued = [asyncio.create_task(writer("claim", False))] + [
        asyncio.create_task(writer(f"result{k}", True)) for k in range(4)
    ]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, *queued)
    assert order == ["holder", "result0", "result1", "claim", "result2", "result3"]
    async with queue.turn():  # free again
        pass


async def test_recording_results_finds_the_rows_by_primary_key(store: StoreForTests) -> None:
    """Not through the partial index of open claims, which holds every claim of the round.

    PostgreSQL's planner picks that index when its statistics (taken at the start of a round,
    as `analyze` does) say few claims are open, unless the statements prevent it; each UPDATE
    would then read all claims taken so far and their dead versions.
    """
    await bulk_subscribe(store, range(1, 2001), [DAY])
    await store.analyze()  # statistics from before the round: no delivery rows yet
    await store.claim_deliveries(range(1, 2001), "dl", DAY, owner="a", now=T0)
    await store.record_delivery_results(
        [DeliveryResult(n, "dl", DAY, Outcome.SENT, 1) for n in range(1, 1001)], owner="a", now=T0
    )
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE"):
            statements.append((statement, parameters))

    sync_engine = store.engine.sync_engine
    sqlalchemy.event.listen(sync_engine, "before_cursor_execute", capture)
    try:
        results = [DeliveryResult(n, "dl", DAY, Outcome.SENT, 1) for n in range(1001, 1011)]
        assert await store.record_delivery_results(results, owner="a", now=T0) == [True] * 10
        await store.renew_claim(1500, "dl", DAY, owner="a", now=T0)
        await store.release_claims([1600], "dl", DAY, owner="a")
    finally:
        sqlalchemy.event.remove(sync_engine, "before_cursor_execute", capture)

    assert len(statements) >= 3
    explain = "EXPLAIN QUERY PLAN " if store.engine.dialect.name == "sqlite" else "EXPLAIN "
    async with store.engine.connect() as conn:
        for statement, parameters in statements:
            plan = (await conn.exec_driver_sql(explain + statement, parameters)).all()
            text = "\n".join(str(row[-1]) for row in plan)
            assert "ix_deliveries_open_claims" not in text, f"{statement}\n{text}"
