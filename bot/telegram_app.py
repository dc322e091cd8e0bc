"""The Telegram adapter: PTB handlers that pass text, commands and buttons to the core.

Thin by design. It decides only what is Telegram's business: who is addressed in a
group, how replies are split and sent, and what the user sees when a call fails.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import re
import time
from collections.abc import Collection

from telegram import (
    BotCommand,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.console import parse_command
from bot.conversation import COMMANDS, ChatContext, Knowledge, Responder
from bot.inline import inline_answers
from bot.knowledge.model import KnowledgeBase
from bot.operator_tools import LAST_MATCH, SLOW_DOWN, FloodGuard, Operator
from bot.personal import Personal
from bot.reminders.delivery import DeliveryPolicy
from bot.reminders.scheduler import BotSender, ReminderScheduler
from bot.render.html import split_message
from bot.replies import Reply
from bot.sendbudget import round_limiter, shared_rate_limiter
from bot.store.db import database_url_from
from bot.store.repository import Store
from bot.telegram_markup import keyboard

log = logging.getLogger("optout_bot.telegram")

SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
NOT_TEXT = "I can only read text messages. Ask me a question, or try /optout or /faq."


async def send_reply(message: Message, reply: Reply) -> None:
    """Send one reply, split on paragraphs if long; buttons go on the last part."""
    parts = split_message(reply.text)
    for i, part in enumerate(parts):
        markup = keyboard(reply.buttons) if i == len(parts) - 1 else None
        await message.chat.send_message(part, reply_markup=markup)


def _responder(context: ContextTypes.DEFAULT_TYPE) -> Responder:
    return context.bot_data["responder"]


async def _ctx(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatContext:
    """The chat's stored settings (region, time zone) or the operator's defaults."""
    config: Config = context.bot_data["config"]
    chat = update.effective_chat
    personal: Personal | None = context.bot_data.get("personal")
    user = update.effective_user
    if chat is not None and personal is not None:
        ctx = await personal.context(chat.id)
    else:
        ctx = ChatContext(chat_id=chat.id if chat else None, region=config.default_region)
    ctx.user_id = user.id if user else None
    return ctx


def _flood(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    guard: FloodGuard | None = context.bot_data.get("flood")
    chat = update.effective_chat
    return guard.check(chat.id) if guard is not None and chat is not None else "ok"


BUILTIN_COMMANDS = frozenset({*(name for name, _ in COMMANDS), "deadlines"})


def _leading_command(message: Message) -> str | None:
    """The command token at offset 0 ('/help@bot'), as Telegram marks it; None if not one."""
    for entity in message.entities or ():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return message.parse_entity(entity)
    return None


def is_addressed(
    message: Message,
    bot_username: str,
    bot_id: int,
    known_commands: Collection[str] | None = None,
) -> tuple[bool, str]:
    """In groups: commands to us (or known ones to nobody), @mentions of us, replies to us.

    A command to nobody that we do not know (`/foo`) is most likely another bot's, so it
    is left alone in groups; `/foo@ourbot` still gets the unknown-command reply.
    Returns whether to answer, and the text with our @mention removed.
    """
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return True, text
    command = _leading_command(message)
    if command is not None:
        name, _, target = command[1:].partition("@")
        if target:
            return target.lower() == bot_username.lower(), text
        return known_commands is None or name.lower() in known_commands, text
    mention = re.compile(rf"(?<![\w@])@{re.escape(bot_username)}(?!\w)", re.IGNORECASE)
    if mention.search(text):
        return True, " ".join(mention.sub(" ", text).split())
    reply_to = message.reply_to_message
    if reply_to and reply_to.from_user and reply_to.from_user.id == bot_id:
        return True, text
    return False, text


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or update.effective_chat is None:
        return
    started = time.perf_counter()
    if message.text is None:
        if message.chat.type == ChatType.PRIVATE:
            await message.chat.send_message(NOT_TEXT)
        return
    responder = _responder(context)
    known = BUILTIN_COMMANDS | set(responder.extra_commands)
    addressed, text = is_addressed(message, context.bot.username, context.bot.id, known)
    if not addressed:
        return
    verdict = _flood(update, context)
    if verdict != "ok":
        if verdict == "notice":
            await message.chat.send_message(SLOW_DOWN)
        log.info("update=%s outcome=flood-%s", update.update_id, verdict)
        return
    ctx = await _ctx(update, context)
    command = parse_command(text)
    LAST_MATCH.set(None)
    if command:
        replies = await responder.command(command[0], command[1], ctx)
        outcome, topic = f"command:{command[0]}", "-"
    else:
        replies = await responder.text(text, ctx)
        match = LAST_MATCH.get()
        outcome = match.outcome if match else "empty"
        topic = (match.topic if match else None) or "-"
    for reply in replies:
        await send_reply(message, reply)
    config: Config = context.bot_data["config"]
    log.info(
        "update=%s outcome=%s topic=%s latency_ms=%.1f%s",
        update.update_id,
        outcome,
        topic,
        (time.perf_counter() - started) * 1000,
        f" text={text!r}" if config.log_text else "",
    )


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    if _flood(update, context) != "ok":
        with contextlib.suppress(TelegramError):
            await query.answer(SLOW_DOWN[:200])
        return
    replies = await _responder(context).callback(query.data, await _ctx(update, context))
    toast = next((r.toast for r in replies if r.toast), None)
    try:
        await query.answer(toast)
    except BadRequest:  # a query older than ~15 minutes can no longer be answered
        log.debug("callback query %s too old to answer", query.id)
    message = query.message
    if not isinstance(message, Message):  # inaccessible or inline message
        if update.effective_chat:
            for reply in replies:
                for part in split_message(reply.text):
                    await context.bot.send_message(update.effective_chat.id, part)
        return
    for reply in replies:
        if reply.edit and len(split_message(reply.text)) == 1:
            try:
                await message.edit_text(reply.text, reply_markup=keyboard(reply.buttons))
                continue
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    continue
                log.info("could not edit message, sending a new one: %s", exc)
        await send_reply(message, reply)


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`@botname question`: up to five shareable answers with their sources."""
    query = update.inline_query
    if query is None:
        return
    responder = _responder(context)
    operator: Operator | None = context.bot_data.get("operator")
    answers = inline_answers(
        responder.knowledge,
        query.query,
        responder.clock.now(),
        operator.popular if operator else None,
    )
    results = [
        InlineQueryResultArticle(
            id=a.topic,
            title=a.title,
            description=a.description,
            input_message_content=InputTextMessageContent(a.text, parse_mode=ParseMode.HTML),
        )
        for a in answers
    ]
    await query.answer(results, cache_time=300, is_personal=False)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log every error; tell the user briefly, unless they blocked us."""
    if isinstance(context.error, Forbidden):  # the user blocked the bot: expected
        log.warning("update not answered: %s", context.error)
        return
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.callback_query:
        # Stop the button's spinner; harmless if it was answered already.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(SORRY[:200])
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, SORRY)
        except TelegramError:
            log.warning("could not tell chat %s about the error", update.effective_chat.id)


async def post_init(application: Application) -> None:
    """Open the database, plug in the per-chat features, schedule reminders, set commands."""
    responder: Responder = application.bot_data["responder"]
    config: Config = application.bot_data["config"]
    clock: Clock = application.bot_data["clock"]
    url = database_url_from(config.database_url, config.data_dir)
    store = await Store.open(url)
    application.bot_data["store"] = store
    limiter = round_limiter(application.bot)  # the rounds' share of the bot's send budget
    policy = DeliveryPolicy.for_rate(config.broadcast_rate)
    scheduler = ReminderScheduler(
        application,
        store,
        lambda: responder.kb,
        clock,
        limiter,
        BotSender(application, config.paid_broadcast, pool_size=policy.connections),
        config.default_timezone,
        policy=policy,
    )
    application.bot_data["scheduler"] = scheduler
    personal = Personal.from_config(store, responder, clock, config, scheduler.reschedule)
    application.bot_data["personal"] = personal
    operator = Operator(
        store,
        responder,
        clock,
        config.faq_dir,
        admin_ids=config.admin_ids,
        log_unmatched=config.log_unmatched,
        unmatched_days=config.unmatched_days,
        on_reload=scheduler.reschedule,
    )
    operator.install()
    application.bot_data["operator"] = operator
    application.bot_data["flood"] = FloodGuard(config.flood_limit)
    application.job_queue.run_repeating(
        _flush_operator, interval=60, first=60, name="operator-flush"
    )
    await scheduler.reschedule()
    commands = [*COMMANDS, *responder.extra_help]
    await application.bot.set_my_commands([BotCommand(n, d) for n, d in commands])
    # What is loaded now (knowledge base, matcher indexes, libraries) stays for the life of
    # the process: keep it out of the garbage collector's full passes, which otherwise walk
    # it again and again and stalled the event loop for up to ~120 ms in a 1,000/s round.
    gc.freeze()
    log.info(
        "serving as @%s with %d topics; data in %s",
        application.bot.username,
        len(responder.kb.topics),
        "PostgreSQL" if url.startswith("postgresql") else url.rsplit("/", 1)[-1],
    )


async def _flush_operator(context: ContextTypes.DEFAULT_TYPE) -> None:
    operator: Operator = context.bot_data["operator"]
    await operator.flush()
    guard: FloodGuard = context.bot_data["flood"]
    guard.forget_idle()


async def post_shutdown(application: Application) -> None:
    operator: Operator | None = application.bot_data.get("operator")
    store: Store | None = application.bot_data.get("store")
    scheduler: ReminderScheduler | None = application.bot_data.get("scheduler")
    if scheduler is not None and isinstance(scheduler.sender, BotSender):
        await scheduler.sender.close()
    if operator is not None:
        try:
            await operator.flush()
        except Exception:
            log.exception("could not write the last answer counts")
    if store is not None:
        await store.close()


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: move its stored settings to the new chat id."""
    message = update.effective_message
    store: Store | None = context.bot_data.get("store")
    if message and message.migrate_to_chat_id and store is not None:
        await store.migrate_chat(message.chat.id, message.migrate_to_chat_id)


def build_application(config: Config, kb: KnowledgeBase, clock: Clock | None = None) -> Application:
    builder: ApplicationBuilder = (
        Application.builder()
        .token(config.bot_token or "")
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(shared_rate_limiter(config.broadcast_rate))
        .concurrent_updates(True)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if config.bot_api_url:
        base = config.bot_api_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.replace("/bot", "/file/bot"))
    application = builder.build()
    clock = clock or SystemClock()
    responder = Responder(Knowledge.build(kb), clock)
    application.bot_data["responder"] = responder
    application.bot_data["config"] = config
    application.bot_data["clock"] = clock
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    application.add_handler(CallbackQueryHandler(on_callback))
    application.add_handler(InlineQueryHandler(on_inline))
    application.add_handler(
        # Edited messages are not answered again: the first answer still stands.
        MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, on_message)
    )
    application.add_error_handler(on_error)
    return application
