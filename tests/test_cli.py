"""The command line as an operator meets it: clear one-line errors, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """The console stores settings like Telegram does: keep them out of the repository."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)


def run(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "BOT_API_URL")}
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=base,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_run_without_token_says_which_variable():
    assert "BOT_TOKEN" in one_clear_line(run("run"))


def test_bad_token_format():
    assert "BOT_TOKEN" in one_clear_line(run("run", BOT_TOKEN="not a token"))


def test_bad_configuration_values():
    assert "DEFAULT_REGION" in one_clear_line(run("chat", DEFAULT_REGION="mars"))
    assert "DEFAULT_TIMEZONE" in one_clear_line(run("chat", DEFAULT_TIMEZONE="Europe/Atlantis"))
    assert "BOT_API_URL" in one_clear_line(run("run", BOT_TOKEN="1:A", BOT_API_URL="ftp://x"))


def test_missing_faq_folder_stops_start_up(tmp_path):
    line = one_clear_line(run("chat", FAQ_DIR=str(tmp_path / "nope")))
    assert "knowledge base" in line


def test_bare_command_without_token_starts_the_console():
    result = run(stdin="how do i stop insta using my photos for ai\n")
    assert result.returncode == 0, result.stderr
    assert "python -m bot run" in result.stderr
    assert "Instagram" in result.stdout
    assert "[1]" in result.stdout  # buttons are numbered choices


def test_console_settings_persist_between_sessions():
    first = run("chat", stdin="/region uk\n/remind 2d\n")
    assert first.returncode == 0, first.stderr
    second = run("chat", stdin="/privacy\n")
    assert "Region: United Kingdom" in second.stdout and "2 days" in second.stdout


def test_console_numbers_press_buttons_and_commands_work():
    result = run("chat", stdin="/optout\n2\n/nonsense\n")
    assert result.returncode == 0, result.stderr
    assert "Which app?" in result.stdout
    assert "how to object" in result.stdout
    assert "I don't know the command /nonsense" in result.stdout


def test_ask_json_one_question():
    result = run("ask", "how do i opt out of instagram ai training", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {
        "question",
        "outcome",
        "topic",
        "score",
        "candidates",
        "language",
        "reply",
    }
    assert data["language"] == "en"
    assert data["reply"].startswith("How do I stop Instagram")
    assert data["outcome"] == "answer"
    assert data["topic"] == "opt-out-instagram"


def test_ask_reads_one_question_per_line():
    questions = "are my dms used\nwhat is the weather in lisbon\n\n"
    result = run("ask", "--json", stdin=questions)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["are my dms used", "what is the weather in lisbon", ""]
    assert rows[0]["topic"] == "private-messages"
    assert rows[1]["outcome"] != "answer" and rows[1]["topic"] is None
    assert rows[2]["outcome"] == "fallback"


def test_ask_plain_text_one_line_per_question():
    result = run("ask", stdin="are my dms used\nfb optout\n")
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 2


def test_eval_reports_accuracy():
    result = run("eval", "tests/data/eval.yaml", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "top-1 correct" in result.stdout and "off-topic" in result.stdout


def test_eval_with_a_broken_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- q: hi\n  t: no-such-topic\n")
    assert "unknown topic" in one_clear_line(run("eval", str(bad)))
