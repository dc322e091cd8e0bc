"""The Telegram Bot API stand-in, over real HTTP on 127.0.0.1 (`server` has the whole picture).

In a test: ``from tests.support.botapi import BotApiStandIn, Call``. As its own process:
``python -m tests.support.botapi --port 0``. The modules, one idea each: `server` (the
stand-in, its HTTP handling and the Bot API methods), `updates` (updates as Telegram sends
them), `faults` (failures on purpose), `calls` (the record of what the bot sent),
`formatting` (HTML parse mode, entities, limits), `wire` (requests and error answers).
"""

from tests.support.botapi.calls import Call, iter_sent_texts
from tests.support.botapi.faults import Fault, RandomFault
from tests.support.botapi.formatting import (
    CALLBACK_ANSWER_LIMIT,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    parse_html,
    text_entities,
    utf16_len,
)
from tests.support.botapi.server import (
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    BotApiStandIn,
    StandInState,
)
from tests.support.botapi.wire import ApiError, Blocked

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
