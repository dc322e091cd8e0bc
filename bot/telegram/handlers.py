"""PTB handlers that pass text, commands and buttons to the core, and send what it says.

Thin by design. They decide only what is Telegram's business: who is addressed in a group,
how replies are split and sent, and what the user sees when a call fails.
"""

from __future__ import annotations

import contextlib
import logging
import time

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.core.context import ChatContext
from bot.features.operator import SLOW_DOWN
from bot.render.html import split_message
from bot.replies import Reply
from bot.telegram.addressing import is_addressed
from bot.telegram.context import BotContext
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


async def _ctx(update: Update, context: BotContext) -> ChatContext:
    chat, user = update.effective_chat, update.effective_user
    # One member's language says nothing about where a group's other members live.
    private = chat is not None and chat.type == ChatType.PRIVATE
    return await context.services.chat_context(
        chat.id if chat else None,
        user.id if user else None,
        user.language_code if user and private else None,
    )


def _flood(update: Update, context: BotContext) -> str:
    chat = update.effective_chat
    return context.services.flood.check(chat.id) if chat is not None else "ok"


async def on_message(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or update.effective_chat is None:
        return
    started = time.perf_counter()
    if message.text is None:
        if message.chat.type == ChatType.PRIVATE:
            await message.chat.send_message(NOT_TEXT)
        return
    services = context.services
    responder = services.responder
    addressed, text = is_addressed(
        message, context.bot.username, context.bot.id, responder.command_names
    )
    if not addressed:
        return
    verdict = _flood(update, context)
    if verdict != "ok":
        if verdict == "notice":
            await message.chat.send_message(SLOW_DOWN)
        log.info("update=%s outcome=flood-%s", update.update_id, verdict)
        return
    turn = await responder.message(text, await _ctx(update, context))
    if turn.match is not None:
        services.operator.record(turn.match, turn.question)
    for reply in turn.replies:
        await send_reply(message, reply)
    log.info(
        "update=%s outcome=%s topic=%s latency_ms=%.1f%s",
        update.update_id,
        turn.outcome,
        turn.topic or "-",
        (time.perf_counter() - started) * 1000,
        f" text={text!r}" if services.config.log_text else "",
    )


async def on_callback(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    if _flood(update, context) != "ok":
        with contextlib.suppress(TelegramError):
            await query.answer(SLOW_DOWN[:200])
        return
    replies = await context.services.responder.callback(query.data, await _ctx(update, context))
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


async def on_error(update: object, context: BotContext) -> None:
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


async def on_migrate(update: Update, context: BotContext) -> None:
    """A group became a supergroup: move its stored settings to the new chat id."""
    message = update.effective_message
    if message and message.migrate_to_chat_id:
        await context.services.store.migrate_chat(message.chat.id, message.migrate_to_chat_id)
