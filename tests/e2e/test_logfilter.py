"""No bot token and no message text in the logs, at any level, whatever the libraries log.

The end-to-end tests run the real PTB application against the Bot API stand-in with every
logger at DEBUG and capture everything that is logged; the unit tests check each rule on
records built by real loggers.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import load_config
from bot.knowledge.model import KnowledgeBase
from bot.logfilter import CONTENT_LOGGERS, install_log_filters, remove_log_filters
from tests.support.botapi import BotApiStandIn
from tests.support.standin_fixtures import build_application, start_bot, stop_bot

TOKEN = "7234567890:AAH4wq-Secret_Part_Of_The_Token_0123456"
SECRET_HALF = TOKEN.split(":")[1]
WEBHOOK_SECRET = "whs-0123456789abcdef"
PRIVATE = ("quokkamarker", "marmalade", "Quillfeather", "Zarkovic", "quill_handle")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged anywhere, at DEBUG, formatted as the bot's own handler does."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "telegram")}
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        remove_log_filters()
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


async def converse(
    standin: BotApiStandIn, kb: KnowledgeBase, clock: FakeClock, tmp_path: Path, **env: str
) -> None:
    """Start the bot with filters as `env` says, exchange a few messages, stop it."""
    config = load_config(
        {
            "BOT_TOKEN": TOKEN,
            "BOT_API_URL": standin.base_url,
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "DEBUG",
            "LOG_UNMATCHED": "true",
            "FLOOD_LIMIT": "10000",
            **env,
        }
    )
    install_log_filters(config)
    app = build_application(config, kb, clock)
    await start_bot(app)
    try:
        user = standin.new_user("Quillfeather", last_name="Zarkovic", username="quill_handle")
        for text in (
            "quokkamarker how do I opt out of instagram",
            "zebrafish marmalade quokkamarker",
            "/help",
        ):
            mark = standin.mark()
            standin.private_message(text, user=user)
            await standin.wait_for("sendMessage", after=mark)
        # The unmatched question goes to the database (the operator is reached through the
        # services object where the application keeps one).
        services = app.bot_data.get("services")
        operator = services.operator if services is not None else app.bot_data["operator"]
        await operator.flush()
    finally:
        await stop_bot(app)


async def test_a_debug_run_logs_neither_the_token_nor_any_message_text(
    kb: KnowledgeBase, clock: FakeClock, tmp_path: Path, captured: io.StringIO
):
    async with BotApiStandIn(TOKEN) as standin:
        await converse(standin, kb, clock, tmp_path)
    log = captured.getvalue()
    # The libraries did log the traffic at DEBUG: the absence below is the filter's doing.
    assert "Processing update" in log and "Calling Bot API endpoint" in log
    assert "Set Bot API URL: " in log and "/bot<token>" in log
    assert TOKEN not in log and SECRET_HALF not in log
    leaked = [word for word in PRIVATE if word in log]
    assert not leaked, [line for line in log.splitlines() if any(w in line for w in leaked)][:5]


async def test_log_message_text_true_shows_text_but_never_the_token(
    kb: KnowledgeBase, clock: FakeClock, tmp_path: Path, captured: io.StringIO
):
    async with BotApiStandIn(TOKEN) as standin:
        await converse(standin, kb, clock, tmp_path, LOG_MESSAGE_TEXT="true")
    log = captured.getvalue()
    assert "quokkamarker" in log and "Quillfeather" in log  # the operator asked for it
    assert TOKEN not in log and SECRET_HALF not in log


# -- the rules, one by one ---------------------------------------------------------------------


def test_the_token_is_replaced_in_messages_arguments_exceptions_and_stacks(
    captured: io.StringIO,
):
    install_log_filters(
        load_config({"BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": WEBHOOK_SECRET, "LOG_LEVEL": "DEBUG"})
    )
    mine = logging.getLogger("bot.somewhere")
    mine.debug("url http://x/bot%s/getMe", TOKEN)
    mine.info("encoded %s", TOKEN.replace(":", "%3A"))
    mine.warning("half %s and secret %s", SECRET_HALF, WEBHOOK_SECRET)
    try:
        raise RuntimeError(f"Client error for url 'https://api.telegram.org/bot{TOKEN}/x'")
    except RuntimeError:
        mine.exception("failed")
        logging.getLogger("httpx").error("failed", exc_info=True, stack_info=True)
    log = captured.getvalue()
    assert TOKEN not in log and SECRET_HALF not in log and WEBHOOK_SECRET not in log
    assert log.count("<token>") >= 5 and "<webhook secret>" in log
    assert "RuntimeError: Client error for url 'https://api.telegram.org/bot<token>/x'" in log


def test_quoted_text_is_hidden_only_in_library_records(captured: io.StringIO):
    install_log_filters(load_config({"BOT_TOKEN": TOKEN}))
    payload = {"chat_id": 42, "text": 'it\'s "quoted" quokkamarker', "parse_mode": "HTML"}
    for name in CONTENT_LOGGERS:
        logging.getLogger(f"{name}.child").debug("with parameters `%s`", payload)
    logging.getLogger("bot.mine").info("kept 'quokkamarker'")
    lines = captured.getvalue().splitlines()
    for line in lines[:-1]:
        assert "quokkamarker" not in line and "HTML" not in line, line
        assert "'chat_id': 42" not in line and "42" in line  # ids and structure stay
    assert lines[-1] == "INFO bot.mine: kept 'quokkamarker'"


def test_installing_again_replaces_the_settings(captured: io.StringIO):
    install_log_filters(load_config({"BOT_TOKEN": TOKEN}))
    install_log_filters(load_config({"BOT_TOKEN": TOKEN, "LOG_MESSAGE_TEXT": "true"}))
    logging.getLogger("telegram.ext").debug("text %r", "quokkamarker")
    remove_log_filters()
    logging.getLogger("telegram.ext").debug("token %s", TOKEN)
    log = captured.getvalue()
    assert "text 'quokkamarker'" in log
    assert f"token {TOKEN}" in log  # removed: records are left alone again
