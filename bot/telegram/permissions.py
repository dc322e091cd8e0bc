"""Who may press a button that acts for the whole chat.

In a group every member sees every button. "Yes, delete everything" deletes what the group
stored, so only the person who asked (the button names them) or a chat admin (asked of
Telegram with getChatMember, only when someone else presses) may confirm it. In a private
chat there is no one else.
"""

from __future__ import annotations

import logging

from telegram import Bot, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot import callbacks
from bot.features.privacy import confirming_user, is_confirmation
from bot.i18n.catalog import N_

__all__ = ["NOT_YOURS", "may_press"]

log = logging.getLogger("optout_bot.telegram")

NOT_YOURS = N_("Only the person who asked, or a group admin, can confirm this.")
_ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def may_press(update: Update, bot: Bot) -> bool:
    """False when someone other than the asker (and not an admin) confirms a deletion."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or chat.type == ChatType.PRIVATE:
        return True
    pressed = callbacks.decode(query.data)
    if pressed is None or pressed.kind != "x" or not is_confirmation(pressed.arg):
        return True
    if confirming_user(pressed.arg) == query.from_user.id:
        return True
    try:
        member = await bot.get_chat_member(chat.id, query.from_user.id)
    except TelegramError as exc:  # cannot tell: deleting is not undone, so no
        log.info("could not check whether a user is an admin of chat %s: %s", chat.id, exc)
        return False
    return member.status in _ADMINS
