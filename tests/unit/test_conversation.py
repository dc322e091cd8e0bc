"""The framework-free core: the same replies the console and Telegram show."""

from __future__ import annotations

import pytest

from bot.core.commands import Router
from bot.core.context import ChatContext
from bot.core.responder import Responder
from bot.knowledge.model import KnowledgeBase
from bot.replies import Reply


def ctx(region: str | None = None) -> ChatContext:
    return ChatContext(chat_id=1, region=region)


async def test_start_and_help_offer_the_menu(responder: Responder):
    (start,) = await responder.command("start", "", ctx())
    assert "keep your posts out of AI training" in start.text
    datas = [b.data for b in start.all_buttons()]
    assert {"o:", "f:0", "d:"} <= set(datas)
    (help_,) = await responder.command("help", "", ctx())
    for name in ("/optout", "/faq", "/deadline"):
        assert name in help_.text


async def test_answer_for_a_plain_question(responder: Responder, kb: KnowledgeBase):
    (reply,) = (await responder.text("are my dms used for ai training", ctx())).replies
    assert kb.topics["private-messages"].text().question in reply.text


async def test_platform_plus_opt_out_goes_to_that_platforms_steps(responder: Responder):
    """The answer is short; its steps button gives the app's steps for the region."""
    for question, platform in [
        ("stop insta using my pics for ai", "Instagram"),
        ("fb opt out ai", "Facebook"),
        ("object to meta ai training on threads", "Threads"),
    ]:
        (reply,) = (await responder.text(question, ctx("eu"))).replies
        steps = next(b for b in reply.all_buttons() if b.label == f"📋 Steps for {platform}")
        (shown,) = await responder.callback(steps.data, ctx("eu"))
        assert f"{platform}: how to object" in shown.text, question


async def test_optout_without_argument_lists_platform_buttons(responder: Responder, kb):
    (reply,) = await responder.command("optout", "", ctx())
    assert {b.data for b in reply.all_buttons()} == {f"p:{p}" for p in kb.platforms}


async def test_optout_accepts_aliases(responder: Responder):
    (reply,) = await responder.command("optout", "  INSTA ", ctx("eu"))
    assert "Instagram: how to object" in reply.text


async def test_optout_unknown_platform_lists_known_ones(responder: Responder, kb):
    for junk in ("myspace", "x" * 1000 + "y", "<b>bold</b>", "🙂🙂🙂"):
        (reply,) = await responder.command("optout", junk, ctx())
        assert "I don't know an app called" in reply.text
        assert "<b>bold</b>" not in reply.text
        for platform in kb.platforms.values():
            assert platform.name in reply.text
        assert len(reply.text) < 1000


async def test_clarify_offers_up_to_three_topics(responder: Responder):
    result = None
    for question in ("meta", "facebook ai", "my data", "instagram", "ai"):
        result = responder.knowledge.matcher.match(question)
        if result.outcome == "clarify":
            break
    assert result is not None and result.outcome == "clarify"
    (reply,) = (await responder.text(question, ctx())).replies
    assert "Did you mean" in reply.text
    topics = [b.data for b in reply.all_buttons() if b.data.startswith("t:")]
    assert 1 <= len(topics) <= 3


async def test_fallback_for_off_topic(responder: Responder):
    (reply,) = (await responder.text("what's a good banana bread recipe", ctx())).replies
    assert "I don't have an answer" in reply.text
    assert "banana bread" in reply.text
    assert {"o:", "f:0"} <= {b.data for b in reply.all_buttons()}


async def test_user_text_is_escaped(responder: Responder):
    (reply,) = (await responder.text("<script>alert(1)</script> & banana", ctx())).replies
    assert "<script>" not in reply.text
    assert "&lt;script&gt;" in reply.text


async def test_empty_and_whitespace_text(responder: Responder):
    for text in ("", "   ", "\n\t"):
        (reply,) = (await responder.text(text, ctx())).replies
        assert "Send me a question" in reply.text


async def test_buttons_lead_somewhere(responder: Responder, kb: KnowledgeBase):
    (menu,) = await responder.command("start", "", ctx())
    seen: set[str] = set()
    frontier = [b.data for b in menu.all_buttons()]
    while frontier:
        data = frontier.pop()
        if data in seen or len(seen) > 400:
            continue
        seen.add(data)
        replies = await responder.callback(data, ctx("eu"))
        assert replies and all(r.text for r in replies)
        assert "out of date" not in replies[0].text, data
        frontier.extend(b.data for r in replies for b in r.all_buttons() if b.data)
    assert {f"t:{t}" for t in kb.topics} <= seen
    assert {f"p:{p}" for p in kb.platforms} <= seen


async def test_stale_or_forged_callbacks(responder: Responder):
    for data in ("t:no-such-topic", "s:gone", "p:myspace", "zzz", "", None, "f:abc"):
        replies = await responder.callback(data, ctx())
        assert replies and replies[0].text
    (stale,) = await responder.callback("t:no-such-topic", ctx())
    assert "out of date" in stale.text and stale.toast


async def test_unknown_command(responder: Responder):
    (reply,) = await responder.command("frobnicate", "now", ctx())
    assert "I don't know the command /frobnicate" in reply.text


async def test_faq_pages_cover_every_topic(responder: Responder, kb: KnowledgeBase):
    seen = []
    page = 0
    while True:
        (reply,) = await responder.callback(f"f:{page}", ctx())
        seen += [b.data[2:] for b in reply.all_buttons() if b.data.startswith("t:")]
        if not any(b.data == f"f:{page + 1}" for b in reply.all_buttons()):
            break
        page += 1
    assert seen == list(kb.topics)
    (past_end,) = await responder.command("faq", "999", ctx())
    assert "page" in past_end.text


async def test_deadline_command_is_computed_from_the_clock(responder: Responder, clock):
    (now,) = await responder.command("deadline", "", ctx())
    clock.advance(86400 * 400)
    (later,) = await responder.command("deadline", "", ctx())
    assert now.text != later.text


async def test_routes_are_fixed_when_the_responder_is_built(responder: Responder, clock):
    async def greet(args: str, ctx: ChatContext) -> list[Reply]:
        return [Reply(f"welcome {args}".strip())]

    async def not_for_you(args: str, ctx: ChatContext) -> None:
        return None

    routes = Router().command("start", greet).command("secret", not_for_you)
    routes.command("remind", greet, "Reminders")
    custom = Responder(responder.live, clock, routes=routes)
    # The feature's /start answers typed commands and greetings alike.
    assert [r.text for r in await custom.command("start", "", ctx())] == ["welcome"]
    turn = await custom.message("Hello", ctx())
    assert (turn.command, [r.text for r in turn.replies]) == ("start", ["welcome"])
    assert [r.text for r in (await custom.message("/start now", ctx())).replies] == ["welcome now"]
    # None means "not for this chat": the same reply as an unknown command.
    (hidden,) = await custom.command("secret", "", ctx())
    assert "I don't know the command /secret" in hidden.text
    assert [n for n, _ in custom.menu][-1] == "remind" and "secret" not in dict(custom.menu)
    assert {"start", "secret", "remind", "deadlines"} <= custom.command_names
    # The responder it was built from is unchanged.
    assert "welcome" not in (await responder.command("start", "", ctx()))[0].text


def test_a_command_or_button_claimed_twice_is_refused(responder: Responder, clock):
    async def handler(args: str, ctx: ChatContext) -> list[Reply]:
        return []

    with pytest.raises(ValueError, match="registered twice"):
        Router().include(Router().command("stats", handler), Router().command("stats", handler))
    with pytest.raises(ValueError, match="registered twice"):
        Router().button("r", handler).button("r", handler)
    with pytest.raises(ValueError, match="core's own"):
        Responder(responder.live, clock, routes=Router().button("t", handler))
