"""The webhook under abuse and under load (issue 16, items 2 and 5), the real bot process.

- A body over the limit gets 413, an answer rather than a closed connection.
- The client address in the log comes from X-Forwarded-For / X-Real-IP only with
  TRUST_PROXY=true (anyone can send those headers).
- 3,000 refused posts write a handful of log lines: the first few one by one, then a count.
- With as many updates in hand as it can answer soon, the webhook answers 503 and Telegram
  (the stand-in, as Telegram does) delivers the update again later: every update is
  answered exactly once.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import httpx
import pytest

from bot.telegram.inflight import MAX_IN_FLIGHT
from bot.telegram.webhook import MAX_BODY, REFUSALS_INTERVAL, REFUSALS_LOGGED
from tests.support.botapi import BotApiStandIn
from tests.support.e2e_helpers import (
    SECRET,
    TOKEN,
    BotProcess,
    Chat,
    bot_env,
    free_port,
    webhook_env,
)

pytestmark = pytest.mark.timeout(120)

HEADERS = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}


async def webhook_bot(standin: BotApiStandIn, tmp_path: Path, **env: str) -> tuple[BotProcess, str]:
    port = free_port()
    bot = BotProcess(
        bot_env(standin, tmp_path / "data", **webhook_env(port), **env),
        tmp_path / "run",
        "--webhook",
    )
    await bot.start()
    await bot.wait_ready(30)
    return bot, f"http://127.0.0.1:{port}/telegram"


async def test_a_body_over_the_limit_gets_413(tmp_path: Path):
    async with BotApiStandIn(TOKEN) as standin:
        bot, url = await webhook_bot(standin, tmp_path)
        try:
            big = json.dumps({"update_id": 1, "padding": "x" * (2 * MAX_BODY)}).encode()
            async with httpx.AsyncClient() as client:
                response = await client.post(url, content=big, headers=HEADERS)
                assert response.status_code == 413
                just_over = b" " * (MAX_BODY + 1)
                assert (
                    await client.post(url, content=just_over, headers=HEADERS)
                ).status_code == 413
                # The bot still serves.
                assert "/optout" in (await Chat(standin).say_one("/help")).plain
            await bot.wait_for_log(
                r"webhook: refused a request from 127\.0\.0\.1: \d+ bytes \(413\)"
            )
        finally:
            await bot.close()


@pytest.mark.parametrize(("trust", "shown"), [("false", "127.0.0.1"), ("true", "203.0.113.7")])
async def test_the_logged_address_comes_from_proxy_headers_only_when_trusted(
    tmp_path: Path, trust: str, shown: str
):
    async with BotApiStandIn(TOKEN) as standin:
        bot, url = await webhook_bot(standin, tmp_path, TRUST_PROXY=trust)
        try:
            mark = bot.mark()
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    url,
                    content=b"{}",
                    headers={"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "203.0.113.7"},
                )
            assert response.status_code == 403
            [line] = await bot.wait_for_log(r"webhook: refused a request from (\S+):", after=mark)
            assert line.group(1) == shown
        finally:
            await bot.close()


async def test_three_thousand_refused_posts_write_a_handful_of_lines(tmp_path: Path):
    async with BotApiStandIn(TOKEN) as standin:
        bot, url = await webhook_bot(standin, tmp_path)
        try:
            mark = bot.mark()
            statuses: list[int] = []
            started = time.monotonic()
            async with httpx.AsyncClient(timeout=30) as client:

                async def worker(first: int) -> None:  # 20 clients, 150 posts each
                    for i in range(first, 3000, 20):
                        headers = {"X-Telegram-Bot-Api-Secret-Token": f"wrong{i}"}
                        if i % 3 == 0:
                            headers = {}
                        elif i % 3 == 2:
                            headers = HEADERS  # the right secret, but not an update
                        response = await client.post(url, content=b"not json", headers=headers)
                        statuses.append(response.status_code)

                await asyncio.gather(*(worker(first) for first in range(20)))
            seconds = time.monotonic() - started
            assert len(statuses) == 3000
            assert sorted(set(statuses)) == [400, 403]
            code, _ = await bot.stop()  # the count not logged yet is written at shutdown
            assert code == 0
        finally:
            await bot.close()
    lines = [line for line in bot.lines[mark:] if "webhook: refused" in line]
    counts = [re.search(r"refused (\d+) more request\(s\)", line) for line in lines]
    one_by_one = [line for line, count in zip(lines, counts, strict=True) if count is None]
    counted = sum(int(count.group(1)) for count in counts if count is not None)
    assert len(one_by_one) + counted == 3000  # every refusal is in the log, once
    minutes = int(seconds // REFUSALS_INTERVAL) + 1  # the posts took this many intervals
    assert len(lines) <= minutes * (REFUSALS_LOGGED + 1), lines
    assert any("no secret token (403)" in line and "(400)" in line for line in lines)
    print(f"\n3,000 refused posts in {seconds:.1f} s: {len(lines)} log lines")


async def test_a_full_bot_answers_503_and_every_update_is_answered_once(tmp_path: Path):
    async with BotApiStandIn(TOKEN) as standin:
        bot, _ = await webhook_bot(standin, tmp_path)
        try:
            chats = [Chat(standin, f"User{i}") for i in range(MAX_IN_FLIGHT + 8)]
            # Telegram asks the bot to wait 3 s: every reply waits, the updates pile up.
            standin.fail_next("sendMessage", 429, retry_after=3)
            mark = standin.mark()
            for chat in chats:
                chat.send("/help")
            replies = await standin.wait_for("sendMessage", len(chats), timeout=60, after=mark)
            assert sorted(c.chat_id for c in replies) == sorted(chat.id for chat in chats)
            await asyncio.sleep(0.5)
            assert len(standin.calls_for("sendMessage", after=mark)) == len(chats)  # once
        finally:
            await bot.close()
    busy = [update for update, status in standin.webhook_deliveries if status == 503]
    assert busy, "the bot never said it was busy"
    delivered = [update for update, status in standin.webhook_deliveries if status == 200]
    assert len(delivered) == len(set(delivered)) == len(chats)
