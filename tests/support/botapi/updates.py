"""Updates as Telegram sends them: messages, button presses, inline queries, the queue."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import TYPE_CHECKING, Any

from tests.support.botapi.calls import Call
from tests.support.botapi.formatting import text_entities

if TYPE_CHECKING:
    from tests.support.botapi.server import StandInState


class UpdateBuilders:
    """The update methods of `BotApiStandIn`: queue an update for getUpdates or the webhook."""

    user: dict[str, Any]
    state: StandInState
    _pending: list[dict[str, Any]]
    _next_update_id: int
    _message_ids: itertools.count[int]
    _callback_ids: itertools.count[int]
    _users: itertools.count[int]
    _members: dict[tuple[int, int], dict[str, Any]]
    _update_waiters: set[asyncio.Event]

    def enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (an update_id is added if missing)."""
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        _check_update(update)
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        for key in ("message", "edited_message", "callback_query"):
            payload = update.get(key)
            if isinstance(payload, dict):
                chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
                if chat:
                    self.state.chats.setdefault(chat["id"], chat)
        self._pending.append(update)
        self._wake_pollers()
        return update

    def _wake_pollers(self) -> None:
        for event in self._update_waiters:
            event.set()

    @property
    def waiting_pollers(self) -> int:
        """getUpdates requests (and webhook loops) waiting for an update right now."""
        return len(self._update_waiters)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._pending)

    def new_user(self, first_name: str = "User", **extra: Any) -> dict[str, Any]:
        uid = next(self._users)
        return {"id": uid, "is_bot": False, "first_name": first_name, **extra}

    def private_chat(self, user: dict[str, Any] | None = None) -> dict[str, Any]:
        user = user or self.user
        chat = {"id": user["id"], "type": "private", "first_name": user.get("first_name", "")}
        if user.get("username"):
            chat["username"] = user["username"]
        return chat

    def group_chat(
        self, chat_id: int = -1001234567890, chat_type: str = "supergroup", title: str = "Group"
    ) -> dict[str, Any]:
        if chat_type not in ("group", "supergroup"):
            raise ValueError("chat_type must be group or supergroup")
        return {"id": chat_id, "type": chat_type, "title": title}

    def _message(
        self,
        chat: dict[str, Any],
        user: dict[str, Any],
        text: str | None,
        extra: dict[str, Any] | None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
        }
        if text is not None:
            message["text"] = text
            entities = text_entities(text)
            if entities:
                message["entities"] = entities
        message.update(extra or {})
        return message

    def private_message(
        self,
        text: str | None,
        *,
        user: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user writes to the bot in private. `text=None` with `extra` for stickers etc."""
        user = user or self.user
        return self.enqueue({"message": self._message(self.private_chat(user), user, text, extra)})

    def group_message(
        self,
        text: str | None,
        *,
        chat_id: int = -1001234567890,
        chat_type: str = "supergroup",
        user: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | Call | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A message in a group; `reply_to` is a message (or the Call that sent it)."""
        user = user or self.user
        extra = dict(extra or {})
        if reply_to is not None:
            replied = self._resolve_message(reply_to)
            extra["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to"}
        chat = self.group_chat(chat_id, chat_type)
        self._members[(chat_id, int(user["id"]))] = user
        return self.enqueue({"message": self._message(chat, user, text, extra)})

    @staticmethod
    def sticker() -> dict[str, Any]:
        return {
            "file_id": "CAACAgIAAxkBAAIBZ2Z",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }

    def sticker_message(self, *, user: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.private_message(None, user=user, extra={"sticker": self.sticker()})

    def photo_message(
        self, caption: str | None = None, *, user: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        photo = [
            {"file_id": f"AgACAgIAAxk{i}", "file_unique_id": f"AQAD{i}", "width": w, "height": w}
            for i, w in enumerate((90, 320, 800))
        ]
        extra: dict[str, Any] = {"photo": photo}
        if caption:
            extra["caption"] = caption
        return self.private_message(None, user=user, extra=extra)

    def chat_instance(self, chat_id: int) -> str:
        return str((chat_id * 2654435761) % (1 << 63))

    def callback_query(
        self,
        message: dict[str, Any] | Call,
        data: str | None,
        *,
        user: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user presses an inline button of `message` (a bot message or its Call)."""
        message = self._resolve_message(message)
        chat = message["chat"]
        if user is None:
            if chat["type"] == "private" and chat["id"] != self.user["id"]:
                user = {"id": chat["id"], "is_bot": False, "first_name": chat.get("first_name")}
            else:
                user = self.user
        if chat["type"] != "private":
            self._members[(chat["id"], int(user["id"]))] = user
        query: dict[str, Any] = {
            "id": str(next(self._callback_ids)),
            "from": user,
            "chat_instance": self.chat_instance(chat["id"]),
            "message": message,
        }
        if data is not None:
            query["data"] = data
        self.state.callback_queries[query["id"]] = False
        return self.enqueue({"callback_query": query})

    def press(
        self, message: dict[str, Any] | Call, label: str, *, user: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Press the button whose label contains `label` (case-insensitive) on `message`."""
        current = self._resolve_message(message)
        buttons = [
            b for row in (current.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
        ]
        wanted = [b for b in buttons if label.lower() in b["text"].lower()]
        if not wanted or "callback_data" not in wanted[0]:
            labels = [b["text"] for b in buttons]
            raise LookupError(f"no callback button matching {label!r}; buttons: {labels}")
        return self.callback_query(current, wanted[0]["callback_data"], user=user)

    def _resolve_message(self, message: dict[str, Any] | Call) -> dict[str, Any]:
        if isinstance(message, Call):
            if not isinstance(message.result, dict):
                raise ValueError(f"{message!r} did not produce a message")
            message = message.result
        key = (message["chat"]["id"], message["message_id"])
        return self.state.messages.get(key, message)

    def inline_query(self, query: str, *, user: dict[str, Any] | None = None) -> dict[str, Any]:
        """A user types `@bot query` in any chat."""
        query_id = str(next(self._callback_ids))
        self.state.inline_queries[query_id] = False
        return self.enqueue(
            {
                "inline_query": {
                    "id": query_id,
                    "from": user or self.user,
                    "query": query,
                    "offset": "",
                    "chat_type": "sender",
                }
            }
        )


def _check_update(update: dict[str, Any]) -> None:
    """Refuse an update PTB could not parse: it would block polling for good, as a bad
    update from Telegram would, and the test would only see a timeout."""
    try:
        from telegram import Update
    except ImportError:  # the stand-in does not need PTB to run
        return
    try:
        Update.de_json(json.loads(json.dumps(update)), None)
    except Exception as exc:
        raise ValueError(f"not a valid Telegram update: {exc}") from exc
