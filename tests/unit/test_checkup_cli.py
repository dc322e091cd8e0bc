"""The checkup's command line and settings: `calendar`, `alerts --dry-run`, `feedback`, the
letters in `check`, and NUDGE_QUIET_HOURS. Operator errors are one clear line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import icalendar
import pytest

from bot.checkup.calendar import dated_deadlines
from bot.checkup.service import record_kb
from bot.cli import letter_problems
from bot.config import ConfigError, load_config
from bot.knowledge.model import KnowledgeBase
from bot.store.repository import Store
from tests.conftest import ROOT

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BOT_TOKEN", "BOT_API_URL", "DATABASE_URL", "FAQ_DIR")
    }
    base.update(DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        timeout=120,
    )


def one_clear_line(result: subprocess.CompletedProcess[bytes]) -> str:
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr
    [line] = stderr.strip().splitlines()
    return line


def test_calendar_writes_the_regions_dates_as_ics(data_dir: Path, kb: KnowledgeBase):
    result = run(data_dir, "calendar", "--region", "eu")
    assert result.returncode == 0, result.stderr
    cal = icalendar.Calendar.from_ical(result.stdout)
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert uids == [f"{d.id}@optout-bot" for d in dated_deadlines(kb, "eu")]
    assert "EU / EEA" in str(cal["X-WR-CALNAME"])

    # German: the same events (same UIDs, so a German file updates an English import), with
    # the entries' German titles and the calendar's words from the catalogue.
    german = run(data_dir, "calendar", "--region", "eu", "--lang", "de")
    assert german.returncode == 0, german.stderr
    cal = icalendar.Calendar.from_ical(german.stdout)
    events = cal.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == uids
    titles = [d.for_language("de").title for d in dated_deadlines(kb, "eu")]
    assert [str(e["SUMMARY"]) for e in events] == titles
    assert all(kb.deadlines[u.split("@")[0]].has_text("de") for u in uids)
    assert german.stderr.decode() == ""  # every entry has German words: nothing to warn of
    assert str(cal["X-WR-CALNAME"]) == "Widerspruch gegen KI-Training (EU / EWR)"


def test_calendar_options_are_checked(data_dir: Path):
    assert "--region must be one of" in one_clear_line(
        run(data_dir, "calendar", "--region", "mars")
    )
    assert "--lang must be one of" in one_clear_line(run(data_dir, "calendar", "--lang", "xx"))


def test_alerts_dry_run_counts_per_change_and_names_no_chat(data_dir: Path, kb: KnowledgeBase):
    instagram = kb.platforms["instagram"]
    assert instagram.change is not None

    async def prepare() -> None:
        store = await Store.open(f"sqlite+aiosqlite:///{data_dir / 'optout.sqlite3'}")
        try:
            await record_kb(store, kb, NOW)  # the bot saw this faq/ ...
            snapshot = await store.kb_snapshot()
            snapshot["platform", "instagram"] = instagram.change.on - timedelta(days=30)
            await store.save_kb_changes(snapshot, [], NOW)  # ... but Instagram older
            for chat_id, apps in ((810001, ("instagram",)), (820002, ("instagram", "x"))):
                await store.set_platforms(chat_id, apps)
                await store.subscribe(chat_id, [86400])
            await store.set_platforms(830003, ("instagram",))  # reminders off: not counted
        finally:
            await store.close()

    data_dir.mkdir(parents=True)
    asyncio.run(prepare())
    result = run(data_dir, "alerts", "--dry-run")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert f"platform instagram: changed {instagram.change.on}" in out
    assert ": 2 chats" in out and "1 change, 2 alerts in all." in out
    for chat_id in ("810001", "820002", "830003"):
        assert chat_id not in out
    sends = run(data_dir, "alerts")
    assert "--dry-run" in one_clear_line(sends)


def test_feedback_lists_topics_by_share_of_thumbs_down(data_dir: Path):
    async def prepare() -> None:
        store = await Store.open(f"sqlite+aiosqlite:///{data_dir / 'optout.sqlite3'}")
        try:
            for topic, helpful in (("liked", True), ("liked", True), ("disliked", False)):
                await store.record_vote(topic, "en", NOW.date(), helpful)
            await store.record_vote("mixed", "de", NOW.date(), False)
            await store.record_vote("mixed", "en", NOW.date(), True)
        finally:
            await store.close()

    data_dir.mkdir(parents=True)
    asyncio.run(prepare())
    result = run(data_dir, "feedback")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert out.index("disliked: 100%") < out.index("mixed: 50%") < out.index("liked: 0%")
    assert "👎 by language: de 1" in out


def test_check_reports_the_problems_of_letters_yaml(tmp_path: Path, kb: KnowledgeBase):
    assert letter_problems(kb) == []  # the shipped file and faq/
    broken = tmp_path / "letters.yaml"
    shipped = (ROOT / "bot" / "checkup" / "letters.yaml").read_text(encoding="utf-8")
    broken.write_text(shipped.replace("{company}", "{firm}", 1), encoding="utf-8")
    problems = [str(p) for p in letter_problems(kb, broken)]
    assert problems and all(p.startswith(str(broken)) for p in problems)
    assert any("firm" in p for p in problems), problems
    unreadable = tmp_path / "nope.yaml"
    assert "cannot be read" in str(letter_problems(kb, unreadable)[0])


def test_check_passes_with_the_shipped_letters(data_dir: Path):
    result = run(data_dir, "check")
    assert result.returncode == 0, result.stdout.decode()
    assert "letters.yaml" not in result.stdout.decode()


# -- NUDGE_QUIET_HOURS -------------------------------------------------------------------------


def test_quiet_hours_default_off_and_custom():
    default = load_config({}).nudge_quiet
    assert (default.start, default.end) == (time(21, 0), time(9, 0))
    off = load_config({"NUDGE_QUIET_HOURS": "off"}).nudge_quiet
    assert not off.contains(time(3, 0)) and not off.contains(time(22, 0))
    custom = load_config({"NUDGE_QUIET_HOURS": " 22:30-07:15 "}).nudge_quiet
    assert custom.contains(time(23, 0)) and not custom.contains(time(7, 15))


@pytest.mark.parametrize("raw", ["9pm-9am", "21:00", "25:00-09:00", "21:00-09:00-10:00"])
def test_bad_quiet_hours_are_one_line(raw: str, data_dir: Path):
    with pytest.raises(ConfigError, match=r"^NUDGE_QUIET_HOURS must be local hours like"):
        load_config({"NUDGE_QUIET_HOURS": raw})


def test_bad_quiet_hours_stop_start_up_with_one_line(data_dir: Path):
    line = one_clear_line(run(data_dir, "chat", NUDGE_QUIET_HOURS="night"))
    assert "NUDGE_QUIET_HOURS" in line and "'night'" in line
