"""Reminders end to end, on the real clock: the bot process, a deadline minutes ahead, crashes.

`faq/` is copied and given a deadline a little over two minutes ahead (region eu, Facebook and
Instagram). Subscribers get each reminder round once, also when the bot is killed with
SIGKILL between two rounds and restarted; a subscriber who ticked both apps off gets none.
A SIGTERM in the middle of a round checkpoints it: what was sent is recorded, the claims not
yet started are released and delivered right after the restart, nothing twice.

These tests wait for real time to pass (the first about 90 s, the second about 35 s).
"""

from __future__ import annotations

import shutil
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.knowledge.loader import load_knowledge_base
from tests.support.botapi import BotApiStandIn, Call
from tests.support.e2e_helpers import (
    REMINDER_MARK,
    ROOT,
    SQLITE_FILE,
    BotProcess,
    Chat,
    bot_env,
    deliveries,
)
from tests.support.standin_fixtures import check_wire, standin  # noqa: F401 - fixture

DEADLINE_ID = "e2e-soon"


def faq_with_deadline(tmp_path: Path, at: datetime) -> Path:
    """A copy of the shipped faq/ with one more deadline at `at` (UTC, whole seconds)."""
    faq = tmp_path / "faq"
    shutil.copytree(ROOT / "faq", faq)
    with (faq / "deadlines.yaml").open("a", encoding="utf-8") as f:
        f.write(
            f"""
  - id: {DEADLINE_ID}
    kind: deadline
    title: End-to-end test deadline
    at: "{at.astimezone(UTC):%Y-%m-%dT%H:%M:%S}"
    timezone: UTC
    regions: [eu]
    platforms: [facebook, instagram]
    before: Object before this test deadline.
    after: The test deadline has passed.
"""
        )
    kb = load_knowledge_base(faq)  # the copy must be valid, or the bot would not start
    assert kb.deadlines[DEADLINE_ID].at == at
    return faq


def is_reminder(chat: Chat):
    return lambda c: c.chat_id == chat.id and REMINDER_MARK in (c.text or "")


def log_round_done(lead: int) -> str:
    return rf"reminder round remind:{DEADLINE_ID}:{lead} done: sent=(\d+) skipped=(\d+)"


async def subscribe(chat: Chat, leads: str) -> Call:
    assert "EU / EEA" in (await chat.say_one("/region eu")).plain
    reply = await chat.say_one(f"/remind {leads}")
    assert "Reminders are on" in reply.plain
    return reply


async def tick_off(chat: Chat, platform: str) -> Call:
    # The message with this app's buttons: on a loaded machine a send that timed out on the
    # client is sent again (`bot.telegram.retry`), so an earlier answer can arrive twice.
    mark = chat.standin.mark()
    chat.send(f"/optout {platform}")
    [steps] = await chat.standin.wait_for(
        "sendMessage",
        after=mark,
        where=lambda c: c.chat_id == chat.id and f"c:{platform}:done" in c.callback_data,
        timeout=10,
    )
    _, done = await chat.press(steps, data=f"c:{platform}:done")
    return done


@pytest.mark.timeout(300)
async def test_each_round_arrives_once_across_a_kill_9_between_rounds(
    standin: BotApiStandIn, tmp_path: Path
):
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=150)
    env = bot_env(standin, tmp_path / "data", FAQ_DIR=str(faq_with_deadline(tmp_path, deadline)))
    first = await BotProcess(env, tmp_path / "run1").start()
    second: BotProcess | None = None
    try:
        await first.wait_ready()
        ana, ben = Chat(standin, "Ana"), Chat(standin, "Ben")
        listed = await subscribe(ana, "2m 1m")
        assert "End-to-end test deadline" in listed.plain  # the coming rounds are listed
        await subscribe(ben, "2m 1m")
        await tick_off(ben, "facebook")
        done = await tick_off(ben, "instagram")
        # Other deadlines of the shipped knowledge base name more apps: those stay open.
        assert "Instagram: ✅ done" in done.plain
        setup = standin.mark()

        # Round 1 (2 minutes before) starts 10 s ahead of its time: about 20 s from now.
        [round1] = await standin.wait_for(
            "sendMessage", after=setup, where=is_reminder(ana), timeout=60
        )
        assert "Still to do: Facebook, Instagram." in round1.plain
        [match] = await first.wait_for_log(log_round_done(120), timeout=30)
        assert match.groups() == ("1", "1"), first.tail()  # Ana sent, Ben skipped
        assert datetime.now(UTC) < deadline - timedelta(seconds=75), "too late for the test"
        await first.kill()  # SIGKILL between the rounds: no cleanup at all
        assert deliveries(tmp_path / "data" / SQLITE_FILE) == [
            (ana.id, DEADLINE_ID, 120, "sent"),
            (ben.id, DEADLINE_ID, 120, "skipped"),
        ]

        second = await BotProcess(env, tmp_path / "run2").start()
        await second.wait_ready()
        # Round 1 is recomputed at start (late, its deadline is ahead) and sends nothing again.
        [late] = await second.wait_for_log(log_round_done(120), timeout=30)
        assert late.groups() == ("0", "0"), second.tail()
        # Round 2 (1 minute before) starts about 80 s after the first start.
        _, round2 = await standin.wait_for(
            "sendMessage", 2, after=setup, where=is_reminder(ana), timeout=120
        )
        [match] = await second.wait_for_log(log_round_done(60), timeout=30)
        assert match.groups() == ("1", "1"), second.tail()
        assert round2.index > round1.index
        assert "Still to do: Facebook, Instagram." in round2.plain

        reminders = standin.calls_for("sendMessage", after=setup, where=is_reminder(ana))
        assert [c.index for c in reminders] == [round1.index, round2.index]  # no duplicate
        assert (
            standin.calls_for("sendMessage", after=setup, where=lambda c: c.chat_id == ben.id) == []
        )
        assert deliveries(tmp_path / "data" / SQLITE_FILE) == [
            (ana.id, DEADLINE_ID, 120, "sent"),
            (ana.id, DEADLINE_ID, 60, "sent"),
            (ben.id, DEADLINE_ID, 120, "skipped"),
            (ben.id, DEADLINE_ID, 60, "skipped"),
        ]
        code, seconds = await second.stop(signal.SIGTERM)
        assert (code, seconds < 10) == (0, True), second.tail()
        check_wire(standin)
    finally:
        await first.close()
        if second is not None:
            await second.close()


@pytest.mark.timeout(120)
async def test_sigterm_in_the_middle_of_a_round_checkpoints_it(
    standin: BotApiStandIn, tmp_path: Path
):
    # A round for 5 subscribers at 30/s starts about 10.2 s before it is due (1 minute before
    # the deadline): put that start about 25 s from now, after the set-up below (the bot
    # process starts in about 5 s on a quiet 2-core machine; CI may be slower).
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=95)
    round_start = deadline - timedelta(seconds=70.2)
    env = bot_env(standin, tmp_path / "data", FAQ_DIR=str(faq_with_deadline(tmp_path, deadline)))
    db = tmp_path / "data" / SQLITE_FILE
    first = await BotProcess(env, tmp_path / "run1").start()
    second: BotProcess | None = None
    try:
        await first.wait_ready()
        chats = [Chat(standin, f"User{i}") for i in range(5)]
        for chat in chats:
            await subscribe(chat, "1m")
        setup = standin.mark()
        assert datetime.now(UTC) < round_start - timedelta(seconds=1), "set-up too slow"
        # The round's first send hangs (a stalled connection); SIGTERM arrives meanwhile.
        standin.fail_next("sendMessage", "stall", seconds=60)
        [stalled] = await standin.wait_for(
            "sendMessage",
            after=setup,
            include_failed=True,
            where=lambda c: c.fault == "stall" and REMINDER_MARK in (c.text or ""),
            timeout=40,
        )
        code, seconds = await first.stop(signal.SIGTERM)
        print(f"\nSIGTERM during a round: exit {code} in {seconds:.2f} s")
        assert code == 0 and seconds < 10, first.tail()
        assert "1 reminder round(s) stopped at a checkpoint" in first.log()
        assert "Traceback" not in first.log()
        # The send cut off mid-request keeps its claim (the lease rule decides, 2 minutes);
        # the claims not yet started were released.
        assert deliveries(db) == [(stalled.chat_id, DEADLINE_ID, 60, "claimed")]

        restart = standin.mark()
        second = await BotProcess(env, tmp_path / "run2").start()
        await second.wait_ready()
        others = [c for c in chats if c.id != stalled.chat_id]
        got = await standin.wait_for(
            "sendMessage",
            len(others),
            after=restart,
            where=lambda c: REMINDER_MARK in (c.text or ""),
            timeout=30,
        )
        assert sorted(c.chat_id for c in got) == sorted(c.id for c in others)  # once each
        code, seconds = await second.stop(signal.SIGTERM)  # the round waits on that lease
        assert code == 0 and seconds < 10, second.tail()
        # Every send that completed was recorded before the process ended.
        rows = {chat_id: status for chat_id, _, _, status in deliveries(db)}
        assert rows == {**{c.id: "sent" for c in others}, stalled.chat_id: "claimed"}
        sent = standin.calls_for(
            "sendMessage", after=setup, where=lambda c: REMINDER_MARK in c.text
        )
        assert len(sent) == len({c.chat_id for c in sent}) == len(others)  # nothing twice
    finally:
        await first.close()
        if second is not None:
            await second.close()
