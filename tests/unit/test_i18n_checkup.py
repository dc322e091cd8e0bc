"""The checkup, /letter, /calendar, 👍/👎, the outage and flood words and /stats in the chat's
language: a German (or Portuguese, Polish) chat reads them in its language, and English stays
exactly as it was.

Expected translations come from the catalogues (`translator`), so the tests check that each
message goes through them, not the wording of a translation; a few native words are checked
directly to show a reply is not English with a German label.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import icalendar
import pytest

from bot.app import Services, build_services
from bot.checkup import buttons, texts
from bot.checkup.alerts import Change
from bot.checkup.calendar import Recheck, build_calendar
from bot.checkup.checklist import checklist_items, progress
from bot.checkup.nudges import PeriodError, parse_period, plan_nudge
from bot.clock import FakeClock
from bot.config import load_config
from bot.core.commands import Router
from bot.core.context import ChatContext
from bot.features.feedback import Feedback
from bot.features.language import Languages
from bot.features.operator import SLOW_DOWN
from bot.features.outage import SETTINGS_UNAVAILABLE, StorageWatch, guard_routes
from bot.i18n.catalog import translator
from bot.knowledge.model import KnowledgeBase
from bot.replies import Reply
from bot.store.errors import StorageUnavailable
from bot.store.repository import Store
from bot.telegram.handlers import NOT_TEXT, SORRY, _language, _say
from tests.support.store_fixtures import Backend, backend_fixture, store_fixture  # noqa: F401

CHAT, ADMIN = 6161, 77
APPS = ("instagram", "whatsapp", "linkedin")
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def de(message: str) -> str:
    return translator("de").gettext(message)


def labels(reply: Reply) -> list[str]:
    return [b.label for b in reply.all_buttons()]


# -- the texts themselves ----------------------------------------------------------------------


def test_checklist_nudge_and_alert_read_german_and_english_stays(kb: KnowledgeBase) -> None:
    items = checklist_items(kb, APPS, {"instagram": "done", "linkedin": "na"}, "eu")
    english = texts.checklist_text(items, progress(items))
    assert english.startswith("<b>Your AI-privacy checklist</b>: 1 of 2 done (1 not for me)")
    assert "• <b>Instagram</b>: object through Meta's form. ✅ done" in english
    german = texts.checklist_text(items, progress(items), "de")
    assert german.startswith("<b>Deine KI-Datenschutz-Checkliste</b>: 1 von 2 erledigt")
    assert "über das Formular von Meta widersprechen. ✅ erledigt" in german
    for word in ("checklist", "done", "not for me", "Tap an app"):
        assert word not in german

    plan = plan_nudge(kb, (*APPS, "facebook"), {"instagram": "done"}, "eu")
    assert plan is not None
    assert "3 of your 4 apps are still open:" in texts.nudge_text(plan)
    assert "3 von deinen 4 Apps sind noch offen:" in texts.nudge_text(plan, "de")
    assert "3 dos seus 4 apps ainda estão pendentes:" in texts.nudge_text(plan, "pt")
    # Polish counts have three forms: 2-4 "czekają", 5 and more "czeka".
    assert "wciąż czekają:" in texts.nudge_text(plan, "pl")

    change = Change("platform", "instagram", None, False)
    alert = texts.alert_text(change, kb, "eu", "de")
    assert alert is not None and alert.startswith("<b>Instagram hat sich geändert</b>")
    assert "<b>Instagram: so widersprichst du</b>" in alert  # the steps in German too
    assert "/remind off stellt sie ab" in alert
    assert texts.alert_text(change, kb, "eu").startswith("<b>Instagram changed</b>")  # type: ignore[union-attr]


def test_buttons_are_labelled_in_the_chat_language_with_the_same_callbacks(
    kb: KnowledgeBase,
) -> None:
    items = checklist_items(kb, APPS, {}, "eu")
    english = buttons.checklist_buttons(items)
    german = buttons.checklist_buttons(items, "de")
    data = [b.data for row in english for b in row]
    assert [b.data for row in german for b in row] == data
    assert "✅ Erledigt" in [b.label for row in german for b in row]
    assert "✅ Done" in [b.label for row in english for b in row]
    assert [b.label for b in buttons.tick_row("facebook", "c", "pt")] == [
        "✅ Feito",
        "⏰ Depois",
        "🚫 Não é para mim",
    ]
    assert buttons.region_buttons("de")[0][0].label == "EU / EWR"
    assert buttons.region_buttons()[0][0].label == "EU / EEA"
    vote = buttons.vote_buttons("what-is-training", "de")[0]
    assert [b.label for b in vote] == ["👍 Hilfreich", "👎 Nicht hilfreich"]


def test_a_refused_period_is_explained_in_the_chat_language() -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period("every 400d")
    assert "400 days is out of range" in str(caught.value)  # the log's words stay English
    german = texts.period_error(caught.value, "de")
    assert german.startswith("400 Tage liegen außerhalb des Bereichs")
    assert "zwischen 30 und 365 Tagen" in german
    assert texts.period_error(caught.value) == str(caught.value)


def test_the_calendar_file_and_caption_in_german(kb: KnowledgeBase) -> None:
    recheck = Recheck(NOW, 90, "Europe/Berlin", ("Instagram",))
    german = icalendar.Calendar.from_ical(
        build_calendar(kb, region="eu", now=NOW, recheck=recheck, language="de")
    )
    english = icalendar.Calendar.from_ical(
        build_calendar(kb, region="eu", now=NOW, recheck=recheck)
    )
    assert str(german["X-WR-CALNAME"]) == "Widerspruch gegen KI-Training (EU / EWR)"
    assert str(english["X-WR-CALNAME"]) == "AI-training opt-out (EU / EEA)"
    by_uid = {str(e["UID"]): e for e in german.walk("VEVENT")}
    assert set(by_uid) == {str(e["UID"]) for e in english.walk("VEVENT")}
    assert str(by_uid["recheck@optout-bot"]["SUMMARY"]) == "KI-Training-Einstellungen erneut prüfen"
    for uid, event in by_uid.items():
        if uid != "recheck@optout-bot":
            deadline = kb.deadlines[uid.split("@")[0]]
            assert str(event["SUMMARY"]) == deadline.for_language("de").title
    caption = texts.calendar_caption("uk", 2, 30, "de")
    assert caption.startswith("📅 <b>Dein KI-Datenschutz-Kalender</b>: 2 Termine")
    assert "alle 30 Tage" in caption and "Vereinigtes Königreich" in caption
    assert texts.calendar_caption(None, 1, None).startswith(
        "📅 <b>Your AI-privacy calendar</b>: 1 dated event for every region."
    )


def test_the_next_nudge_time_in_each_language() -> None:
    moment = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    assert texts.local_moment(moment, "Europe/Berlin") == "Mon 01 Mar 2027, 09:00"
    assert texts.local_moment(moment, "Europe/Berlin", "de") == "Mo., 1. März 2027, 09:00"
    assert "mars 2027" in texts.local_moment(moment, "Europe/Paris", "fr")


# -- the features, wired as the application wires them ----------------------------------------


@pytest.fixture
def services(store: Store, kb: KnowledgeBase) -> Services:
    config = load_config({"ADMIN_IDS": str(ADMIN)})
    return build_services(config, kb, store, clock=FakeClock(NOW))


async def command(services: Services, name: str, args: str = "", user: int | None = None):
    ctx = await services.chat_context(CHAT, user, text=f"/{name} {args}".strip())
    return await services.responder.command(name, args, ctx)


async def press(services: Services, data: str) -> list[Reply]:
    return await services.responder.callback(data, await services.chat_context(CHAT))


async def test_a_german_chat_does_the_checkup_in_german(services: Services, store: Store) -> None:
    await store.set_language(CHAT, "de")
    (ask,) = await command(services, "checkup")
    assert ask.text == de(texts.ASK_REGION) != texts.ASK_REGION
    assert "Schweiz" in labels(ask)
    (picker,) = await press(services, "k:region:eu")
    assert picker.text.startswith("<b>Welche davon nutzt du?</b>")
    assert "Fertig ✔️" in labels(picker)
    (empty,) = await press(services, "k:done")
    assert de(texts.NOTHING_CHOSEN) in empty.text
    for app in APPS:
        (picker,) = await press(services, f"u:{app}")
    assert picker.toast == "✅ LinkedIn"
    (checklist,) = await press(services, "k:done")
    assert "0 von 3 erledigt" in checklist.text
    assert {"📖 Instagram: Schritte", "✅ Erledigt", "✏️ Meine Apps ändern"} <= set(
        labels(checklist)
    )
    (ticked,) = await press(services, "y:whatsapp:done")
    assert ticked.toast == "WhatsApp: ✅ erledigt"
    (status,) = await command(services, "status")
    assert "1 von 3 erledigt" in status.text

    (bad,) = await command(services, "remind", "every 3d")
    assert bad.text.startswith("Das hat nicht geklappt: 3 Tage liegen außerhalb")
    (on,) = await command(services, "remind", "every 30d")
    assert on.text.startswith("✅ <b>Erinnerungen zum Nachprüfen sind an</b>: alle 30 Tage")
    assert "Die nächste: Di., 29. Dez. 2026, 11:00 (deine Zeitzone)." in on.text

    (calendar,) = await command(services, "calendar")
    assert calendar.text.startswith("📅 <b>Dein KI-Datenschutz-Kalender</b>")
    assert calendar.document is not None
    cal = icalendar.Calendar.from_ical(calendar.document.content)
    assert str(cal["X-WR-CALNAME"]) == "Widerspruch gegen KI-Training (EU / EWR)"


async def test_an_english_chat_reads_the_checkup_as_before(services: Services, store: Store):
    await store.set_language(CHAT, "en")
    (ask,) = await command(services, "checkup")
    assert ask.text == texts.ASK_REGION
    (picker,) = await press(services, "k:region:eu")
    assert "Done ✔️" in labels(picker) and "Which of these do you use?" in picker.text
    (bad,) = await command(services, "remind", "every 3d")
    assert bad.text.startswith("That didn't work: 3 days is out of range")


async def test_letter_unknown_app_and_votes_in_portuguese(services: Services, store: Store):
    await store.set_language(CHAT, "pt")
    await store.set_region(CHAT, "br")
    (letter,) = await command(services, "letter", "instagram")
    assert "Com base no art. 18, § 2º, da Lei Geral de Proteção de Dados" in letter.text
    assert "manifesto minha oposição" in letter.text and "I object" not in letter.text
    (unknown,) = await command(services, "letter", "myspace")
    assert unknown.text.startswith("Não conheço nenhum app chamado “myspace”.")
    topic = next(iter(services.knowledge.kb.topics))
    (thanks,) = await press(services, f"v:{topic}:up")
    assert thanks.toast == "Obrigado! Que bom que ajudou."


async def test_votes_under_an_answer_follow_the_answer_language(services: Services) -> None:
    topic = next(iter(services.knowledge.kb.topics.values()))
    feedback = Feedback(services.store, services.clock, services.knowledge)
    assert [b.label for b in feedback.answer_extras(topic, "de")[0]] == [
        "👍 Hilfreich",
        "👎 Nicht hilfreich",
    ]
    assert [b.label for b in feedback.answer_extras(topic)[0]] == ["👍 Helpful", "👎 Not helpful"]


async def test_the_outage_message_is_in_the_chat_language() -> None:
    async def needs_storage(args: str, ctx: ChatContext) -> list[Reply]:
        raise StorageUnavailable("database is locked")

    routes = guard_routes(Router().command("status", needs_storage), StorageWatch())
    handler = routes.commands["status"].handler
    (german,) = await handler("", ChatContext(chat_id=1, language="de"))
    assert german.text == de(SETTINGS_UNAVAILABLE) != SETTINGS_UNAVAILABLE
    assert german.text.startswith("⚠️ Deine Einstellungen sind gerade nicht erreichbar")
    assert german.toast and "nichts ist verloren" in german.toast
    (english,) = await handler("", ChatContext(chat_id=1))
    assert english.text == SETTINGS_UNAVAILABLE


async def test_stats_and_reload_answer_the_operator_in_their_language(
    services: Services, store: Store
) -> None:
    await store.set_language(CHAT, "de")
    (stats,) = await command(services, "stats", user=ADMIN)
    assert stats.text.startswith("<b>optout-bot-Statistik</b> (nur Gesamtzahlen)")
    assert "Anteil ohne Antwort: -" in stats.text
    (reloaded,) = await command(services, "reload", user=ADMIN)
    assert reloaded.text.startswith("✅ Neu geladen:")
    await store.set_language(CHAT, "en")
    (stats,) = await command(services, "stats", user=ADMIN)
    assert "Fallback share: -" in stats.text


# -- Telegram's own words ------------------------------------------------------------------------


def update(chat_type: str, language_code: str | None, chat_id: int = 7) -> SimpleNamespace:
    return SimpleNamespace(
        effective_chat=SimpleNamespace(type=chat_type, id=chat_id),
        effective_user=SimpleNamespace(language_code=language_code),
    )


NO_SERVICES = SimpleNamespace(application=SimpleNamespace(bot_data={}))  # before post_init


def test_the_handlers_words_follow_the_telegram_language_of_a_private_chat() -> None:
    private = update("private", "de-AT")
    assert _language(private, None) == "de"  # type: ignore[arg-type]
    assert _say(SORRY, private, NO_SERVICES) == de(SORRY) != SORRY  # type: ignore[arg-type]
    assert _say(SLOW_DOWN, update("private", "pt-br"), NO_SERVICES).startswith(  # type: ignore[arg-type]
        "Você está enviando"
    )
    assert _say(NOT_TEXT, update("private", "en"), NO_SERVICES) == NOT_TEXT  # type: ignore[arg-type]
    assert _say(NOT_TEXT, update("private", "ja"), NO_SERVICES) == NOT_TEXT  # type: ignore[arg-type]
    # A group's members differ: English, except a toast only the presser sees.
    group = update("supergroup", "de")
    assert _say(SORRY, group, NO_SERVICES) == SORRY  # type: ignore[arg-type]
    assert _say(SORRY, group, NO_SERVICES, presser=True) == de(SORRY)  # type: ignore[arg-type]


async def test_the_handlers_words_follow_the_language_the_chat_was_last_answered_in(
    store: Store,
) -> None:
    """A reader whose Telegram is in English and who chose German reads "sorry" in German,
    also in a group that was answered in Portuguese, and during an outage (memory only)."""
    languages = Languages(store)
    await languages.language("de", ChatContext(chat_id=7, language="en"))
    services = SimpleNamespace(languages=languages)
    assert _language(update("private", "en", 7), services) == "de"  # type: ignore[arg-type]
    question = "Como faço para impedir a Meta de usar minhas fotos do Instagram na IA?"
    languages.choose(ChatContext(chat_id=-100, language="en"), question, None)
    assert _language(update("supergroup", "en", -100), services) == "pt"  # type: ignore[arg-type]
    # A chat the process has not answered yet: as before.
    assert _language(update("private", "fr", 8), services) == "fr"  # type: ignore[arg-type]
