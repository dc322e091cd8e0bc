"""The application, wired in one place: `build_services` makes every part from the `Config`.

Telegram (`bot.telegram.lifecycle`), the console and `ask` (`bot.cli`) and the reminder
benchmark all call it, so they run the same responder with the same features: the same words
get the same reply whichever way they arrive. The features' command and button tables are
combined here and handed to the `Responder` when it is built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from telegram.ext import Application

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.core.commands import Router
from bot.core.context import GUESSED_FROM_TELEGRAM, ChatContext, LiveKnowledge
from bot.core.responder import Responder
from bot.features.calendar import Calendar
from bot.features.checklist import Checklist
from bot.features.checkup import Checkup
from bot.features.feedback import Feedback, feedback_summary
from bot.features.language import Languages
from bot.features.letters import Letters
from bot.features.operator import FloodGuard, Operator
from bot.features.outage import StorageWatch, guard_remember, guard_routes, question_language
from bot.features.preferences import Preferences
from bot.features.privacy import Privacy
from bot.features.reminders import Reminders
from bot.i18n.catalog import default_catalogs
from bot.i18n.languages import region_from_language_code
from bot.knowledge.model import REGIONS, KnowledgeBase
from bot.reminders.policy import DeliveryPolicy
from bot.reminders.scheduler import BotSender, ReminderScheduler
from bot.sendbudget import round_limiter
from bot.store.db import database_url_from
from bot.store.errors import StorageUnavailable
from bot.store.repository import Store

__all__ = ["MEMORY_DATABASE", "Services", "build_services", "open_store"]

log = logging.getLogger(__name__)

# A database that lives as long as the process: for `ask`, which answers without a chat.
MEMORY_DATABASE = "sqlite+aiosqlite:///:memory:"


@dataclass(slots=True)
class Services:
    """Everything the front ends use, built once by `build_services`."""

    config: Config
    clock: Clock
    knowledge: LiveKnowledge
    store: Store
    responder: Responder
    preferences: Preferences
    reminders: Reminders
    checklist: Checklist
    checkup: Checkup
    privacy: Privacy
    operator: Operator
    flood: FloodGuard
    languages: Languages
    # Runs reminder rounds on the PTB application's JobQueue: only when serving Telegram.
    scheduler: ReminderScheduler | None = None
    # Notices database outages; the features' routes and `context_or_defaults` report to it.
    storage: StorageWatch = field(default_factory=StorageWatch)

    async def chat_context(
        self,
        chat_id: int | None,
        user_id: int | None = None,
        language_code: str | None = None,
        text: str | None = None,
    ) -> ChatContext:
        """A chat's stored settings (region, time zone) or the operator's defaults.

        The reply language is chosen here for every update, from `text` (the message; None
        for a button press), the chat's choice and Telegram's `language_code`
        (bot/features/language.py). Without a region, the country part of `language_code`
        ("pt-br") is a guess the answer may use and say it used; a bare language ("de")
        says nothing.
        """
        if chat_id is None:
            ctx = ChatContext(region=self.config.default_region)
        else:
            ctx = await self.preferences.context(chat_id)
        ctx.user_id = user_id
        if ctx.region is None:
            guess = region_from_language_code(language_code)
            if guess is not None and guess in REGIONS:
                ctx.region_guess, ctx.guessed_from = guess, GUESSED_FROM_TELEGRAM
        self.languages.choose(ctx, text, language_code)
        return ctx

    async def context_or_defaults(
        self,
        chat_id: int | None,
        user_id: int | None = None,
        *,
        text: str = "",
        language_code: str | None = None,
    ) -> ChatContext:
        """`chat_context`, or while the database is unavailable the operator's defaults and
        the language of `text` (if it tells nothing, the one the chat was last answered in,
        then Telegram's `language_code`)."""

        async def defaults() -> ChatContext:
            last = self.languages.last_language(chat_id) if chat_id is not None else None
            language = await question_language(
                text, language_code, last, self.config.default_language
            )
            return ChatContext(
                chat_id=chat_id,
                user_id=user_id,
                region=self.config.default_region,
                language=language,
            )

        return await self.storage.settings_or_defaults(
            lambda: self.chat_context(chat_id, user_id, language_code, text or None), defaults
        )

    async def close(self) -> None:
        """Stop sending, write the last answer counts, close the database."""
        if self.scheduler is not None and isinstance(self.scheduler.sender, BotSender):
            await self.scheduler.sender.close()
        try:
            await self.operator.flush()
        except StorageUnavailable as exc:
            log.warning("could not write the last answer counts: %s", exc)
        except Exception:
            log.exception("could not write the last answer counts")
        await self.store.close()


async def open_store(config: Config) -> Store:
    """The configured database (SQLite in DATA_DIR, or DATABASE_URL), migrated."""
    return await Store.open(
        database_url_from(config.database_url, config.data_dir), timeout=config.db_timeout
    )


def build_services(
    config: Config,
    kb: KnowledgeBase,
    store: Store,
    *,
    clock: Clock | None = None,
    application: Application | None = None,
    delivery_policy: DeliveryPolicy | None = None,
) -> Services:
    """The whole application over an open `store`.

    With a PTB `application` (serving Telegram) there is a reminder scheduler on its
    JobQueue; without one (the console, `ask`) reminders are stored but not sent.
    `delivery_policy` defaults to the one for `BROADCAST_RATE`.
    """
    clock = clock or SystemClock()
    default_catalogs()  # a broken catalogue stops start-up here, not in a reply
    knowledge = LiveKnowledge.build(kb)
    scheduler: ReminderScheduler | None = None
    if application is not None:
        policy = delivery_policy or DeliveryPolicy.for_rate(config.broadcast_rate)
        scheduler = ReminderScheduler(
            application,
            store,
            lambda: knowledge.kb,
            clock,
            round_limiter(application.bot),  # the rounds' share of the bot's send budget
            BotSender(application, config.paid_broadcast, pool_size=policy.connections),
            config.default_timezone,
            policy=policy,
            quiet_window=config.nudge_quiet,
            default_language=config.default_language,
        )
    reschedule = scheduler.reschedule if scheduler is not None else None
    preferences = Preferences(
        store,
        clock,
        default_timezone=config.default_timezone,
        default_region=config.default_region,
    )
    checklist = Checklist(store, knowledge, clock)
    checkup = Checkup(
        store,
        clock,
        knowledge,
        default_timezone=config.default_timezone,
        quiet=config.nudge_quiet,
        status_fallback=checklist.status,
    )
    reminders = Reminders(
        store,
        clock,
        knowledge,
        default_timezone=config.default_timezone,
        on_subscription_change=reschedule,
        every=checkup.remind_every,
        every_status=checkup.nudge_status,
    )
    feedback = Feedback(store, clock, knowledge)
    privacy = Privacy(
        store,
        knowledge,
        default_region=config.default_region,
        default_timezone=config.default_timezone,
    )
    languages = Languages(store, default=config.default_language)
    operator = Operator(
        store,
        knowledge,
        clock,
        config.faq_dir,
        admin_ids=config.admin_ids,
        log_unmatched=config.log_unmatched,
        unmatched_days=config.unmatched_days,
        on_reload=scheduler.after_reload if scheduler is not None else None,
        extra_stats=lambda language: feedback_summary(store, language=language),
    )
    storage = StorageWatch()
    # The order here is the order of /help and of Telegram's command menu.
    routes = guard_routes(
        Router().include(
            checkup.routes(),
            reminders.routes(),
            checklist.routes(),
            Calendar(store, clock, knowledge, config.default_timezone).routes(),
            Letters(knowledge).routes(),
            feedback.routes(),
            preferences.routes(),
            privacy.routes(),
            languages.routes(),
            operator.routes(),
        ),
        storage,
    )
    responder = Responder(
        knowledge,
        clock,
        routes=routes,
        platform_extras=checklist.platform_extras,
        remember_region=guard_remember(preferences.remember, storage),
        language_offer=languages.offer_buttons,
        # The 👍 / 👎 labels are the feedback feature's; it does not take the language yet.
        answer_extras=feedback.answer_extras,
    )
    return Services(
        config=config,
        clock=clock,
        knowledge=knowledge,
        store=store,
        responder=responder,
        preferences=preferences,
        reminders=reminders,
        checklist=checklist,
        checkup=checkup,
        privacy=privacy,
        operator=operator,
        flood=FloodGuard(config.flood_limit),
        languages=languages,
        scheduler=scheduler,
        storage=storage,
    )
