"""The checkup's storage on a SQLite file and on PostgreSQL: apps used, nudges, alerts, votes."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from bot.checkup.alerts import Audience, Change
from bot.store.migrations import LATEST_VERSION, migrate
from bot.store.repository import Outcome, nudges
from bot.store.rounds import DueChat, alert_round_key, nudge_round_key
from tests.support.store_fixtures import (
    Backend,
    backend_fixture,  # noqa: F401 - fixture
    rows_per_table,
    store_fixture,  # noqa: F401 - fixture
)
from tests.support.store_helpers import StoreForTests

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


# -- apps a chat uses ---------------------------------------------------------------------


async def test_platforms_set_toggle_and_read(store: StoreForTests) -> None:
    assert await store.get_platforms(1) == ()
    assert await store.set_platforms(1, ["instagram", "facebook", "facebook"]) == (
        "facebook",
        "instagram",
    )
    assert await store.toggle_platform(1, "linkedin") is True
    assert await store.toggle_platform(1, "facebook") is False
    assert await store.get_platforms(1) == ("instagram", "linkedin")
    await store.set_check(1, "instagram", "done")
    assert await store.set_platforms(1, ["x"]) == ("x",)
    # Choosing other apps keeps what was ticked: nothing a user stored is lost.
    assert await store.get_checklist(1) == {"instagram": "done"}
    ctx = await store.checkup_context(1)
    assert (ctx.platforms, ctx.checklist) == (("x",), {"instagram": "done"})
    with pytest.raises(ValueError):
        await store.set_platforms(1, [""])
    with pytest.raises(ValueError):
        await store.toggle_platform(1, "p" * 65)


async def test_checkup_contexts_read_several_chats(store: StoreForTests) -> None:
    await store.set_region(5, "uk")
    await store.set_platforms(5, ["threads"])
    await store.set_platforms(6, ["x", "chatgpt"])
    contexts = await store.checkup_contexts([5, 6, 7])
    assert contexts[5].settings.region == "uk" and contexts[5].platforms == ("threads",)
    assert contexts[6].platforms == ("chatgpt", "x")
    assert contexts[7].platforms == () and contexts[7].settings.chat_id == 7


async def test_v4_counts_apps_already_ticked_done_or_later_as_used(backend: Backend) -> None:
    engine = backend.engine()
    await migrate(engine, target=3)
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO chats VALUES (1, 'en', 'eu', NULL)"))
        await conn.execute(
            text("INSERT INTO checklist VALUES (1, 'facebook', 'done'), (1, 'x', 'later')")
        )
        await conn.execute(text("INSERT INTO checklist VALUES (1, 'linkedin', 'na')"))
    assert await migrate(engine) == LATEST_VERSION
    store = await backend.store()
    assert await store.get_platforms(1) == ("facebook", "x")
    assert await store.get_checklist(1) == {"facebook": "done", "linkedin": "na", "x": "later"}


# -- nudges ---------------------------------------------------------------------------------


async def test_nudge_settings_are_validated_and_round_trip(store: StoreForTests) -> None:
    due = T0 + 90 * DAY
    nudge = await store.set_nudge(1, 90, due)
    assert (nudge.period_days, nudge.active, nudge.next_due_at) == (90, True, due)
    assert nudge.round_key == "nudge:2027-02-27" == nudge_round_key(due)
    assert await store.get_nudge(1) == nudge
    for bad in (29, 366, 0, True, 90.0):
        with pytest.raises(ValueError):
            await store.set_nudge(1, bad, due)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await store.set_nudge(1, 90, due.replace(tzinfo=None))
    assert await store.get_nudge(1) == nudge
    changed = await store.set_nudge(1, 30, T0 + 30 * DAY)
    assert (changed.period_days, changed.round_key) == (30, "nudge:2026-12-29")
    assert await store.stop_nudge(1) is True
    assert await store.get_nudge(1) is None
    assert await store.stop_nudge(1) is False


async def test_the_database_refuses_a_period_out_of_range(store: StoreForTests) -> None:
    await store.set_nudge(1, 30, T0 + 30 * DAY)
    with pytest.raises(Exception, match=r"(?i)check|constraint"):
        async with store.engine.begin() as conn:
            await conn.execute(nudges.update().values(period_days=400))


async def test_remind_off_stops_nudges_and_blocking_deactivates_them(store: StoreForTests) -> None:
    await store.subscribe(1, [86400])
    await store.set_nudge(1, 90, T0 + 90 * DAY)
    await store.set_nudge(2, 90, T0 + 90 * DAY)  # nudges without countdowns
    assert await store.deactivate(2, "blocked") is True
    nudge = await store.get_nudge(2)
    assert nudge is not None and not nudge.active and nudge.period_days == 90
    assert await store.due_nudge_keys(T0 + 100 * DAY) == ["nudge:2027-02-27"]
    assert [c.chat_id for c in await store.due_nudge_chats("nudge:2027-02-27", T0 + 100 * DAY)] == [
        1
    ]
    await store.subscribe(2, [86400])  # the user came back
    assert (await store.get_nudge(2)).active  # type: ignore[union-attr]
    assert await store.unsubscribe(1) is True
    assert await store.get_nudge(1) is None
    assert await store.unsubscribe(1) is False


async def test_nudge_round_is_claimed_once_and_advanced_once(backend: Backend) -> None:
    """Two processes race for the same nudge round; one sends, then the schedule moves on."""
    first, second = await backend.store(), await backend.store()
    for chat_id in range(1, 6):
        await first.set_region(chat_id, "eu")
        await first.set_timezone(chat_id, "Europe/Berlin")
        await first.set_nudge(chat_id, 30, T0 + 30 * DAY)
    key = nudge_round_key(T0 + 30 * DAY)
    now = T0 + 30 * DAY + timedelta(hours=1)
    assert await first.due_nudge_keys(T0 + 29 * DAY) == []
    assert await first.due_nudge_keys(now) == [key]
    due = await first.due_nudge_chats(key, now, limit=3)
    assert due == [
        DueChat(1, "Europe/Berlin"),
        DueChat(2, "Europe/Berlin"),
        DueChat(3, "Europe/Berlin"),
    ]
    assert [c.chat_id for c in await first.due_nudge_chats(key, now, after_chat_id=3)] == [4, 5]

    ids = list(range(1, 6))
    won_a, won_b = await asyncio.gather(
        first.claim_deliveries(ids, key, 0, owner="a", now=now),
        second.claim_deliveries(ids, key, 0, owner="b", now=now),
    )
    assert sorted(won_a + won_b) == ids and not set(won_a) & set(won_b)
    assert await first.due_nudge_chats(key, now) == []
    for owner, won in (("a", won_a), ("b", won_b)):
        for chat_id in won:
            await first.record_delivery_result(chat_id, key, 0, Outcome.SENT, owner=owner, now=now)

    finished = await first.finished_nudges(now)
    assert [(f.chat_id, f.status, f.round_key) for f in finished] == [(c, "sent", key) for c in ids]
    nxt = now + 30 * DAY
    results = await asyncio.gather(
        *(s.advance_nudge(c, key, nxt, sent_at=now) for c in ids for s in (first, second))
    )
    assert sum(results) == 5  # each chat advanced by exactly one of the two
    assert await first.finished_nudges(now + 31 * DAY) == []
    nudge = await first.get_nudge(1)
    assert nudge is not None and nudge.last_sent_at == now and nudge.next_due_at == nxt
    # The same round never comes back: the old key's delivery stays recorded.
    assert await second.due_nudge_keys(now + DAY) == []
    assert await second.due_nudge_keys(nxt) == [nudge_round_key(nxt)]
    with pytest.raises(ValueError, match="another day"):
        await first.advance_nudge(1, nudge_round_key(nxt), nxt)


async def test_a_schedule_changed_meanwhile_is_not_overwritten(store: StoreForTests) -> None:
    await store.set_nudge(1, 30, T0 + 30 * DAY)
    key = nudge_round_key(T0 + 30 * DAY)
    await store.set_nudge(1, 60, T0 + 60 * DAY)  # the user changed it during the round
    assert await store.advance_nudge(1, key, T0 + 61 * DAY) is False
    nudge = await store.get_nudge(1)
    assert nudge is not None and nudge.period_days == 60 and nudge.next_due_at == T0 + 60 * DAY


async def test_an_abandoned_nudge_claim_is_offered_again(store: StoreForTests) -> None:
    await store.set_nudge(1, 30, T0 + 30 * DAY)
    key = nudge_round_key(T0 + 30 * DAY)
    now = T0 + 30 * DAY
    assert await store.claim_deliveries([1], key, 0, owner="crashed", now=now) == [1]
    later = now + timedelta(minutes=5)
    assert await store.due_nudge_chats(key, later) == []
    stale = later - timedelta(minutes=2)
    assert [c.chat_id for c in await store.due_nudge_chats(key, later, stale_before=stale)] == [1]
    assert await store.claim_deliveries([1], key, 0, owner="b", now=later, stale_before=stale) == [
        1
    ]


# -- alerts ---------------------------------------------------------------------------------


async def test_kb_changes_are_stored_with_the_snapshot_and_superseded(store: StoreForTests) -> None:
    assert await store.kb_snapshot() == {}
    snap = {("platform", "instagram"): date(2026, 12, 1), ("deadline", "d1"): None}
    first = Change("platform", "instagram", date(2026, 12, 1), False, "moved the form")
    assert await store.save_kb_changes(snap, [first], T0) == [first.round_key]
    assert await store.kb_snapshot() == snap
    assert await store.save_kb_changes(snap, [first], T0) == []  # stored once
    newer = Change("platform", "instagram", date(2026, 12, 5), False, None)
    snap2 = {("platform", "instagram"): date(2026, 12, 5)}
    assert await store.save_kb_changes(snap2, [newer], T0 + DAY) == [newer.round_key]
    assert await store.kb_snapshot() == snap2  # a removed entry leaves the snapshot
    rounds = {r.round_key: r for r in await store.alert_rounds(open_only=False)}
    assert rounds[first.round_key].outcome == "superseded"
    assert [r.round_key for r in await store.alert_rounds()] == [newer.round_key]
    assert await store.finish_alert_round(newer.round_key, T0 + 2 * DAY) is True
    assert await store.finish_alert_round(newer.round_key, T0 + 2 * DAY) is False
    assert await store.alert_rounds() == []
    with pytest.raises(ValueError):
        await store.save_kb_changes({("topic", "x"): None}, [], T0)


async def test_snapshot_and_rounds_are_written_together_or_not_at_all(
    store: StoreForTests,
) -> None:
    snap = {("platform", "instagram"): date(2026, 12, 1)}
    change = Change("platform", "instagram", date(2026, 12, 1), False)
    bad = Change("platform", "x", date(2026, 12, 1), None)  # type: ignore[arg-type]
    with pytest.raises(Exception, match=r"(?i)null"):  # the second insert fails in the database
        await store.save_kb_changes(snap, [change, bad], T0)
    assert await store.kb_snapshot() == {}
    assert await store.alert_rounds() == []
    with pytest.raises(ValueError, match="entry id"):
        await store.save_kb_changes(snap, [Change("platform", "x" * 65, None, True)], T0)


async def _population(store: StoreForTests, n: int, seed: int) -> dict[int, dict[str, object]]:
    """Chats with random regions, apps, ticks and reminder switches; what was stored."""
    rng = random.Random(seed)
    apps = ["facebook", "instagram", "linkedin", "x"]
    truth: dict[int, dict[str, object]] = {}
    for chat_id in range(1, n + 1):
        region = rng.choice([None, "eu", "uk", "br", "other"])
        used = [a for a in apps if rng.random() < 0.4]
        ticks = {a: rng.choice(["done", "later", "na"]) for a in apps if rng.random() < 0.3}
        switch = rng.choice(["none", "countdown", "nudge", "blocked"])
        await store.set_region(chat_id, region)
        if used:
            await store.set_platforms(chat_id, used)
        for app, state in ticks.items():
            await store.set_check(chat_id, app, state)
        if switch in ("countdown", "blocked"):
            await store.subscribe(chat_id, [86400])
        if switch == "nudge":
            await store.set_nudge(chat_id, 90, T0 + 90 * DAY)
        if switch == "blocked":
            await store.deactivate(chat_id, "blocked")
        truth[chat_id] = {
            "region": region,
            "used": used,
            "ticks": ticks,
            "subscribed": switch in ("countdown", "nudge"),
        }
    return truth


async def test_alert_audience_in_sql_agrees_with_the_rule(store: StoreForTests) -> None:
    truth = await _population(store, 60, seed=7)
    audiences = [
        Audience(("instagram",), None),
        Audience(("facebook", "instagram"), ("eu", "ch")),
        Audience(None, ("other", "ca", "hk", "us")),
        Audience(None, None),
        Audience((), None),
    ]
    for number, audience in enumerate(audiences):
        expected = [
            chat_id
            for chat_id, t in truth.items()
            if audience.includes(
                subscribed=bool(t["subscribed"]),
                region=t["region"],  # type: ignore[arg-type]
                platforms_used=t["used"],  # type: ignore[arg-type]
                checklist=t["ticks"],  # type: ignore[arg-type]
            )
        ]
        key = alert_round_key("platform", f"p{number}", date(2026, 12, 1))
        streamed: list[int] = []
        after = None
        while batch := await store.due_alert_chats(
            key,
            platforms=audience.platforms,
            regions=audience.regions,
            after_chat_id=after,
            limit=7,
        ):
            streamed.extend(c.chat_id for c in batch)
            after = batch[-1].chat_id
        assert streamed == expected, audience
        count = await store.count_alert_audience(
            platforms=audience.platforms, regions=audience.regions
        )
        assert count == len(expected)
    assert any(truth[c]["subscribed"] for c in truth)  # the population is not degenerate


async def test_an_alert_reaches_each_chat_once_also_after_a_restart(backend: Backend) -> None:
    store = await backend.store()
    for chat_id in (1, 2, 3):
        await store.set_platforms(chat_id, ["instagram"])
        await store.set_nudge(chat_id, 90, T0 + 90 * DAY)
    await store.set_check(3, "instagram", "na")
    key = alert_round_key("platform", "instagram", date(2026, 12, 1))
    audience = {"platforms": ("instagram",), "regions": None}
    due = [c.chat_id for c in await store.due_alert_chats(key, **audience)]
    assert due == [1, 2]
    assert await store.claim_deliveries(due, key, 0, owner="a", now=T0) == [1, 2]
    await store.record_delivery_result(1, key, 0, Outcome.SENT, owner="a", now=T0)
    await store.close()

    restarted = await backend.store()  # a new process: same database
    assert await restarted.due_alert_chats(key, **audience) == []
    assert await restarted.claim_deliveries([1, 2], key, 0, owner="b", now=T0) == []
    assert await restarted.count_alert_audience(**audience, round_key=key) == 0
    assert await restarted.count_alert_audience(**audience) == 2
    # A later change of the same entry is a new alert.
    newer = alert_round_key("platform", "instagram", date(2026, 12, 9))
    assert [c.chat_id for c in await restarted.due_alert_chats(newer, **audience)] == [1, 2]


# -- feedback votes -------------------------------------------------------------------------


async def test_votes_are_counted_per_day_topic_and_language(store: StoreForTests) -> None:
    day = date(2026, 11, 29)
    await store.record_vote("meta-ai", "en", day, True)
    await store.record_vote("meta-ai", "en", day, False)
    await store.record_vote("meta-ai", "de", day, False)
    await store.record_vote("meta-ai", "en", day + timedelta(days=1), False)
    counts = await store.vote_counts()
    assert [(c.topic, c.language, c.up, c.down) for c in counts] == [
        ("meta-ai", "de", 0, 1),
        ("meta-ai", "en", 1, 2),
    ]
    only_first = await store.vote_counts(until=day)
    assert [(c.language, c.up, c.down) for c in only_first] == [("de", 0, 1), ("en", 1, 1)]
    with pytest.raises(ValueError):
        await store.record_vote("", "en", day, True)
    async with store.engine.connect() as conn:
        columns = set((await conn.execute(text("SELECT * FROM feedback_votes"))).keys())
    assert "chat_id" not in columns and "user_id" not in columns


async def test_concurrent_votes_from_two_processes_are_all_counted(backend: Backend) -> None:
    first, second = await backend.store(), await backend.store()
    day = date(2026, 11, 29)
    taps = [(s, helpful) for s, helpful in itertools.product((first, second), (True, False))] * 15
    await asyncio.gather(*(s.record_vote("whatsapp", "pt", day, h) for s, h in taps))
    [count] = await first.vote_counts()
    assert (count.up, count.down) == (30, 30)


# -- /forget --------------------------------------------------------------------------------


async def test_forget_deletes_every_checkup_row_of_the_chat(store: StoreForTests) -> None:
    for chat_id in (10, 11):
        await store.set_platforms(chat_id, ["facebook", "x"])
        await store.set_check(chat_id, "x", "done")
        await store.set_nudge(chat_id, 45, T0 + 45 * DAY)
        key = alert_round_key("platform", "x", date(2026, 12, 1))
        assert await store.claim_deliveries([chat_id], key, 0, owner="w", now=T0)
    await store.record_vote("meta-ai", "en", date(2026, 11, 29), True)
    before = await rows_per_table(store.engine, 10)
    assert all(before[t] > 0 for t in ("chat_platforms", "nudges", "deliveries", "checklist"))

    await store.forget(10)

    assert set((await rows_per_table(store.engine, 10)).values()) == {0}
    assert await rows_per_table(store.engine, 11) == before
    assert await store.get_nudge(10) is None and await store.get_platforms(10) == ()
    assert len(await store.vote_counts()) == 1  # votes are nobody's: nothing to forget
    async with store.engine.connect() as conn:
        left = (await conn.execute(select(nudges.c.chat_id))).scalars().all()
    assert left == [11]
