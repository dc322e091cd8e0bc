"""Start-up of `python -m bot run` as an operator meets it: one clear line, never a traceback.

Webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET (Telegram's rule for the secret); PORT and
LISTEN are validated; a port already taken, an unreachable Bot API and a refused token each
end start-up with exit code 2 and one line that says what to fix.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.botapi import BotApiStandIn
from tests.support.e2e_helpers import CONFIG_VARIABLES, ROOT, BotProcess, bot_env, free_port

pytestmark = pytest.mark.timeout(60)

NOWHERE = "http://127.0.0.1:9/bot"  # the discard port: nothing answers there


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    base.update(
        BOT_TOKEN="123:TEST",
        BOT_API_URL=NOWHERE,
        DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=str(ROOT),
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", *args],
        cwd=tmp_path,
        env=base,
        capture_output=True,
        text=True,
        timeout=30,
    )


def one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("optout-bot:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_webhook_flag_without_url(tmp_path: Path):
    line = one_clear_line(run(tmp_path, "--webhook"))
    assert "WEBHOOK_URL is not set" in line


@pytest.mark.parametrize("flag", [(), ("--webhook",)], ids=["url-alone", "flag"])
def test_webhook_mode_requires_a_secret(tmp_path: Path, flag: tuple[str, ...]):
    line = one_clear_line(run(tmp_path, *flag, WEBHOOK_URL="https://bot.example.org/telegram"))
    assert "WEBHOOK_SECRET is not set" in line and "token_urlsafe" in line


@pytest.mark.parametrize("secret", ["has space", "ümlaut", "a" * 257, "semi;colon"])
def test_a_secret_outside_telegrams_rule_is_refused_without_echoing_it(tmp_path: Path, secret):
    line = one_clear_line(
        run(tmp_path, WEBHOOK_URL="https://bot.example.org/hook", WEBHOOK_SECRET=secret)
    )
    assert "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -" in line
    assert secret not in line


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PORT", "http", "PORT must be a whole number from 1 to 65535"),
        ("PORT", "70000", "PORT must be a whole number from 1 to 65535"),
        ("LISTEN", "everywhere", "LISTEN must be an IP address"),
        ("WEBHOOK_URL", "bot.example.org/hook", "WEBHOOK_URL must be"),
    ],
)
def test_bad_listener_values(tmp_path: Path, variable: str, value: str, expected: str):
    assert expected in one_clear_line(run(tmp_path, **{variable: value}))


def test_telegram_needs_https_on_its_ports(tmp_path: Path):
    env = {"BOT_API_URL": "", "WEBHOOK_SECRET": "abc"}
    line = one_clear_line(run(tmp_path, WEBHOOK_URL="http://bot.example.org/hook", **env))
    assert "https://" in line
    line = one_clear_line(run(tmp_path, WEBHOOK_URL="https://bot.example.org:8080/h", **env))
    assert "443, 80, 88 or 8443" in line


def test_a_port_in_use_is_one_clear_line(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_clear_line(run(tmp_path, PORT=str(port), LISTEN="127.0.0.1"))
    assert f"cannot listen on 127.0.0.1:{port}" in line


def test_an_unreachable_bot_api_is_one_clear_line(tmp_path: Path):
    line = one_clear_line(run(tmp_path))
    assert "start-up failed talking to the Bot API at http://127.0.0.1:9/bot" in line


async def test_a_refused_token_is_one_clear_line(tmp_path: Path):
    async with BotApiStandIn("999:OTHER") as standin:  # knows another token: 401 for ours
        port = free_port()
        env = bot_env(standin, tmp_path / "data", PORT=str(port), LISTEN="127.0.0.1")
        bot = BotProcess(env, tmp_path / "run")
        await bot.start()
        try:
            assert await bot.wait_exit(30) == 2
        finally:
            await bot.close()
    lines = [line for line in bot.lines if line.startswith("optout-bot:")]
    assert lines == ["optout-bot: the Bot API refused BOT_TOKEN: check the token from @BotFather"]
    assert "Traceback" not in bot.log()
