"""The interface in the chat's language (issue 13, section 2): every reply of the core and of
/region, /timezone, /remind, the checklist, /status, /privacy and /forget, rendered for a
German chat, reads German; the same replies for an English chat read as they always have.

Features run as the application wires them (`build_services`) on SQLite with the shipped
knowledge base. Each German reply is also checked for stretches of the English msgids
(tests/support/leftover_english.py).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Services, build_services
from bot.clock import FakeClock
from bot.config import load_config
from bot.console import LEAVE_HINT, Console
from bot.core.checklist import checklist_row, state_label
from bot.core.context import ChatContext, Knowledge
from bot.core.responder import WELCOME, menu, stale, welcome
from bot.features.preferences import find_region, region_buttons
from bot.features.reminders import compact_lead_times, lead_time_problem
from bot.i18n.formatting import lead_time
from bot.knowledge.model import REGIONS, KnowledgeBase
from bot.matching.matcher import Candidate, MatchResult
from bot.reminders.plan import format_lead
from bot.replies import Reply
from bot.store.repository import MAX_LEAD_TIMES, Store
from tests.support.leftover_english import leftover_english

GERMAN, ENGLISH = 5001, 5002


@pytest.fixture
async def services(tmp_path: Path, kb: KnowledgeBase, clock: FakeClock) -> AsyncIterator[Services]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    services = build_services(load_config({}), kb, store, clock=clock)
    await store.set_language(GERMAN, "de")
    try:
        yield services
    finally:
        await services.close()


async def ctx_of(services: Services, chat: int, text: str | None) -> ChatContext:
    return await services.chat_context(chat, 1, "en", text)


async def say(services: Services, text: str, chat: int = GERMAN) -> list[Reply]:
    ctx = await ctx_of(services, chat, text)
    assert ctx.language == ("de" if chat == GERMAN else "en")
    return (await services.responder.message(text, ctx)).replies


async def press(services: Services, data: str, chat: int = GERMAN) -> list[Reply]:
    return await services.responder.callback(data, await ctx_of(services, chat, None))


def read(replies: list[Reply]) -> str:
    """Everything a person reads in the replies: texts, button labels and toasts."""
    parts = []
    for reply in replies:
        parts += [reply.text, reply.toast or ""]
        parts += [b.label for b in reply.all_buttons()]
    return "\n".join(p for p in parts if p)


def german(replies: list[Reply]) -> str:
    """The replies' words, after checking no English interface sentence is left in them."""
    assert leftover_english([read(replies)], "de") == [], read(replies)
    return read(replies)


def with_deadline_ahead(kb: KnowledgeBase, clock: FakeClock) -> KnowledgeBase:
    """The knowledge base plus a last day to act for Facebook, ten days from now."""
    base = next(d for d in kb.deadlines.values() if d.is_task)
    soon = replace(
        base,
        id="test-soon",
        at=clock.now() + timedelta(days=10),
        regions=REGIONS,
        platforms=("facebook",),
        texts={"de": replace(next(iter(base.texts.values())), title="Testfrist")},
    )
    return replace(kb, deadlines={**kb.deadlines, soon.id: soon})


# -- the core --------------------------------------------------------------------------------
async def test_start_help_and_the_menu_read_german(services: Services):
    start = german(await say(services, "/start"))
    assert "Ich helfe dir, deine Beiträge aus dem KI-Training herauszuhalten" in start
    assert "Wo wohnst du? Davon hängt ab, was du tun kannst:" in start
    assert "🛑 Widerspruch Schritt für Schritt" in start and "⏰ Fristen" in start
    assert "EU / EWR" in start and "🌐 Sprache: Deutsch" in start
    helped = german(await say(services, "/help"))
    assert helped.startswith("Frag mich in deinen eigenen Worten alles")
    assert "/optout – Widerspruch Schritt für Schritt für eine App" in helped
    assert "/privacy – Was ich über diesen Chat speichere" in helped
    unknown = german(await say(services, "/frobnicate"))
    assert unknown.startswith("Den Befehl /frobnicate kenne ich nicht. Das kann ich:")
    assert "Gern geschehen" in german(await say(services, "danke"))
    assert german(await say(services, "Hilfe")) == helped  # "help" in German is help too
    assert german(await say(services, "Guten Tag")).startswith("👋 <b>Hallo!")


async def test_fallback_clarify_empty_and_stale_read_german(services: Services):
    responder = services.responder
    ctx = await ctx_of(services, GERMAN, "Wie backe ich einen Apfelkuchen?")
    fallback = german([responder.fallback("Wie backe ich einen Apfelkuchen?", ctx.language)])
    assert fallback.startswith("Tut mir leid, auf „Wie backe ich einen Apfelkuchen?“")
    topics = list(services.knowledge.kb.topics)[:2]
    vague = MatchResult("clarify", None, 50.0, tuple(Candidate(t, 50.0) for t in topics))
    clarify = german([responder.reply_for(vague, "meta ki", ctx)])
    assert "ob ich „meta ki“ richtig verstehe. Meintest du:" in clarify
    assert "Nichts davon" in clarify
    assert "Schick mir eine Frage" in german((await responder.text("  ", ctx)).replies)
    outdated = german(await press(services, "zz:nothing"))
    assert outdated.startswith("Dieser Button ist veraltet")


async def test_faq_pages_and_optout_prompts_read_german(services: Services):
    first = german(await say(services, "/faq"))
    assert first.startswith("<b>Fragen, die ich beantworten kann</b> (Seite 1 von")
    assert "Weiter ▶️" in first
    second = german(await press(services, "f:1"))
    assert "◀️ Zurück" in second
    assert "<b>Welche App?</b>" in german(await say(services, "/optout"))
    typo = german(await say(services, "/optout fakebook"))
    assert "Eine App namens „fakebook“ kenne ich nicht. Meintest du Facebook?" in typo
    assert "Andere Apps" in typo
    unknown = german(await say(services, "/optout tiktok"))
    assert "Die Schritte kann ich dir für diese Apps zeigen:" in unknown


async def test_deadline_footer_reads_german(services: Services):
    everywhere = german(await say(services, "/deadline"))
    assert "Hier stehen die Termine für alle Regionen" in everywhere
    await say(services, "/region eu")
    mine = german(await say(services, "/deadline"))
    assert "<i>Termine für die Region EU / EWR.</i>" in mine


# -- /region and /timezone -------------------------------------------------------------------
async def test_region_replies_read_german(services: Services):
    current = german(await say(services, "/region"))
    assert current.startswith("Deine Region: <b>nicht festgelegt</b>. Wähle eine:")
    assert "Vereinigtes Königreich" in current and "Anderswo" in current
    poland = german(await say(services, "/region Polen"))
    assert poland.startswith("Region festgelegt: <b>EU / EWR</b> (Polen).")
    assert "Ich zeige dir die Schritte und Termine, die dort gelten." in poland
    typo = german(await say(services, "/region germny"))
    assert "Die Region oder das Land „germny“ kenne ich nicht. Meintest du Deutschland?" in typo
    elsewhere = german(await say(services, "/region Anderswo"))  # a region's German name
    assert "Dort bietet Meta keinen allgemeinen Widerspruch an" in elsewhere
    assert (await services.store.get_settings(GERMAN)).region == "other"
    tapped = german(await press(services, "r:ch"))
    assert tapped.startswith("Region festgelegt: <b>Schweiz</b>.")


def test_region_names_are_read_in_every_language():
    assert find_region("EU / EWR")[0] == find_region("UE / EEE")[0] == "eu"
    assert find_region("Gdzie indziej")[0] == "other"
    region, place = find_region("Brasil")  # a country's name wins over the region's label
    assert region == "br" and place is not None and place.code == "BR"
    labels = [b.label for row in region_buttons("pl") for b in row]
    assert "Wielka Brytania" in labels and "UE / EOG" in labels


async def test_timezone_replies_read_german(services: Services):
    shown = german(await say(services, "/timezone"))
    assert shown.startswith("Deine Zeitzone: <b>Europe/Brussels</b> (Standard).")
    set_it = german(await say(services, "/timezone Berlin"))
    assert set_it.startswith("Zeitzone festgelegt: <b>Europe/Berlin</b> (dort ist es jetzt ")
    fixed = german(await say(services, "/timezone UTC+2"))
    assert "das ganze Jahr fest UTC+2" in fixed
    old = german(await say(services, "/timezone Asia/Calcutta"))
    assert "(Asia/Calcutta ist ein alter Name dafür;" in old
    odd = german(await say(services, "/timezone UTC+5:45"))
    assert odd.startswith("Für UTC+5:45 gibt es keine feste Zeitzone.")
    typo = german(await say(services, "/timezone Berlinn"))
    assert typo.startswith("Die Zeitzone „Berlinn“ kenne ich nicht. Meintest du <code>")


# -- the checklist and /status ---------------------------------------------------------------
async def test_checklist_buttons_ticks_and_status_read_german(services: Services):
    await say(services, "/region eu")
    steps = german(await say(services, "/optout instagram"))
    assert "✅ Erledigt" in steps and "⏰ Später" in steps and "🚫 Nicht für mich" in steps
    done = german(await press(services, "c:instagram:done"))
    assert done.startswith("Instagram: ✅ erledigt.")
    later = german(await press(services, "c:facebook:later"))
    assert "Es steht keine Frist an, also gibt es nichts, woran ich dich erinnern müsste" in later
    status = german(await say(services, "/status"))
    assert status.startswith("<b>Deine Widerspruchs-Checkliste</b>")
    assert "Instagram: ✅ erledigt" in status and "Facebook: ⏰ später" in status
    assert "Tippe auf eine App, um ihre Schritte zu sehen" in status
    assert "Schritte für Facebook" in status


async def test_later_names_a_deadline_in_german(
    services: Services, kb: KnowledgeBase, clock: FakeClock
):
    services.knowledge.replace(Knowledge.build(with_deadline_ahead(kb, clock)))
    later = german(await press(services, "c:facebook:later"))
    assert "Schick /remind, dann erinnere ich dich vor „Testfrist“ (in 10 Tagen)." in later
    assert "Noch offen:" in later


def test_checklist_labels_default_to_english():
    assert [b.label for b in checklist_row("instagram")] == ["✅ Done", "⏰ Later", "🚫 Not for me"]
    assert checklist_row("instagram", "pt")[0].label == "✅ Feito"
    assert state_label("na") == "🚫 not for me" and state_label(None, "pl") == "▫️ jeszcze nie"


# -- /remind ---------------------------------------------------------------------------------
async def test_remind_replies_read_german(services: Services, kb: KnowledgeBase, clock: FakeClock):
    services.knowledge.replace(Knowledge.build(with_deadline_ahead(kb, clock)))
    on = german(await say(services, "/remind"))
    assert on.startswith("<b>✅ Erinnerungen sind an</b>: 3 Tage, 1 Tag, 2 Stunden vor jeder")
    assert "Als Nächstes (deine Zeitzone):" in on
    assert "vor „Testfrist“, mit den Apps, die du noch nicht abgehakt hast" in on
    spelled = german(await say(services, "/remind 2 Tage 12 Stunden"))
    assert "<b>✅ Erinnerungen sind an</b>: 2 Tage 12 Stunden vor jeder Frist." in spelled
    assert "<b>Deine Erinnerungen</b>" in german(await say(services, "/remind list"))
    bad = german(await say(services, "/remind bald"))
    assert bad.startswith("Das hat nicht geklappt: „bald“ ist keine Vorlaufzeit")
    off = german(await say(services, "/remind off"))
    assert off.startswith("Erinnerungen sind aus:")
    assert german(await say(services, "/stop")).startswith("Du hattest keine Erinnerungen.")
    assert german(await say(services, "/remind list")).startswith("Du hast keine Erinnerungen.")


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("0 Tage", "„0d“ ist null"),
        ("-3 Tage", "„-3d“ ist negativ"),
        ("400 Tage", "mehr als 365 Tage vor der Frist"),
        ("1d 24h", "„24h“ steht doppelt da"),
        (
            " ".join(f"{n}d" for n in range(1, MAX_LEAD_TIMES + 2)),
            f"höchstens {MAX_LEAD_TIMES} Vorlaufzeiten, du hast {MAX_LEAD_TIMES + 1} angegeben",
        ),
    ],
)
def test_lead_time_errors_say_what_is_wrong_in_german(typed, says):
    problem = lead_time_problem(compact_lead_times(typed), "de")
    assert problem is not None and says in problem
    assert lead_time_problem(compact_lead_times(typed), "en") is not None


def test_lead_times_read_in_every_language():
    assert compact_lead_times("3 Tage, 1 Tag") == "3d ,  1d"
    assert compact_lead_times("2 horas e 30 minutos") == "2h30m"
    assert compact_lead_times("1 dzień 12 godzin") == "1d12h"
    for seconds in (60, 5400, 86400, 129600, 3 * 86400):
        assert lead_time(seconds, "en") == format_lead(seconds)
    assert lead_time(129600, "pl") == "1 dzień 12 godzin"
    assert lead_time(2 * 3600, "pt") == "2 horas"


# -- /privacy and /forget --------------------------------------------------------------------
async def test_privacy_and_forget_read_german(services: Services):
    await say(services, "/region eu")
    await say(services, "/remind 3d 1d")
    await press(services, "c:threads:na")
    shown = german(await say(services, "/privacy"))
    assert shown.startswith("<b>Was ich über diesen Chat speichere</b>")
    assert "• Sprache: Deutsch (um darin zu antworten)" in shown
    assert "• Region: EU / EWR (um die Schritte" in shown
    assert "• Zeitzone: nicht festgelegt, also Europe/Brussels" in shown
    assert "• Erinnerungen: an, 3 Tage und 1 Tag vor jeder Frist" in shown
    assert "Threads: 🚫 nicht für mich" in shown and "🗑 Alles löschen" in shown
    ask = german(await press(services, "x:ask"))
    assert ask.startswith("Alles löschen, was ich über diesen Chat speichere")
    assert "Ja, alles löschen" in ask and "Nein, behalten" in ask
    assert german(await press(services, "x:no")) == "Es wurde nichts gelöscht."
    done = german(await press(services, "x:yes"))
    assert done.startswith("Erledigt: Ich habe alles gelöscht")


# -- the console -----------------------------------------------------------------------------
async def test_the_console_speaks_the_chats_language(services: Services):
    out = io.StringIO()
    typed = "/language de\n/optout\n99\n"
    await Console(services, out).run(io.StringIO(typed), prompt=False, echo=True)
    text = out.getvalue()
    assert LEAVE_HINT in text  # the console starts in English, before any choice
    assert "Wähle 1, 2" in text


# -- English stays as it was -----------------------------------------------------------------
async def test_english_replies_are_unchanged(services: Services):
    (start,) = await say(services, "/start", ENGLISH)
    assert start.text.startswith(WELCOME + "\n\nWhere do you live? It changes what you can do:")
    assert [b.label for b in start.all_buttons()][:3] == [
        "🛑 Opt out, step by step",
        "📖 All questions",
        "⏰ Deadlines",
    ]
    assert welcome() == Reply(WELCOME, menu())
    assert stale().toast == "That button is out of date."
    (region,) = await say(services, "/region Poland", ENGLISH)
    assert region.text.startswith("Region set: <b>EU / EEA</b> (Poland).")
    (on,) = await say(services, "/remind 3d 1d", ENGLISH)
    assert on.text.startswith("<b>✅ Reminders are on</b>: 3 days, 1 day before each deadline.")
    (bad,) = await say(services, "/remind 3 dayz", ENGLISH)
    assert bad.text.startswith("That didn't work: '3' has no unit: use a number and a unit")
    (privacy,) = await say(services, "/privacy", ENGLISH)
    assert "• Reminders: on, 3 days and 1 day before each deadline" in privacy.text
    assert "• Language: not chosen (I answer in the language you write in)" in privacy.text


def test_leftover_english_finds_an_english_sentence_in_a_german_reply():
    assert leftover_english(["Das hat nicht geklappt. That button is out of date."], "de") == [
        "That button is out of date"
    ]
    assert leftover_english(["Dieser Button ist veraltet. /remind off, Instagram"], "de") == []
