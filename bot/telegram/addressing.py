"""Which group messages are for this bot: commands to it, @mentions of it, replies to it."""

from __future__ import annotations

import re
from collections.abc import Collection

from telegram import Message, MessageEntity
from telegram.constants import ChatType


def message_text(message: Message) -> str | None:
    """What the person wrote: the text, or a photo's (video's, file's) caption; None if neither."""
    return message.text if message.text is not None else message.caption


def _leading_command(message: Message) -> str | None:
    """The command token at offset 0 ('/help@bot'), as Telegram marks it; None if not one."""
    in_text = message.text is not None
    for entity in (message.entities if in_text else message.caption_entities) or ():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            if in_text:
                return message.parse_entity(entity)
            return message.parse_caption_entity(entity)
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
    text = message_text(message) or ""
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
