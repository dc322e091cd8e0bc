"""Nudge and alert rounds through the reminders' delivery loop (`CheckupRounds`), both databases.

A scripted sender stands in for Telegram and a fake clock for time. Each chat gets a nudge
once per period and an alert once per change, never inside its quiet hours (left for a later
pass instead), and a restart (a new store and loop on the same database) sends nothing again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.checkup.nudges import DEFAULT_QUIET
from bot.checkup.service import record_kb, start_nudges
from bot.clock import FakeClock
from bot.knowledge.model import Deadline, KnowledgeBase
from bot.reminders.checkup_rounds import CheckupRounds
from bot.reminders.compose import compose_reminder
from bot.reminders.plan import Round
from bot.reminders.policy import DeliveryPolicy
from bot.reminders.ratelimit import SendLimiter
from bot.store.repository import ChatSettings, Store
from tests.support.checkup_kb import make_kb, sample_platforms
from tests.support.sender_double import ScriptedSender, exactly_once
from tests.support.store_fixtures import Backend, backend_fixture  # noqa: F401 - fixture

START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # 11:00 in Brussels, 02:00 in Los Angeles
TZ = "Europe/Brussels"
NIGHT_TZ = "America/Los_Angeles"
POLICY = DeliveryPolicy(concurrency=4, batch_size=16, claim_batch=4, lease=30, poll_interval=1)
D1, D2 = date(2026, 11, 20), date(2026, 12, 20)


def rounds(store: Store, kb: KnowledgeBase, clock: FakeClock, sender: ScriptedSender):
    return CheckupRounds(
        store,
        lambda: kb,
        clock,
        sender,
        SendLimiter(1000, clock=clock),
        TZ,
        DEFAULT_QUIET,
        POLICY,
    )


async def use(store: Store, chat_id: int, apps: tuple[str, ...], region: str = "eu") -> None:
    await store.set_region(chat_id, region)
    await store.set_platforms(chat_id, apps)


async def test_nudges_once_per_period_never_at_night_and_not_again_after_a_restart(
    backend: Backend,
):
    kb = make_kb(sample_platforms())
    clock = FakeClock(START)
    store = await backend.store()
    ana, bob, cem, dan = 1, 2, 3, 4
    await use(store, ana, ("gram", "network", "messages"))
    await store.set_check(ana, "network", "done")
    await use(store, bob, ("chatter",))
    await use(store, cem, ("gram",))
    await store.set_check(cem, "gram", "done")  # nothing left: skipped, not sent
    await use(store, dan, ("gram",))  # no nudges asked for
    for chat in (ana, bob, cem):
        await start_nudges(store, chat, 30, START, default_timezone=TZ)
    await store.set_timezone(bob, NIGHT_TZ)  # moved: due at 02:00 his time

    sender = ScriptedSender(clock)
    clock.set(START + timedelta(days=30))
    done = await rounds(store, kb, clock, sender).run_pass()
    assert exactly_once(sender.delivered, [ana]) == []
    [nudge] = sender.delivered
    assert "2 of your 3 apps are still open" in nudge.text
    assert nudge.text.index("Gram") < nudge.text.index("Messages")  # a form before no switch
    assert "Network" not in nudge.text
    assert [b.data for row in nudge.buttons for b in row] == ["p:gram", "p:messages", "k:list"]
    [report] = done.nudges
    assert (report.sent, report.skipped, report.quiet) == (1, 1, 1)
    assert done.advanced == 2  # ana and cem move on; bob is still due
    assert (await store.get_nudge(ana)).next_due_at == START + timedelta(days=60)
    assert (await store.get_nudge(bob)).next_due_at == START + timedelta(days=30)

    again = await rounds(store, kb, clock, sender).run_pass()
    assert again.sent == 0 and len(sender.delivered) == 1

    clock.set(START + timedelta(days=30, hours=7))  # 09:00 in Los Angeles
    later = await rounds(store, kb, clock, sender).run_pass()
    assert later.sent == 1 and sender.delivered[-1].chat_id == bob
    await store.close()

    restarted = await backend.store()  # a new process on the same database
    assert (await rounds(restarted, kb, clock, sender).run_pass()).sent == 0
    clock.set(START + timedelta(days=60))
    next_period = await rounds(restarted, kb, clock, sender).run_pass()
    assert [d.chat_id for d in sender.delivered[2:]] == [ana]
    assert next_period.sent == 1


async def test_an_alert_reaches_each_chat_that_uses_the_app_once(backend: Backend):
    before = make_kb(sample_platforms(gram={"changed": D1, "change": "Old news"}))
    note = "Gram moved the objection form into Accounts Centre"
    after = make_kb(sample_platforms(gram={"changed": D2, "change": note}))
    clock = FakeClock(START)
    store = await backend.store()
    ana, bob, cem, dan, eve, fay = 11, 12, 13, 14, 15, 16
    await use(store, ana, ("gram", "chatter"))
    await use(store, bob, ("network",))  # does not use Gram
    await use(store, cem, ("gram",))
    await store.set_check(cem, "gram", "na")  # not for me
    await use(store, dan, ("gram",))  # reminders off: no alerts
    await use(store, eve, ("gram",), region="uk")
    await store.set_check(eve, "gram", "done")  # done: the steps may have changed
    await use(store, fay, ("gram",))
    await store.set_timezone(fay, NIGHT_TZ)
    for chat in (ana, bob, cem, eve):
        await store.subscribe(chat, [86400])
    await start_nudges(store, fay, 90, START, default_timezone=NIGHT_TZ)
    assert await record_kb(store, before, START) == []  # the first start only records

    sender = ScriptedSender(clock)
    loop = rounds(store, after, clock, sender)
    [change] = await loop.record_changes()
    assert change.round_key == f"alert:platform:gram:{D2}"
    done = await loop.run_pass()
    assert exactly_once(sender.delivered, [ana, eve]) == []
    texts = {d.chat_id: d.text for d in sender.delivered}
    assert note in texts[ana] and "Open the form." in texts[ana]
    assert [b.data for row in sender.delivered[0].buttons for b in row] == ["p:gram", "k:list"]
    [report] = done.alerts
    assert report.quiet == 1 and done.finished_alerts == []  # fay is asleep: still open
    assert [r.round_key for r in await store.alert_rounds()] == [change.round_key]

    clock.set(START + timedelta(hours=6))  # 08:00 in Los Angeles is still quiet
    assert (await loop.run_pass()).sent == 0
    clock.set(START + timedelta(hours=7))
    late = await loop.run_pass()
    assert late.sent == 1 and sender.delivered[-1].chat_id == fay
    assert late.finished_alerts == [change.round_key]
    assert await store.alert_rounds() == []
    await store.close()

    restarted = await backend.store()
    again = rounds(restarted, after, clock, sender)
    assert await again.record_changes() == []  # the snapshot knows this change
    assert (await again.run_pass()).sent == 0
    assert exactly_once(sender.delivered, [ana, eve, fay]) == []


async def test_an_alert_for_an_entry_gone_from_faq_is_dropped(backend: Backend):
    kb = make_kb(sample_platforms())
    store = await backend.store()
    clock = FakeClock(START)
    await record_kb(store, kb, START)
    changed = make_kb(sample_platforms(chatter={"changed": D2, "change": "New setting"}))
    await use(store, 21, ("chatter",))
    await store.subscribe(21, [86400])
    loop = rounds(store, changed, clock, ScriptedSender(clock))
    await loop.record_changes()
    gone = replace(
        changed, platforms={k: v for k, v in changed.platforms.items() if k != "chatter"}
    )
    loop.knowledge = lambda: gone
    assert (await loop.run_pass()).sent == 0
    [closed] = await store.alert_rounds(open_only=False)
    assert closed.outcome == "dropped"


# -- countdown reminders skip apps the chat does not use ---------------------------------------


def test_a_reminder_mentions_only_the_apps_the_chat_uses(kb: KnowledgeBase):
    deadline = Deadline(
        "both-apps",
        "Object before this date",
        START + timedelta(days=3),
        "UTC",
        ("eu",),
        ("facebook", "instagram"),
        "Object now.",
        "Passed.",
    )
    rnd = Round(deadline, 86400, deadline.at - timedelta(days=1))
    settings = ChatSettings(1, region="eu")

    def left(used: tuple[str, ...], ticks: dict[str, str] | None = None) -> str | None:
        reply = compose_reminder(kb, settings, ticks or {}, rnd, START, TZ, used)
        return None if reply is None else reply.text.split("Still to do: ")[1].split(".")[0]

    assert left(()) == "Facebook, Instagram"  # no apps chosen: all of them
    assert left(("instagram", "linkedin")) == "Instagram"
    assert left(("instagram",), {"instagram": "done"}) is None
    assert left(("whatsapp",)) is None  # uses neither: nothing to remind


async def test_the_scheduler_composes_with_the_apps_the_chat_uses(
    backend: Backend, kb: KnowledgeBase
):
    from bot.reminders.scheduler import ReminderScheduler

    store = await backend.store()
    await store.subscribe(7, [86400])
    await store.set_platforms(7, ("instagram",))
    context = await store.delivery_context(7)
    assert context.platforms == ("instagram",)
    clock = FakeClock(START)
    scheduler = ReminderScheduler(None, store, lambda: kb, clock, None, None)  # type: ignore[arg-type]
    deadline = Deadline(
        "both-apps", "T", START + timedelta(days=3), "UTC", ("eu",), ("facebook", "instagram")
    )
    rnd = Round(deadline, 86400, deadline.at - timedelta(days=1))
    compose: Callable = scheduler._compose_context
    message = compose(context, rnd)
    assert message is not None and "Still to do: Instagram." in message.text
