"""The PTB application: built with our handlers, started and stopped with our services.

`post_init` opens the database and calls `bot.app.build_services`, the one builder every
entry point uses; `post_shutdown` closes what it opened.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.app import build_services, open_store
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.i18n.catalog import TRANSLATED_LANGUAGES, translator
from bot.knowledge.model import KnowledgeBase
from bot.lang.detect import default_detector
from bot.sendbudget import shared_rate_limiter
from bot.store.errors import StorageUnavailable
from bot.telegram.context import CONTEXT_TYPES, BotContext, set_services, started_services
from bot.telegram.handlers import on_callback, on_error, on_message, on_migrate
from bot.telegram.inflight import InFlight
from bot.telegram.inline import on_inline
from bot.telegram.retry import RetryingRequest

log = logging.getLogger("optout_bot.telegram")

FLUSH_EVERY = 60  # seconds between writes of the answer counts


class _Lifecycle:
    """What the application needs at start-up, and the start and stop steps themselves."""

    def __init__(self, config: Config, kb: KnowledgeBase, clock: Clock) -> None:
        self.config = config
        self.kb = kb
        self.clock = clock
        self.language_model: asyncio.Future[object] | None = None

    async def post_init(self, application: Application) -> None:
        """Open the database, build the services, schedule reminders, set the command menu."""
        store = await open_store(self.config)
        services = build_services(
            self.config, self.kb, store, clock=self.clock, application=application
        )
        set_services(application, services)
        assert application.job_queue is not None
        application.job_queue.run_repeating(
            _flush_operator, interval=FLUSH_EVERY, first=FLUSH_EVERY, name="operator-flush"
        )
        assert services.scheduler is not None
        await services.scheduler.reschedule()
        # The alerts a newer `changed:` in faq/ calls for, then nudges and alerts now and
        # every few minutes.
        await services.scheduler.record_changes()
        services.scheduler.start_checkup()
        await set_commands(application, services.responder.menu)
        # The language model takes about a second to load: in a thread while polling starts
        # (a message that needs it sooner waits for it).
        self.language_model = asyncio.get_running_loop().run_in_executor(
            None, default_detector().load
        )
        # What is loaded now (knowledge base, matcher indexes, libraries) stays for the life
        # of the process: keep it out of the garbage collector's full passes, which would
        # walk it again and again (pauses of up to ~120 ms were measured in a 1,000/s round).
        gc.freeze()
        engine = store.engine
        log.info(
            "serving as @%s with %d topics; data in %s",
            application.bot.username,
            len(services.knowledge.kb.topics),
            "PostgreSQL"
            if engine.dialect.name == "postgresql"
            else str(engine.url.database).rsplit("/", 1)[-1],
        )

    async def post_shutdown(self, application: Application) -> None:
        services = started_services(application)
        if services is not None:
            await services.close()


async def set_commands(application: Application, menu: tuple[tuple[str, str], ...]) -> None:
    """Telegram's command menu: English for everyone, and each language's own for users
    whose app is set to it (the `language_code` scope), from the gettext catalogues."""
    await application.bot.set_my_commands([BotCommand(n, d) for n, d in menu])
    for language in TRANSLATED_LANGUAGES:
        _ = translator(language).gettext
        await application.bot.set_my_commands(
            [BotCommand(name, _(description)) for name, description in menu],
            language_code=language,
        )


async def _flush_operator(context: BotContext) -> None:
    services = context.services
    services.flood.forget_idle()
    try:
        await services.operator.flush()
    except StorageUnavailable as exc:  # the counts are kept for the next flush
        services.storage.failed(exc, "writing the answer counts")


def build_application(config: Config, kb: KnowledgeBase, clock: Clock | None = None) -> Application:
    lifecycle = _Lifecycle(config, kb, clock or SystemClock())
    builder: ApplicationBuilder = (
        Application.builder()
        .token(config.bot_token or "")
        .context_types(CONTEXT_TYPES)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(shared_rate_limiter(config.broadcast_rate))
        # Transient failures of a send are tried again before the user gets "sorry".
        .request(RetryingRequest())
        # At most MAX_IN_FLIGHT updates taken and not answered; polling and the webhook take
        # no more (bot.telegram.polling, bot.telegram.webhook), so PTB's Updater is not used.
        .concurrent_updates(InFlight())
        .updater(None)
        .post_init(lifecycle.post_init)
        .post_shutdown(lifecycle.post_shutdown)
    )
    if config.bot_api_url:
        base = config.bot_api_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.replace("/bot", "/file/bot"))
    application = builder.build()
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    application.add_handler(CallbackQueryHandler(on_callback))
    application.add_handler(InlineQueryHandler(on_inline))
    application.add_handler(
        # Edited messages are not answered again: the first answer still stands.
        MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, on_message)
    )
    application.add_error_handler(on_error)
    return application
