"""The Telegram Bot API stand-in (see `server` for the whole picture).

In a test: ``from tests.support.botapi import BotApiStandIn, Call``. As its own process:
``python -m tests.support.botapi --port 0``.
"""

from tests.support.botapi.server import (
    CALLBACK_ANSWER_LIMIT,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    MESSAGE_LIMIT,
    ApiError,
    Blocked,
    BotApiStandIn,
    Call,
    Fault,
    RandomFault,
    StandInState,
    iter_sent_texts,
    parse_html,
    text_entities,
    utf16_len,
)

__all__ = [
    "CALLBACK_ANSWER_LIMIT",
    "CALLBACK_DATA_LIMIT",
    "CAPTION_LIMIT",
    "DEFAULT_TOKEN",
    "DEFAULT_USERNAME",
    "MESSAGE_LIMIT",
    "ApiError",
    "Blocked",
    "BotApiStandIn",
    "Call",
    "Fault",
    "RandomFault",
    "StandInState",
    "iter_sent_texts",
    "parse_html",
    "text_entities",
    "utf16_len",
]
