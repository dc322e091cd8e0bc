"""What a newcomer meets in the console and the core: links, leaving, paging, confirmations,
readable /privacy, honest "Later", forgiving /optout, /remind, /timezone and /region, small talk.

Features run as the application wires them (`build_services`), stored for real on SQLite and
PostgreSQL; the Telegram side of the same bullets is tests/e2e/test_telegram_ux.py.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import Services, build_services
from bot.clock import FakeClock
from bot.config import load_config
from bot.console import LEAVE_HINT, Console, plain_replies, to_plain
from bot.core.context import ChatContext, Knowledge
from bot.core.responder import FAQ_BACK_KEY, FAQ_MORE_KEY, Responder
from bot.core.smalltalk import small_talk
from bot.features.preferences import read_region, region_buttons
from bot.features.timezones import _zones, resolve_timezone
from bot.i18n.languages import NATIVE_NAMES
from bot.knowledge.model import REGION_NAMES, REGIONS, KnowledgeBase
from bot.replies import Button, Reply
from bot.store.repository import Store
from tests.support.store_fixtures import backend_fixture, store_fixture  # noqa: F401

CHAT = 5151


@pytest.fixture
def services(store: Store, kb: KnowledgeBase, clock: FakeClock) -> Services:
    return build_services(load_config({}), kb, store, clock=clock)


async def say(services: Services, text: str) -> list[Reply]:
    ctx = await services.chat_context(CHAT)
    return (await services.responder.message(text, ctx)).replies


async def said(services: Services, text: str) -> str:
    return "\n".join(r.text for r in await say(services, text))


async def press(services: Services, data: str) -> list[Reply]:
    return await services.responder.callback(data, await services.chat_context(CHAT))


async def console_transcript(services: Services, typed: str) -> str:
    out = io.StringIO()
    await Console(services, out).run(io.StringIO(typed), prompt=False, echo=True)
    return out.getvalue()


def with_deadline_ahead(kb: KnowledgeBase, clock: FakeClock, platform: str) -> KnowledgeBase:
    """The knowledge base plus a last day to act for `platform`, ten days from now."""
    base = next(d for d in kb.deadlines.values() if d.at is not None)
    fields = {
        "id": "test-soon",
        "title": "Test deadline",
        "at": clock.now() + timedelta(days=10),
        "regions": REGIONS,
        "platforms": (platform,),
    }
    if hasattr(base, "kind"):
        fields["kind"] = "deadline"
    soon = replace(base, **fields)
    return replace(kb, deadlines={**kb.deadlines, soon.id: soon})


# -- links, leaving, paging, confirmations -------------------------------------------------
def test_plain_text_keeps_every_link_url():
    html = (
        '🔗 <a href="https://example.org/form?a=1&amp;b=2">Direct link to the <b>form</b></a> '
        '(log in first) and <i>more</i> &lt;3 <a href="https://example.org/x">'
        "https://example.org/x</a>"
    )
    assert to_plain(html) == (
        "🔗 Direct link to the form <https://example.org/form?a=1&b=2> (log in first) and more <3 "
        "https://example.org/x"
    )


def test_plain_replies_number_buttons_show_link_buttons_and_keep_shortcuts():
    reply = Reply(
        "Pick one",
        (
            (Button("A", "t:a"), Button("Form", url="https://example.org/f")),
            (Button("Back", "f:0", shortcut="0"), Button("More", "f:2", shortcut="2")),
            (Button("B", "t:b"),),
        ),
    )
    shown = plain_replies([reply])
    assert shown.choices == {"1": "t:a", "0": "f:0", "2": "f:2", "3": "t:b"}
    assert "  -> Form: https://example.org/f" in shown.text
    assert "  [3] B" in shown.text


async def test_the_console_says_how_to_leave_and_quit_and_exit_leave(services: Services):
    for word in ("quit", "exit", "/quit", "EXIT"):
        out = await console_transcript(services, f"{word}\nare my dms used\n")
        assert LEAVE_HINT in out and "Ctrl-D" in LEAVE_HINT
        assert out.rstrip().endswith(f"> {word}"), out[-200:]
    out = await console_transcript(services, "are my dms used\n")  # end of input: Ctrl-D
    assert "private" in out.lower() and out.rstrip().endswith(">")


async def test_faq_pages_keep_their_numbers_in_the_console(services: Services, kb: KnowledgeBase):
    console = Console(services, io.StringIO())
    await console.handle("/faq")
    assert console.choices[FAQ_MORE_KEY] == "f:1" and FAQ_BACK_KEY not in console.choices
    titles = [t.title for t in kb.topics.values()]
    for page in (1, 2):
        await console.handle(FAQ_MORE_KEY)
        assert console.choices[FAQ_BACK_KEY] == f"f:{page - 1}"
        assert console.choices[FAQ_MORE_KEY] == f"f:{page + 1}"
        assert [console.choices[str(i)] for i in range(1, 9)] == [
            f"t:{t.id}" for t in list(kb.topics.values())[page * 8 : page * 8 + 8]
        ]
    await console.handle(FAQ_BACK_KEY)
    assert console.choices["1"] == f"t:{list(kb.topics)[8]}"
    assert len(titles) > 24  # three full pages were walked


async def test_ticking_an_app_off_confirms_it_once(services: Services):
    out = await console_transcript(services, "/region eu\n/optout facebook\n1\n")
    after = out.split("> 1", 1)[1]
    assert after.count("Facebook: ✅ done") == 1, after


async def test_a_number_that_is_no_choice_gets_a_hint(services: Services):
    out = await console_transcript(services, "/optout\n99\n")
    assert "Pick one of 1, 2" in out


# -- /privacy, Later --------------------------------------------------------------------------
async def test_privacy_shows_what_a_person_reads(services: Services):
    await say(services, "/region other")
    await say(services, "/remind 3d 1d")
    await press(services, "c:facebook:later")
    await press(services, "c:threads:na")
    text = await said(services, "/privacy")
    assert f"Region: {REGION_NAMES['other']} " in text
    assert "Facebook: ⏰ later" in text and "Threads: 🚫 not for me" in text
    assert "Language: not chosen" in text  # nothing stored: it follows the messages
    assert "3 days and 1 day before each deadline" in text
    assert "Time zone: not set, so Europe/Brussels" in text
    for internal in ("Region: other", "facebook:", "threads: na"):
        assert internal not in text
    await say(services, "/language pt")
    text = await said(services, "/privacy")  # now in Portuguese, with the language's own name
    assert f"Idioma: {NATIVE_NAMES['pt']} " in text and "Idioma: pt " not in text
    assert "Facebook: ⏰ depois" in text and "Threads: 🚫 não é para mim" in text
    assert "3 dias e 1 dia antes de cada prazo" in text


async def test_later_says_what_will_happen_when_no_deadline_is_ahead(services: Services):
    (reply,) = await press(services, "c:facebook:later")
    assert "No deadline is coming up" in reply.text
    assert "remind you before" not in reply.text
    await say(services, "/remind")
    (reply,) = await press(services, "c:instagram:later")
    assert "No deadline is coming up, so no reminder is due" in reply.text


async def test_later_names_the_deadline_when_one_is_ahead(
    services: Services, kb: KnowledgeBase, clock: FakeClock
):
    services.knowledge.replace(Knowledge.build(with_deadline_ahead(kb, clock, "facebook")))
    (reply,) = await press(services, "c:facebook:later")
    assert "Send /remind and I'll remind you before “Test deadline” (in 10 days)" in reply.text
    await say(services, "/remind")
    (reply,) = await press(services, "c:facebook:later")
    assert "I'll mention it in your reminders before “Test deadline”" in reply.text


# -- forgiving commands ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "name", "platform"),
    [("fakebook", "Facebook", "facebook"), ("instagarm", "Instagram", "instagram")],
)
async def test_optout_typos_get_did_you_mean(responder: Responder, typed, name, platform):
    (reply,) = await responder.command("optout", typed, ChatContext(chat_id=1))
    assert f"Did you mean {name}?" in reply.text
    assert reply.all_buttons()[0].data == f"p:{platform}"


async def test_optout_for_an_unknown_app_lists_the_known_ones(responder: Responder, kb):
    (reply,) = await responder.command("optout", "tiktok", ChatContext(chat_id=1))
    assert "Did you mean" not in reply.text
    assert all(p.name in reply.text for p in kb.platforms.values())


@pytest.mark.parametrize(
    ("typed", "leads"),
    [
        ("3 days", (3 * 86400,)),
        ("2 hours 30 min", (2 * 3600 + 1800,)),
        ("1 week", (7 * 86400,)),
        ("3 days, 1 day, 2 hours", (3 * 86400, 86400, 7200)),
        ("1 day 12 hours", (36 * 3600,)),
        ("3d 1d 2h", (3 * 86400, 86400, 7200)),
    ],
)
async def test_remind_reads_spelled_out_units(services: Services, store, typed, leads):
    text = await said(services, f"/remind {typed}")
    assert "Reminders are on" in text
    sub = await store.get_subscription(CHAT)
    assert sub is not None and tuple(sub.lead_times) == leads


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("3 dayz", "'3' has no unit"),
        ("0 days", "'0d' is zero"),
        ("-3 days", "'-3d' is negative"),
        ("400 days", "more than 365 days"),
    ],
)
async def test_remind_errors_keep_their_wording(services: Services, store, typed, error):
    text = await said(services, f"/remind {typed}")
    assert "That didn't work" in text and error in text
    assert await store.get_subscription(CHAT) is None


@pytest.mark.parametrize(
    ("typed", "stored", "says"),
    [
        ("Berlin", "Europe/Berlin", "Time zone set: <b>Europe/Berlin</b>"),
        ("berlin", "Europe/Berlin", "Time zone set: <b>Europe/Berlin</b>"),
        ("São Paulo", "America/Sao_Paulo", "America/Sao_Paulo"),
        ("CET", "CET", "Time zone set: <b>CET</b>"),
        ("UTC+2", "Etc/GMT-2", "a fixed UTC+2 all year"),
        ("+02:00", "Etc/GMT-2", "a fixed UTC+2 all year"),
        ("gmt-5", "Etc/GMT+5", "a fixed UTC-5 all year"),
        ("Europe/Belfast", "Europe/London", "Europe/Belfast is an old name for it"),
    ],
)
async def test_timezone_reads_cities_names_and_offsets(
    services: Services, store, typed, stored, says
):
    text = await said(services, f"/timezone {typed}")
    assert says in text
    assert (await store.get_settings(CHAT)).timezone == stored


async def test_an_offset_without_a_zone_of_its_own_suggests_places(services: Services, store):
    text = await said(services, "/timezone UTC+5:30")
    assert "no fixed time zone for UTC+5:30" in text and "Asia/Kolkata" in text
    assert (await store.get_settings(CHAT)).timezone is None


def test_timezone_suggestions_are_current_zones_never_old_links(clock: FakeClock):
    zones = _zones()
    assert "Europe/Belfast" in zones.links  # the tz database on this machine knows the link
    found = resolve_timezone("Europe/Belfst", clock.now())
    assert found.name is None and found.suggestions[0] == "Europe/London"
    for typo in ("Europe/Belfst", "Asia/Calcuta", "Europe/Kiev2", "US/Estern", "Belfst", "berln"):
        for zone in resolve_timezone(typo, clock.now()).suggestions:
            assert zone not in zones.links, (typo, zone)


@pytest.mark.parametrize(
    ("typed", "region", "place"),
    [
        ("germany", "eu", "Germany"),
        ("DE", "eu", "Germany"),
        ("Poland", "eu", "Poland"),
        ("Deutschland", "eu", "Germany"),
        ("Brasil", "br", "Brazil"),
        ("uk", "uk", ""),
        ("CH", "ch", ""),
        ("eu", "eu", ""),
        ("Elsewhere", "other", ""),
        ("japan", "other", "Japan"),
    ],
)
def test_region_reads_countries_and_codes_in_any_case(typed, region, place):
    assert read_region(typed) == (region, place)


def test_region_reads_the_regions_of_their_own():
    for code, region in (("us", "us"), ("US", "us"), ("canada", "ca"), ("Hong Kong", "hk")):
        expected = region if region in REGIONS else "other"
        assert read_region(code)[0] == expected


async def test_region_command_stores_the_region_of_a_country(services: Services, store):
    text = await said(services, "/region Poland")
    assert f"Region set: <b>{REGION_NAMES['eu']}</b> (Poland)" in text
    assert (await store.get_settings(CHAT)).region == "eu"
    text = await said(services, "/region germny")
    assert "Did you mean Germany?" in text
    assert (await store.get_settings(CHAT)).region == "eu"


def test_region_buttons_read_like_the_schema_names():
    labels = [b.label for row in region_buttons() for b in row]
    assert labels == [REGION_NAMES[r] for r in REGIONS]


@pytest.mark.parametrize("text", ["thanks", "Thank you!", "ok", "OK.", "👍", "👍🏽", "thx", "bye"])
async def test_small_talk_gets_a_short_friendly_reply(responder: Responder, text):
    turn = await responder.text(text, ChatContext(chat_id=1))
    assert turn.outcome.startswith("small-talk:") and turn.match is None
    (reply,) = turn.replies
    assert "Sorry" not in reply.text and len(reply.text) < 100


def test_questions_are_not_small_talk():
    for text in ("thanks, how do I object on instagram", "ok so what is meta ai", "is it ok"):
        assert small_talk(text) is None
