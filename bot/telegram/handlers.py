"""PTB handlers that pass text, commands and buttons to the core, and send what it says.

Thin by design. They decide only what is Telegram's business: who is addressed in a group,
how replies are split and sent, and what the user sees when a call fails. Those few words of
their own (a failure, a flood, a photo) come before any stored setting is read, so they are
in the language of the person's Telegram app in a private chat (or the one who pressed a
button, for a toast only they see), and in English in a group, whose members differ.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING

from telegram import InputFile, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.core.context import ChatContext
from bot.features.operator import SLOW_DOWN
from bot.features.outage import SETTINGS_UNAVAILABLE, UNAVAILABLE_TOAST
from bot.i18n.catalog import N_, translator
from bot.i18n.languages import normalize_language
from bot.knowledge.model import DEFAULT_LANGUAGE
from bot.render.html import split_message
from bot.replies import Reply
from bot.store.errors import StorageUnavailable
from bot.telegram.addressing import is_addressed, message_text
from bot.telegram.context import BotContext, started_services
from bot.telegram.permissions import NOT_YOURS, may_press
from bot.telegram_markup import keyboard
from bot.textclean import clean_text

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger("optout_bot.telegram")

SORRY = N_("Sorry, something went wrong on my side. Please try again in a moment.")
NOT_TEXT = N_("I can only read text messages. Ask me a question, or try /optout or /faq.")


CAPTION_LIMIT = 1024  # a document's caption, in characters


async def send_reply(message: Message, reply: Reply) -> None:
    """Send one reply, split on paragraphs if long; buttons go on the last part.

    A reply with a document goes as that document, its text the caption (sent before it
    instead, if too long for one); a reply with neither text nor document sends nothing.
    """
    if reply.document is not None:
        document = reply.document
        caption = reply.text if len(reply.text) <= CAPTION_LIMIT else None
        if caption is None:
            for part in split_message(reply.text):
                await message.chat.send_message(part)
        await message.chat.send_document(
            InputFile(document.content, filename=document.filename),
            caption=caption or None,
            reply_markup=keyboard(reply.buttons),
        )
        return
    if not reply.text:
        return
    parts = split_message(reply.text)
    for i, part in enumerate(parts):
        markup = keyboard(reply.buttons) if i == len(parts) - 1 else None
        await message.chat.send_message(part, reply_markup=markup)


async def _ctx(update: Update, context: BotContext, text: str = "") -> ChatContext:
    """The chat's settings, and the reply language read from `text` (the message); the
    defaults (and the language of `text`) while the database is unavailable."""
    chat, user = update.effective_chat, update.effective_user
    # One member's Telegram language says nothing about a group's other members.
    private = chat is not None and chat.type == ChatType.PRIVATE
    return await context.services.context_or_defaults(
        chat.id if chat else None,
        user.id if user else None,
        text=text,
        language_code=user.language_code if user and private else None,
    )


def _language(update: Update, services: Services | None, *, presser: bool = False) -> str:
    """The language of the handlers' own words (sorry, slow down, settings unavailable): the
    one the chat was last answered in, which is its chosen language once it has one, and
    which holds through a database outage; before any answer, the Telegram app's language of
    the person in a private chat, or (`presser`) of the one who pressed a button; the
    operator's DEFAULT_LANGUAGE (English unless set) in a group."""
    chat, user = update.effective_chat, update.effective_user
    default = DEFAULT_LANGUAGE if services is None else services.languages.default
    if chat is not None and services is not None:
        last = services.languages.last_language(chat.id)
        if last is not None:
            return last
    if user is None or not (presser or (chat is not None and chat.type == ChatType.PRIVATE)):
        return default
    return normalize_language(user.language_code) or default


def _say(message: str, update: Update, context: BotContext, *, presser: bool = False) -> str:
    services = started_services(context.application)
    return translator(_language(update, services, presser=presser)).gettext(message)


def _flood(update: Update, context: BotContext) -> str:
    chat = update.effective_chat
    return context.services.flood.check(chat.id) if chat is not None else "ok"


async def on_message(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or update.effective_chat is None:
        return
    started = time.perf_counter()
    if message_text(message) is None:
        if message.chat.type == ChatType.PRIVATE:
            await message.chat.send_message(_say(NOT_TEXT, update, context))
        return
    services = context.services
    responder = services.responder
    addressed, text = is_addressed(
        message, context.bot.username, context.bot.id, responder.command_names
    )
    if not addressed:
        return
    text = clean_text(text)  # no bidi overrides, zero-width or control characters
    verdict = _flood(update, context)
    if verdict != "ok":
        if verdict == "notice":
            await message.chat.send_message(_say(SLOW_DOWN, update, context))
        log.info("update=%s outcome=flood-%s", update.update_id, verdict)
        return
    ctx = await _ctx(update, context, text)
    turn = await responder.message(text, ctx)
    if turn.match is not None:
        services.operator.record(turn.match, turn.question)
    for reply in turn.replies:
        await send_reply(message, reply)
    # A command we do not know is whatever the person typed after "/": not for the log.
    known = turn.command is None or turn.command in responder.command_names
    log.info(
        "update=%s outcome=%s topic=%s lang=%s latency_ms=%.1f%s",
        update.update_id,
        turn.outcome if known else "command:unknown",
        turn.topic or "-",
        ctx.language,
        (time.perf_counter() - started) * 1000,
        f" text={text!r}" if services.config.log_text else "",
    )


async def on_callback(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    if _flood(update, context) != "ok":
        with contextlib.suppress(TelegramError):
            await query.answer(_say(SLOW_DOWN, update, context, presser=True)[:200])
        return
    if not await may_press(update, context.bot):
        with contextlib.suppress(TelegramError):
            await query.answer(_say(NOT_YOURS, update, context, presser=True))
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
                for part in split_message(reply.text) if reply.text else ():
                    await context.bot.send_message(update.effective_chat.id, part)
        return
    for reply in replies:
        if reply.edit and reply.text and len(split_message(reply.text)) == 1:
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
    error = context.error
    if isinstance(error, Forbidden):  # the user blocked the bot: expected
        log.warning("update not answered: %s", error)
        return
    if isinstance(error, StorageUnavailable):  # an outage, not a bug: one line, a clear word
        context.services.storage.failed(error, "handling an update")
        text, toast = SETTINGS_UNAVAILABLE, UNAVAILABLE_TOAST
    else:
        log.error("error while handling an update", exc_info=error)
        text, toast = SORRY, SORRY
    if isinstance(update, Update):
        toast = _say(toast, update, context, presser=True)[:200]
        text = _say(text, update, context)
    else:
        toast = toast[:200]
    if isinstance(update, Update) and update.callback_query:
        # Stop the button's spinner; harmless if it was answered already.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(toast)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, text)
        except TelegramError:
            log.warning("could not tell chat %s about the error", update.effective_chat.id)


async def on_migrate(update: Update, context: BotContext) -> None:
    """A group became a supergroup: move its stored settings to the new chat id."""
    message = update.effective_message
    if message and message.migrate_to_chat_id:
        try:
            await context.services.store.migrate_chat(message.chat.id, message.migrate_to_chat_id)
        except StorageUnavailable as exc:
            context.services.storage.failed(exc, "moving a group's settings to its new id")
            _retry_migration(context, message.chat.id, message.migrate_to_chat_id, 1)


MIGRATION_RETRY_EVERY = 60.0  # seconds
MIGRATION_ATTEMPTS = 60


def _retry_migration(context: BotContext, old: int, new: int, attempt: int) -> None:
    """Telegram tells of a migration once: keep trying, so the settings follow the group."""
    if attempt > MIGRATION_ATTEMPTS or context.job_queue is None:
        log.warning("group %s became %s; its settings stay under the old id", old, new)
        return
    context.job_queue.run_once(
        _migrate_job, MIGRATION_RETRY_EVERY, data=(old, new, attempt), name=f"migrate:{old}"
    )


async def _migrate_job(context: BotContext) -> None:
    assert context.job is not None
    old, new, attempt = context.job.data  # type: ignore[misc]
    try:
        await context.services.store.migrate_chat(old, new)
    except StorageUnavailable as exc:
        context.services.storage.failed(exc, "moving a group's settings to its new id")
        _retry_migration(context, old, new, attempt + 1)
    else:
        log.info("group %s became %s: its settings moved after the outage", old, new)
