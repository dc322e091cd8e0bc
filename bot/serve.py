"""Serving Telegram: long polling (a `worker:` process) or a webhook (a `web:` process)."""

from __future__ import annotations

import logging

from telegram import Update

from bot.config import Config
from bot.knowledge.model import KnowledgeBase
from bot.telegram_app import build_application


def setup_logging(config: Config) -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=config.log_level
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


def run_polling(config: Config, kb: KnowledgeBase) -> int:
    setup_logging(config)
    application = build_application(config, kb)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
