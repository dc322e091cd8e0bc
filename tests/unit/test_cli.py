"""The command line as an operator meets it: clear one-line errors, never a traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """The console stores settings like Telegram does: keep them out of the repository."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    for name in ("DATABASE_URL", "DEFAULT_REGION", "BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer's .env


def run(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ...` as a subprocess: these tests are marked slow."""
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


@pytest.mark.slow
def test_run_without_token_says_which_variable():
    assert "BOT_TOKEN" in one_clear_line(run("run"))


@pytest.mark.slow
def test_bad_token_format():
    assert "BOT_TOKEN" in one_clear_line(run("run", BOT_TOKEN="not a token"))


@pytest.mark.slow
def test_bad_configuration_values():
    assert "DEFAULT_REGION" in one_clear_line(run("chat", DEFAULT_REGION="mars"))
    assert "DEFAULT_TIMEZONE" in one_clear_line(run("chat", DEFAULT_TIMEZONE="Europe/Atlantis"))
    assert "BOT_API_URL" in one_clear_line(run("run", BOT_TOKEN="1:A", BOT_API_URL="ftp://x"))


@pytest.mark.slow
def test_missing_faq_folder_stops_start_up(tmp_path):
    line = one_clear_line(run("chat", FAQ_DIR=str(tmp_path / "nope")))
    assert "knowledge base" in line


@pytest.mark.slow
def test_bare_command_without_token_starts_the_console():
    result = run(stdin="how do i stop insta using my photos for ai\n")
    assert result.returncode == 0, result.stderr
    assert "python -m bot run" in result.stderr
    assert "Instagram" in result.stdout
    assert "[1]" in result.stdout  # buttons are numbered choices


@pytest.mark.slow
def test_console_settings_persist_between_sessions():
    first = run("chat", stdin="/region uk\n/remind 2d\n")
    assert first.returncode == 0, first.stderr
    second = run("chat", stdin="/privacy\n")
    assert "Region: United Kingdom" in second.stdout and "2 days" in second.stdout


@pytest.mark.slow
def test_console_numbers_press_buttons_and_commands_work():
    result = run("chat", stdin="/optout\n2\n/nonsense\n")
    assert result.returncode == 0, result.stderr
    assert "Which app?" in result.stdout
    assert "how to object" in result.stdout
    assert "I don't know the command /nonsense" in result.stdout


@pytest.mark.slow
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
    assert data["language"] == "en"


def test_ask_json_reports_the_reply_language():
    questions = (
        "Wie kann ich Meta verbieten, meine Instagram-Fotos für die KI zu nutzen?\n"
        "Como faço para impedir a Meta de usar minhas fotos do Instagram na IA?\n"
        "ok\n"
    )
    result = run("ask", "--json", stdin=questions)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["language"] for r in rows] == ["de", "pt", "en"]


@pytest.mark.slow
def test_ask_reads_one_question_per_line():
    questions = "are my dms used\nwhat is the weather in lisbon\n\n"
    result = run("ask", "--json", stdin=questions)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["are my dms used", "what is the weather in lisbon", ""]
    assert rows[0]["topic"] == "private-messages"
    assert rows[1]["outcome"] != "answer" and rows[1]["topic"] is None
    assert rows[2]["outcome"] == "fallback"


@pytest.mark.slow
def test_ask_plain_text_one_line_per_question():
    result = run("ask", stdin="are my dms used\nfb optout\n")
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.slow
def test_eval_reports_accuracy():
    result = run("eval", "tests/data/eval.yaml", "tests/data/tune/far-en.yaml", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "top-1 correct" in result.stdout and "off-topic" in result.stdout
    summary = result.stdout.split("summary:")[1]
    # Sets are named by their path below tests/data: far-en.yaml is in several folders.
    assert "  eval.yaml [en]" in summary and "  tune/far-en.yaml [en]" in summary


def test_eval_sets_are_labelled_by_their_path_below_tests_data(tmp_path):
    from bot.evaluate import set_label

    assert set_label(Path("tests/data/heldout/de.yaml")) == "heldout/de.yaml"
    assert set_label(tmp_path / "tests" / "data" / "tune" / "pt.yaml") == "tune/pt.yaml"
    outside = tmp_path / "mine.yaml"
    assert set_label(outside) == str(outside)


@pytest.mark.slow
def test_eval_with_a_broken_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- q: hi\n  t: no-such-topic\n")
    assert "unknown topic" in one_clear_line(run("eval", str(bad)))


# -- ask, as an author uses it --------------------------------------------------------------------
def ask(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """`python -m bot ask ...` in this process (the same code, without a subprocess)."""
    from bot.cli import main

    assert main(["ask", *args]) == 0
    return capsys.readouterr().out


def test_ask_without_a_region_asks_for_it_and_shows_the_form_link(capsys, kb):
    out = ask(capsys, "how do i object on facebook")
    facebook = kb.platforms["facebook"]
    assert "Where do you live?" in out
    assert f"-> 🔗 Open the Facebook form: {facebook.routes['eu'].form_url}" in out
    for route in facebook.routes.values():  # no region's block of steps
        for step in route.steps:
            assert re.sub(r"<[^>]+>", "", step)[:40] not in out
    assert "Elsewhere\n1." not in out and "What to expect" not in out
    assert len(out.split("  [")[0]) < 1200  # a short answer, then the choices


def test_ask_lists_the_choices_after_did_you_mean(capsys, knowledge):
    from tests.e2e.test_telegram_conversation import find_vague_question

    question = find_vague_question(knowledge)
    out = ask(capsys, question)
    after = out.split("Did you mean:", 1)[1]
    assert after.startswith("\n  [1] ") and "None of these" in after
    one_line = ask(capsys, "--json", question)
    assert json.loads(one_line)["outcome"] == "clarify"


def test_ask_region_and_language(capsys, kb):
    eu = ask(capsys, "--region", "eu", "how do i object on facebook")
    assert "Where do you live?" not in eu and "📋 Steps for Facebook" in eu
    row = json.loads(ask(capsys, "--json", "--region", "other", "--lang", "de", "fb optout"))
    assert row["language"] == "de" and row["topic"] == "opt-out-facebook"
    variant = kb.topics["opt-out-facebook"].text("de").regions["other"]
    assert re.sub(r"<[^>]+>", "", variant).split("\n")[0] in row["reply"]
    from bot.cli import main

    for bad in (["--region", "mars"], ["--lang", "xx"]):
        with pytest.raises(SystemExit) as exc:
            main(["ask", *bad, "hi"])
        assert exc.value.code == 2
        assert "invalid choice" in capsys.readouterr().err


@pytest.mark.slow
def test_console_piped_input_reads_as_a_conversation():
    result = run("chat", stdin="are my dms used\nexit\nare my dms used\n")
    assert result.returncode == 0, result.stderr
    assert "(To leave, type quit or exit, or press Ctrl-D.)" in result.stdout
    assert "> are my dms used\n" in result.stdout
    assert result.stdout.rstrip().endswith("> exit")  # nothing after exit is answered
