"""The checkup from choosing apps to a nudge and an alert, over the real store and a fake clock.

The rounds below follow the delivery loop's protocol (claim -> compose -> record) one chat at
a time, without Telegram: what the Bot API e2e test will do through the real loop once the
commands are wired. Both databases; a restart is a new store on the same database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.checkup.alerts import Change, audience_for
from bot.checkup.checklist import checklist_items, progress
from bot.checkup.nudges import DEFAULT_QUIET, parse_period, plan_nudge
from bot.checkup.service import (
    advance_finished_nudges,
    alerts_dry_run,
    record_kb,
    start_nudges,
)
from bot.checkup.texts import alert_text, checklist_text, nudge_text
from bot.clock import FakeClock
from bot.knowledge.model import KnowledgeBase
from bot.store.repository import Outcome, Store
from tests.support.checkup_kb import make_kb, sample_platforms
from tests.support.store_fixtures import (
    Backend,
    backend_fixture,  # noqa: F401 - fixture
)

START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # 11:00 in Berlin
TZ = "Europe/Brussels"  # the operator's default time zone
ME, COUSIN, LURKER = 101, 202, 303


async def nudge_pass(store: Store, kb: KnowledgeBase, now: datetime) -> dict[int, str]:
    """One pass of the nudge loop: every due chat outside its quiet hours gets its nudge."""
    sent: dict[int, str] = {}
    for key in await store.due_nudge_keys(now):
        due = await store.due_nudge_chats(key, now)
        allowed = [c.chat_id for c in due if DEFAULT_QUIET.allows(now, c.timezone or TZ)]
        won = await store.claim_deliveries(allowed, key, 0, owner="test", now=now)
        contexts = await store.checkup_contexts(won)
        for chat_id in won:
            ctx = contexts[chat_id]
            plan = plan_nudge(kb, ctx.platforms, ctx.checklist, ctx.settings.region)
            if plan is not None:
                sent[chat_id] = nudge_text(plan)
            outcome = Outcome.SENT if plan else Outcome.SKIPPED
            await store.record_delivery_result(chat_id, key, 0, outcome, owner="test", now=now)
    await advance_finished_nudges(store, now, default_timezone=TZ)
    return sent


async def alert_pass(store: Store, kb: KnowledgeBase, now: datetime) -> dict[int, list[str]]:
    """One pass of the alert loop over the open rounds; a round is finished when done."""
    sent: dict[int, list[str]] = {}
    for stored in await store.alert_rounds():
        change = Change(stored.kind, stored.entry_id, stored.changed, stored.is_new)
        audience = audience_for(change, kb)
        if audience is None:
            await store.finish_alert_round(stored.round_key, now, "dropped")
            continue
        due = await store.due_alert_chats(
            stored.round_key, platforms=audience.platforms, regions=audience.regions
        )
        won = await store.claim_deliveries(
            [c.chat_id for c in due], stored.round_key, 0, owner="test", now=now
        )
        contexts = await store.checkup_contexts(won)
        for chat_id in won:
            text = alert_text(change, kb, contexts[chat_id].settings.region)
            assert text is not None
            sent.setdefault(chat_id, []).append(text)
            await store.record_delivery_result(
                chat_id, stored.round_key, 0, Outcome.SENT, owner="test", now=now
            )
        await store.finish_alert_round(stored.round_key, now)
    return sent


async def test_checkup_nudge_alert_and_restart(backend: Backend) -> None:
    clock = FakeClock(START)
    kb = make_kb(sample_platforms())
    store = await backend.store()
    assert await record_kb(store, kb, clock.now()) == []  # first start: baseline only

    # /checkup: region, three apps, Done on one; /status shows 1 of 3.
    await store.set_region(ME, "eu")
    await store.set_timezone(ME, "Europe/Berlin")
    for app in ("gram", "network", "chatter"):
        assert await store.toggle_platform(ME, app) is True
    await store.set_check(ME, "gram", "done")
    ctx = await store.checkup_context(ME)
    items = checklist_items(kb, ctx.platforms, ctx.checklist, ctx.settings.region)
    assert "1 of 3 done" in checklist_text(items, progress(items))

    # Two other chats: one with countdown reminders only, one with reminders off.
    await store.set_platforms(COUSIN, ["gram"])
    await store.subscribe(COUSIN, [86400])
    await store.set_platforms(LURKER, ["gram"])

    # /remind every 30d
    nudge = await start_nudges(
        store, ME, parse_period("every 30d"), clock.now(), default_timezone=TZ
    )
    assert nudge.next_due_at == START + timedelta(days=30)

    clock.advance(timedelta(days=30) - timedelta(hours=1))
    assert await nudge_pass(store, kb, clock.now()) == {}  # not yet
    clock.advance(timedelta(hours=1))
    sent = await nudge_pass(store, kb, clock.now())
    assert list(sent) == [ME]
    assert "2 of your 3 apps are still open" in sent[ME]
    assert "Network" in sent[ME] and "Chatter" in sent[ME] and "Gram" not in sent[ME]
    assert await nudge_pass(store, kb, clock.now()) == {}  # once per period
    nudge = await store.get_nudge(ME)
    assert nudge is not None and nudge.last_sent_at == clock.now()
    assert nudge.next_due_at == clock.now() + timedelta(days=30)

    # An entry's `changed:` is bumped and the bot reloads: one alert per chat using it.
    bumped = make_kb(
        sample_platforms(gram={"changed": date(2026, 12, 30), "change": "Gram moved the form"})
    )
    planned = await record_kb(store, bumped, clock.now())
    assert [c.round_key for c in planned] == ["alert:platform:gram:2026-12-30"]
    dry = await alerts_dry_run(store, bumped)
    assert [(line.change.entry_id, line.chats) for line in dry] == [("gram", 2)]
    alerts = await alert_pass(store, bumped, clock.now())
    assert sorted(alerts) == [ME, COUSIN]
    assert all(len(texts) == 1 and "Gram moved the form" in texts[0] for texts in alerts.values())
    assert await alerts_dry_run(store, bumped) == []
    await store.close()

    # Restart: the same data again sends nothing twice.
    store = await backend.store()
    assert await record_kb(store, bumped, clock.now()) == []
    assert await alert_pass(store, bumped, clock.now()) == {}
    assert await nudge_pass(store, kb, clock.now()) == {}

    # Done on everything: the next period comes and goes without a message, and the
    # schedule still moves on.
    for app in ("network", "chatter"):
        await store.set_check(ME, app, "done" if app == "network" else "na")
    clock.advance(timedelta(days=30))
    assert await nudge_pass(store, kb, clock.now()) == {}
    nudge = await store.get_nudge(ME)
    assert nudge is not None and nudge.next_due_at > clock.now()
    assert nudge.last_sent_at == START + timedelta(days=30)  # skipped, not sent

    # /remind off: nothing at all any more, not even alerts.
    await store.set_check(ME, "chatter", "later")
    assert await store.unsubscribe(ME) is True
    clock.advance(timedelta(days=60))
    assert await nudge_pass(store, kb, clock.now()) == {}
    again = make_kb(sample_platforms(gram={"changed": date(2027, 3, 1)}))
    await record_kb(store, again, clock.now())
    assert sorted(await alert_pass(store, again, clock.now())) == [COUSIN]
    await store.close()


async def test_a_nudge_due_at_night_waits_for_the_morning(backend: Backend) -> None:
    store = await backend.store()
    kb = make_kb(sample_platforms())
    await store.set_timezone(ME, "Asia/Tokyo")
    await store.set_platforms(ME, ["chatter"])
    start = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)  # 22:00 in Tokyo
    nudge = await start_nudges(store, ME, 30, start, default_timezone=TZ)
    morning = datetime(2026, 12, 30, 0, 0, tzinfo=UTC)  # 09:00 the next day in Tokyo
    assert nudge.next_due_at == morning
    assert await nudge_pass(store, kb, start + timedelta(days=30)) == {}
    sent = await nudge_pass(store, kb, morning)
    assert list(sent) == [ME]
