"""Rounds send to many chats, each in its own language: the nudge, alert and countdown-reminder
rounds compose every message in the recipient chat's stored language (English for a chat
that never chose one), through the same claims and delivery loop, on both databases.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.checkup.nudges import DEFAULT_QUIET
from bot.checkup.service import record_kb, start_nudges
from bot.clock import FakeClock
from bot.knowledge.model import Deadline, DeadlineText, KnowledgeBase
from bot.reminders.checkup_rounds import CheckupRounds
from bot.reminders.compose import ComposeCache, compose_reminder
from bot.reminders.delivery import deliver
from bot.reminders.plan import Round
from bot.reminders.policy import DeliveryPolicy
from bot.reminders.ratelimit import SendLimiter
from bot.reminders.scheduler import ReminderScheduler
from bot.reminders.spec import reminder_spec
from bot.store.repository import ChatSettings, Store
from tests.support.checkup_kb import make_kb, sample_platforms
from tests.support.sender_double import ScriptedSender, exactly_once
from tests.support.store_fixtures import Backend, backend_fixture  # noqa: F401 - fixture

START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # 11:00 in Brussels: not quiet
TZ = "Europe/Brussels"
POLICY = DeliveryPolicy(concurrency=4, batch_size=16, claim_batch=4, lease=30, poll_interval=1)
D1, D2 = date(2026, 11, 20), date(2026, 12, 20)
ANA, BEN, CAI, DEA = 1, 2, 3, 4  # German, Portuguese, never chose (English), chose English
LANGUAGES = {ANA: "de", BEN: "pt", CAI: None, DEA: "en"}


async def chats(store: Store, apps: tuple[str, ...]) -> None:
    for chat, language in LANGUAGES.items():
        await store.set_region(chat, "eu")
        await store.set_platforms(chat, apps)
        if language is not None:
            await store.set_language(chat, language)


def checkup_rounds(store: Store, kb: KnowledgeBase, clock: FakeClock, sender: ScriptedSender):
    limiter = SendLimiter(1000, clock=clock)
    return CheckupRounds(
        store, lambda: kb, clock, sender, limiter, TZ, DEFAULT_QUIET, policy=POLICY
    )


def by_chat(sender: ScriptedSender) -> dict[int, str]:
    return {d.chat_id: d.text for d in sender.delivered}


async def nudges_due_in_30_days(
    backend: Backend,
) -> tuple[KnowledgeBase, FakeClock, Store, ScriptedSender]:
    """The four chats with two apps each and re-check nudges every 30 days from START."""
    kb = make_kb(sample_platforms())
    clock = FakeClock(START)
    store = await backend.store()
    await chats(store, ("gram", "network"))
    for chat in LANGUAGES:
        await start_nudges(store, chat, 30, START, default_timezone=TZ)
    return kb, clock, store, ScriptedSender(clock)


async def test_a_nudge_round_writes_to_each_chat_in_its_own_language(backend: Backend):
    kb, clock, store, sender = await nudges_due_in_30_days(backend)
    clock.set(START + timedelta(days=30))
    await checkup_rounds(store, kb, clock, sender).run_pass()

    assert exactly_once(sender.delivered, LANGUAGES) == []
    sent = by_chat(sender)
    assert sent[ANA].startswith("<b>Zeit, deine KI-Training-Einstellungen zu prüfen</b>")
    assert "2 von deinen 2 Apps sind noch offen:" in sent[ANA]
    assert "über das Formular von Meta widersprechen" in sent[ANA]
    assert sent[BEN].startswith("<b>Hora de revisar suas configurações de treinamento de IA</b>")
    assert "2 dos seus 2 apps ainda estão pendentes:" in sent[BEN]
    english = "<b>Time to re-check your AI-training settings</b>"
    assert sent[CAI].startswith(english) and sent[DEA] == sent[CAI]
    assert "2 of your 2 apps are still open:" in sent[CAI]
    buttons = {d.chat_id: [b.label for row in d.buttons for b in row] for d in sender.delivered}
    assert buttons[ANA][-1] == "📋 Meine Checkliste" and buttons[CAI][-1] == "📋 My checklist"
    assert buttons[BEN][0] == "📖 Gram: passos"
    data = {d.chat_id: [b.data for row in d.buttons for b in row] for d in sender.delivered}
    assert data[ANA] == data[BEN] == data[CAI]  # the same buttons, only the labels differ


async def test_the_schedulers_nudge_round_uses_its_policy_and_the_operators_language(
    backend: Backend,
):
    """The scheduler hands its delivery policy and DEFAULT_LANGUAGE to the checkup rounds.
    They were passed by position, one place off: the rounds got the report list as their
    policy and the policy as the language of chats that never chose one."""
    kb, clock, store, sender = await nudges_due_in_30_days(backend)
    limiter = SendLimiter(1000, clock=clock)
    scheduler = ReminderScheduler(
        None,  # type: ignore[arg-type]
        store,
        lambda: kb,
        clock,
        limiter,
        sender,
        TZ,
        policy=POLICY,
        default_language="de",
    )
    assert scheduler.checkup.policy is POLICY and scheduler.checkup.default_language == "de"
    clock.set(START + timedelta(days=30))
    await scheduler.checkup.run_pass()
    assert exactly_once(sender.delivered, LANGUAGES) == []
    sent = by_chat(sender)
    german = "<b>Zeit, deine KI-Training-Einstellungen zu prüfen</b>"
    assert sent[ANA].startswith(german)  # chose German
    assert sent[CAI].startswith(german)  # never chose: the operator's default
    assert sent[DEA].startswith("<b>Time to re-check your AI-training settings</b>")  # chose en


async def test_an_alert_round_writes_to_each_chat_in_its_own_language(backend: Backend):
    notes = {"en": "Gram moved the form", "de": "Gram hat das Formular verschoben"}
    before = make_kb(sample_platforms(gram={"changed": D1, "change": "Old"}))
    after = make_kb(sample_platforms(gram={"changed": D2, "change": notes}))
    clock = FakeClock(START)
    store = await backend.store()
    await chats(store, ("gram",))
    for chat in LANGUAGES:
        await store.subscribe(chat, [86400])
    await record_kb(store, before, START)
    sender = ScriptedSender(clock)
    loop = checkup_rounds(store, after, clock, sender)
    assert len(await loop.record_changes()) == 1
    await loop.run_pass()

    assert exactly_once(sender.delivered, LANGUAGES) == []
    sent = by_chat(sender)
    assert sent[ANA].startswith("<b>Gram hat sich geändert</b>\n\nGram hat das Formular verschoben")
    assert "/remind off stellt sie ab" in sent[ANA]
    # Portuguese has no note of its own: the English note, between Portuguese words.
    assert sent[BEN].startswith("<b>Gram mudou</b>\n\nGram moved the form")
    assert "/remind off os desativa" in sent[BEN]
    assert (
        sent[CAI].startswith("<b>Gram changed</b>\n\nGram moved the form")
        and sent[DEA] == sent[CAI]
    )


def german_deadline() -> Deadline:
    return Deadline(
        "both-apps",
        "Object before this date",
        START + timedelta(days=3),
        "Europe/Berlin",
        ("eu",),
        ("facebook", "instagram"),
        "Object now.",
        "Passed.",
        texts={"de": DeadlineText("Vor diesem Tag widersprechen", "Widersprich jetzt.")},
    )


def test_a_reminder_reads_german_and_english_stays_as_before(kb: KnowledgeBase) -> None:
    deadline = german_deadline()
    rnd = Round(deadline, 86400, deadline.at - timedelta(days=1))  # type: ignore[operator]
    now = START + timedelta(days=2)
    english = compose_reminder(kb, ChatSettings(1, None, "eu"), {}, rnd, now, TZ)
    german = compose_reminder(kb, ChatSettings(1, "de", "eu"), {}, rnd, now, TZ)
    assert english is not None and german is not None
    assert english.text.startswith(
        "⏰ <b>Reminder:</b> Object before this date: Wed 02 Dec 2026, 11:00 (in 24 hours)."
    )
    assert "Still to do: Facebook, Instagram." in english.text
    assert german.text.startswith(
        "⏰ <b>Erinnerung:</b> Vor diesem Tag widersprechen: "
        "Mi., 2. Dez. 2026, 11:00 (in 24 Stunden)."
    )
    assert (
        "Widersprich jetzt." in german.text and "Noch zu tun: Facebook, Instagram." in german.text
    )
    first_step = kb.platforms["facebook"].for_language("de").route_for("eu")[1].steps[0]  # type: ignore[index]
    assert f"Nächster Schritt für Facebook: {first_step}" in german.text
    labels = [b.label for row in german.buttons for b in row]
    assert labels == ["✅ Erledigt", "⏰ Später", "🚫 Nicht für mich", "Alle Schritte für Facebook"]
    assert [b.data for row in german.buttons for b in row] == [
        b.data for row in english.buttons for b in row
    ]
    # A chat that chose no language gets the operator's default when there is one.
    fallback = compose_reminder(
        kb, ChatSettings(1, None, "eu"), {}, rnd, now, TZ, default_language="de"
    )
    assert fallback is not None and fallback.text == german.text


def test_the_compose_cache_keeps_one_text_per_language(kb: KnowledgeBase) -> None:
    deadline = german_deadline()
    rnd = Round(deadline, 86400, deadline.at - timedelta(days=1))  # type: ignore[operator]
    cache = ComposeCache()
    german = cache(kb, ChatSettings(1, "de", "eu"), {}, rnd, START, TZ)
    english = cache(kb, ChatSettings(2, None, "eu"), {}, rnd, START, TZ)
    again = cache(kb, ChatSettings(3, "de", "eu"), {}, rnd, START, TZ)
    assert german is again and german is not None and english is not None
    assert german.text != english.text
    # The wording of "in ..." is part of the key: a minute later is another text.
    later = cache(kb, ChatSettings(3, "de", "eu"), {}, rnd, START + timedelta(minutes=1), TZ)
    assert later is not None and later.text != german.text


async def test_a_reminder_round_writes_to_each_chat_in_its_own_language(
    backend: Backend, kb: KnowledgeBase
):
    deadline = german_deadline()
    rnd = Round(deadline, 86400, deadline.at - timedelta(days=1))  # type: ignore[operator]
    clock = FakeClock(rnd.due_at)
    store = await backend.store()
    await chats(store, ())
    for chat in LANGUAGES:
        await store.subscribe(chat, [86400])
    sender = ScriptedSender(clock)
    limiter = SendLimiter(1000, clock=clock)
    scheduler = ReminderScheduler(None, store, lambda: kb, clock, limiter, sender, TZ)  # type: ignore[arg-type]
    spec = reminder_spec(store, rnd, scheduler._compose_context)
    report = await deliver(store, sender, spec, clock, limiter, policy=POLICY)

    assert report.sent == 4 and exactly_once(sender.delivered, LANGUAGES) == []
    sent = by_chat(sender)
    assert sent[ANA].startswith("⏰ <b>Erinnerung:</b> Vor diesem Tag widersprechen: Mi., 2. Dez.")
    assert "Noch zu tun: Facebook, Instagram." in sent[ANA]
    # Portuguese: the catalogue's words, and the entry's English where it has no Portuguese.
    assert sent[BEN].startswith("⏰ <b>Lembrete:</b> Object before this date:")
    assert "Falta fazer: Facebook, Instagram." in sent[BEN]
    assert sent[CAI].startswith("⏰ <b>Reminder:</b> Object before this date:")
    assert sent[DEA] == sent[CAI]
