"""Keep the bot token and people's messages out of every log line, at every level.

At `LOG_LEVEL=DEBUG` the libraries under the bot log what they handle: python-telegram-bot
logs each update and each Bot API call with its parameters and result (message text, names)
and the API URL, which holds the token ("Set Bot API URL: .../bot<TOKEN>"); httpx logs every
request URL; aiosqlite and SQLAlchemy log statement parameters. The bot's own log lines are
already careful, so the rules here are for everything:

- the bot token (whole, its secret half, URL-encoded) and the webhook secret are replaced
  in every record: its message, its exception text and its stack;
- in records from the libraries that carry content (`CONTENT_LOGGERS`), every quoted string
  (a repr's `'...'` or `"..."`) is replaced by `'…'` unless `LOG_MESSAGE_TEXT=true`: that is
  where message text, names and captions appear, while ids, methods and counts stay readable.
  httpx and httpcore are not among them: they log URLs, statuses and headers, never bodies.

This works as a log record factory, so it holds for every handler and every level, including
handlers added later (a test's capture, an error tracker), without touching the loggers'
configuration.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from bot.config import Config

__all__ = [
    "CONTENT_LOGGERS",
    "Redactor",
    "install_log_filters",
    "remove_log_filters",
]

CONTENT_LOGGERS = ("telegram", "apscheduler", "aiosqlite", "sqlalchemy", "asyncpg", "tornado")
TOKEN_MARK = "<token>"
SECRET_MARK = "<webhook secret>"
HIDDEN = "…"
# A webhook secret shorter than this is not searched for: it would blank out common words.
MIN_SECRET = 8
_QUOTED = re.compile(r"""(?P<q>['"])(?:(?!(?P=q))[^\\\n]|\\.)*(?P=q)""")


class Redactor:
    """What to remove from a log record, and the removing."""

    def __init__(self, token: str | None, webhook_secret: str | None, hide_text: bool) -> None:
        secrets: dict[str, str] = {}
        if token:
            for form in (token, quote(token, safe=""), token.partition(":")[2]):
                if len(form) >= MIN_SECRET:
                    secrets[form] = TOKEN_MARK
        if webhook_secret and len(webhook_secret) >= MIN_SECRET:
            secrets[webhook_secret] = SECRET_MARK
        # Longest first, so a token's secret half does not break up the whole token.
        self._secrets = sorted(secrets.items(), key=lambda kv: len(kv[0]), reverse=True)
        self.hide_text = hide_text

    def text(self, text: str, *, content: bool) -> str:
        for secret, mark in self._secrets:
            if secret in text:
                text = text.replace(secret, mark)
        if content and self.hide_text:
            text = _QUOTED.sub(lambda m: f"{m['q']}{HIDDEN}{m['q']}", text)
        return text

    def record(self, record: logging.LogRecord) -> None:
        """Rewrite `record` in place: its message rendered and cleaned, its exception
        text and stack cleaned (rendered now, so formatters use the cleaned text)."""
        content = _is_content_logger(record.name)
        try:
            message = record.getMessage()
        except Exception:  # bad arguments: show the format string rather than fail here
            message = str(record.msg)
        record.msg = self.text(message, content=content)
        record.args = None
        if record.exc_info and not record.exc_text:
            rendered = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = self.text(rendered, content=content)
        elif record.exc_text:
            record.exc_text = self.text(record.exc_text, content=content)
        if record.stack_info:
            record.stack_info = self.text(record.stack_info, content=content)


def _is_content_logger(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in CONTENT_LOGGERS)


_original_factory: Callable[..., logging.LogRecord] | None = None


def install_log_filters(config: Config) -> Redactor:
    """Clean every log record from now on, as `config` says; call once when logging is set
    up (again to change the settings: the earlier one is replaced, not stacked)."""
    global _original_factory
    if _original_factory is None:
        _original_factory = logging.getLogRecordFactory()
    base = _original_factory
    redactor = Redactor(config.bot_token, config.webhook_secret, hide_text=not config.log_text)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        redactor.record(record)
        return record

    logging.setLogRecordFactory(factory)
    return redactor


def remove_log_filters() -> None:
    """Back to the record factory there was before `install_log_filters` (tests)."""
    global _original_factory
    if _original_factory is not None:
        logging.setLogRecordFactory(_original_factory)
        _original_factory = None
