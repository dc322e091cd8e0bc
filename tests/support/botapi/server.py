"""A Telegram Bot API stand-in served over real HTTP on 127.0.0.1, for end-to-end tests.

The bot under test talks to it exactly as it talks to api.telegram.org: PTB's httpx client,
form-encoded POSTs to ``/bot<TOKEN>/<method>``, keep-alive connections, long polling.
The stand-in answers with the Bot API's real shapes (``{"ok": true, "result": ...}``,
Unix-second dates, ``is_bot``, ``chat_instance``; errors as ``{"ok": false, "error_code",
"description", "parameters": {"retry_after"}}``) and checks what real Telegram checks:
HTML that does not parse, text over 4,096 characters, callback data over 64 bytes,
unknown chats and messages, answering a callback query twice.

In-process (the test's event loop)::

    standin = BotApiStandIn()
    await standin.start()                      # ephemeral port; standin.base_url
    standin.private_message("/start")          # queue an update for getUpdates
    [call] = await standin.wait_for("sendMessage")
    standin.press(call, "Instagram")           # a callback query for that button
    standin.fail_next("sendMessage", 429, retry_after=1)
    await standin.stop()

As a separate process: ``python -m tests.support.botapi --port 0`` prints the port on its
first line; a control API under ``/_standin/`` (JSON) drives it from another process:
``POST /_standin/update`` (``{"update": {...}}`` or ``{"helper": "private_message",
"args": {...}}``), ``GET /_standin/calls?method=&after=``, ``POST /_standin/fail``
(``{"method", "kind", "times", "retry_after", "description", "seconds"}``),
``POST /_standin/block`` (``{"chat_id"}``), ``GET /_standin/health``. getChatMember says
"administrator" for users made admins with `make_admin`, "member" for others seen in the group.
``POST /_standin/fail`` with ``"probability"`` (and ``"kinds"``, a list, instead of
``"kind"``; optional ``"seed"``) calls `fail_randomly` instead; ``GET /_standin/calls`` with
``compact=1`` returns ``[index, method, chat_id, ok, fault, time]`` rows, small enough for
100,000 calls.

Webhook mode: after ``setWebhook`` queued updates are POSTed to the webhook URL (with the
``X-Telegram-Bot-Api-Secret-Token`` header) instead of waiting for ``getUpdates``, which then
fails with 409 as on Telegram.

Fault kinds for ``fail_next``: 429 (``retry_after``), 403 (blocked by the user), 400
(``description``), 502 (nginx's HTML page, as Telegram's front end sends it), 409, 500,
and ``"stall"``: hold the connection ``seconds`` then close it without an answer and
without performing the call. ``fail_randomly(method, kinds, probability)`` fails a random
share of the calls instead (benchmarks: "5% of sends fail transiently"); faults queued with
``fail_next`` come first.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.support.botapi.calls import Call
from tests.support.botapi.faults import NGINX_502, Fault, FaultInjection, RandomFault, _fault_error
from tests.support.botapi.formatting import (
    CALLBACK_ANSWER_LIMIT,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    parse_html,
)
from tests.support.botapi.updates import UpdateBuilders
from tests.support.botapi.wire import (
    REASONS,
    ApiError,
    Blocked,
    _json,
    _params,
    _read_request,
    _Request,
)

DEFAULT_TOKEN = "123:TEST"
DEFAULT_USERNAME = "optout_test_bot"


@dataclass
class StandInState:
    """Chats, users and messages the stand-in knows about."""

    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    callback_queries: dict[str, bool] = field(default_factory=dict)  # id -> answered
    inline_queries: dict[str, bool] = field(default_factory=dict)  # id -> answered
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    admins: dict[int, set[int]] = field(default_factory=dict)  # chat id -> admin user ids


class BotApiStandIn(UpdateBuilders, FaultInjection):
    """The Bot API stand-in. See the module docstring for the whole picture."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        username: str = DEFAULT_USERNAME,
        *,
        strict_chats: bool = False,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.username = username
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "OptOut Test Bot",
            "username": username,
        }
        # Unknown chat ids get a private chat made up on the fly unless strict.
        self.strict_chats = strict_chats
        self.host = "127.0.0.1"
        self.port = 0
        self.calls: list[Call] = []
        self.state = StandInState()
        self.webhook: dict[str, Any] = {"url": ""}
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status)
        self._faults: dict[str, list[Fault]] = {}
        self._random_faults: dict[str, RandomFault] = {}
        self._rng = random.Random()
        self._pending: list[dict[str, Any]] = []
        self._next_update_id = 100_000
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(5_000_000_000)
        self._users = itertools.count(2001)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._calls_changed: asyncio.Event | None = None
        # One event per waiting getUpdates / webhook loop, set when updates arrive.
        self._update_waiters: set[asyncio.Event] = set()
        self._poll_generation = 0
        self._webhook_task: asyncio.Task[None] | None = None
        self._allowed_updates: list[str] | None = None
        self._members: dict[tuple[int, int], dict[str, Any]] = {}  # users seen in groups
        self.user = {
            "id": 1001,
            "is_bot": False,
            "first_name": "Alice",
            "username": "alice",
            "language_code": "en",
        }

    # -- lifecycle -------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> BotApiStandIn:
        self._calls_changed = asyncio.Event()
        self._server = await asyncio.start_server(self._on_connection, host, port)
        self.host = host
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
        for writer in list(self._writers):
            writer.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def __aenter__(self) -> BotApiStandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What to pass as BOT_API_URL (PTB appends the token)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{self.token}"

    # -- blocking and admins -----------------------------------------------------------
    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send to this chat fails with 403 from now on."""
        self.state.blocked.add(int(chat_id))

    def unblock(self, chat_id: int) -> None:
        self.state.blocked.discard(int(chat_id))

    def make_admin(self, chat_id: int, user: dict[str, Any]) -> None:
        """`user` administers the group `chat_id` (getChatMember says "administrator")."""
        self.state.admins.setdefault(int(chat_id), set()).add(int(user["id"]))
        self._members[(int(chat_id), int(user["id"]))] = user

    # -- recorded calls ----------------------------------------------------------------
    def mark(self) -> int:
        """A position in the call log, for `calls_for(..., after=mark)`."""
        return len(self.calls)

    def calls_for(
        self,
        method: str | None = None,
        *,
        after: int = 0,
        include_failed: bool = False,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        return [
            c
            for c in self.calls[after:]
            if (method is None or c.method == method)
            and (include_failed or c.ok)
            and (where is None or where(c))
        ]

    async def wait_for(
        self,
        method: str | None,
        count: int = 1,
        timeout: float = 5.0,
        *,
        after: int = 0,
        include_failed: bool = False,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until `count` matching calls are recorded; return exactly the first `count`.

        `method=None` matches any method; `after` is a `mark()`; `where` filters further.
        Raises TimeoutError listing the recent calls when they do not come in time.
        """
        assert self._calls_changed is not None, "start() the stand-in first"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._calls_changed
            found = self.calls_for(method, after=after, include_failed=include_failed, where=where)
            if len(found) >= count:
                return found[:count]
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n  ".join(repr(c) for c in self.calls[after:][-15:])
                raise TimeoutError(
                    f"expected {count} {method} call(s) within {timeout}s, got {len(found)}; "
                    f"recent calls:\n  {recent}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _record(self, call: Call) -> None:
        call.index = len(self.calls)  # position in `calls`, comparable with mark()
        self.calls.append(call)
        if self._calls_changed is not None:
            self._calls_changed.set()
            self._calls_changed = asyncio.Event()

    # -- HTTP ------------------------------------------------------------------------
    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self._writers.add(writer)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                keep_alive = request.headers.get("connection", "").lower() != "close"
                status, body, content_type, extra_headers = await self._dispatch(request)
                if status == 0:  # stall: drop the connection without an answer
                    break
                head = [
                    f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}",
                    "Server: nginx/1.18.0",
                    f"Content-Type: {content_type}",
                    f"Content-Length: {len(body)}",
                    "Connection: keep-alive" if keep_alive else "Connection: close",
                    *extra_headers,
                ]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._connections.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _dispatch(self, request: _Request) -> tuple[int, bytes, str, list[str]]:
        path = request.path
        if path.startswith("/_standin/"):
            return await self._control(request)
        m = re.fullmatch(r"/bot([^/]*)/([A-Za-z]+)/?", path)
        if m is None:
            return _json(404, ApiError(404, "Not Found").payload())
        if m.group(1) != self.token:
            return _json(401, ApiError(401, "Unauthorized").payload())
        method = m.group(2)
        params = _params(request)
        call = Call(method, params, time.time(), -1)
        fault = self._take_fault(method)
        if fault is not None:
            call.ok = False
            call.fault = str(fault.kind)
            if fault.kind == "stall":
                self._record(call)
                await asyncio.sleep(fault.seconds)
                return 0, b"", "", []
            if fault.kind == 502:
                call.error = {"error_code": 502, "description": "Bad Gateway"}
                self._record(call)
                return 502, NGINX_502, "text/html", []
            error = _fault_error(fault)
            call.error = error.payload()
            self._record(call)
            return _json(error.code, error.payload())
        handler = getattr(self, f"_api_{method.lower()}", None)
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            call.ok = False
            call.error = exc.payload()
            if isinstance(exc, Blocked):
                call.fault = "blocked"  # injected by the test through block()
            self._record(call)
            return _json(exc.code, exc.payload())
        call.result = result
        self._record(call)
        return _json(200, {"ok": True, "result": result})

    async def _control(self, request: _Request) -> tuple[int, bytes, str, list[str]]:
        action = request.path.removeprefix("/_standin/").strip("/")
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return _json(400, {"ok": False, "description": "body must be JSON"})
        query = dict(parse_qsl(request.query))
        if action == "health":
            return _json(200, {"ok": True, "result": {"port": self.port, "calls": len(self.calls)}})
        if action == "calls":
            after = int(query.get("after", 0))
            calls = self.calls_for(query.get("method") or None, after=after, include_failed=True)
            if query.get("compact") in ("1", "true"):
                rows = [[c.index, c.method, c.chat_id, c.ok, c.fault, c.time] for c in calls]
                return _json(200, {"ok": True, "result": rows})
            result = [
                {
                    "index": c.index,
                    "method": c.method,
                    "params": c.params,
                    "time": c.time,
                    "ok": c.ok,
                    "result": c.result,
                    "error": c.error,
                    "fault": c.fault,
                }
                for c in calls
            ]
            return _json(200, {"ok": True, "result": result})
        if action == "update":
            if "update" in data:
                return _json(200, {"ok": True, "result": self.enqueue(data["update"])})
            helper = data.get("helper")
            if helper not in (
                "private_message",
                "group_message",
                "callback_query",
                "press",
                "sticker_message",
                "photo_message",
            ):
                return _json(400, {"ok": False, "description": f"unknown helper {helper!r}"})
            args = dict(data.get("args") or {})
            try:
                update = getattr(self, helper)(**args)
            except (LookupError, TypeError, ValueError) as exc:
                return _json(400, {"ok": False, "description": str(exc)})
            return _json(200, {"ok": True, "result": update})
        if action == "fail" and "probability" in data:
            try:
                self.fail_randomly(
                    data["method"],
                    data.get("kinds", data.get("kind")),
                    float(data["probability"]),
                    retry_after=int(data.get("retry_after", 1)),
                    description=data.get("description"),
                    seconds=float(data.get("seconds", 10.0)),
                    seed=data.get("seed"),
                )
            except (KeyError, TypeError, ValueError) as exc:
                return _json(400, {"ok": False, "description": str(exc)})
            return _json(200, {"ok": True, "result": True})
        if action == "fail":
            try:
                self.fail_next(
                    data["method"],
                    data["kind"],
                    int(data.get("times", 1)),
                    retry_after=int(data.get("retry_after", 1)),
                    description=data.get("description"),
                    seconds=float(data.get("seconds", 10.0)),
                )
            except (KeyError, ValueError) as exc:
                return _json(400, {"ok": False, "description": str(exc)})
            return _json(200, {"ok": True, "result": True})
        if action == "block":
            self.block(int(data["chat_id"]))
            return _json(200, {"ok": True, "result": True})
        return _json(404, {"ok": False, "description": f"unknown control action {action!r}"})

    # -- Bot API methods -------------------------------------------------------------------
    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.state.blocked:
            raise Blocked()
        chat = self.state.chats.get(chat_id)
        if chat is None:
            if self.strict_chats or chat_id <= 0:
                raise ApiError(400, "Bad Request: chat not found")
            chat = {"id": chat_id, "type": "private", "first_name": "User"}
            self.state.chats[chat_id] = chat
        return chat

    def _render_text(self, params: dict[str, Any], key: str = "text") -> dict[str, Any]:
        raw = params.get(key)
        if not isinstance(raw, str):
            raw = "" if raw is None else str(raw)
        mode = (params.get("parse_mode") or "").lower()
        if mode == "html":
            plain, entities = parse_html(raw)
        elif mode:  # Markdown/MarkdownV2: kept approximately as sent
            plain, entities = raw, []
        else:
            plain, entities = raw, list(params.get("entities") or [])
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(plain) > MESSAGE_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        out: dict[str, Any] = {"text": plain}
        if entities:
            out["entities"] = entities
        return out

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None  # reply keyboards are not echoed in the message
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button")
                actions = [k for k in button if k != "text"]
                if len(actions) != 1:
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button")
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(str(data).encode("utf-8"))
                    if not isinstance(data, str) or not 1 <= size <= CALLBACK_DATA_LIMIT:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "url" in button and not re.match(r"^(https?|tg)://[^\s]+$", str(button["url"])):
                    raise ApiError(400, "Bad Request: inline keyboard button URL is invalid")
        if not any(rows):
            return None
        return {"inline_keyboard": rows}

    def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(params.get("offset"), 0)
        limit = min(max(_int(params.get("limit"), 100), 1), 100)
        timeout = max(_int(params.get("timeout"), 0), 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = allowed or None
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        # A newer getUpdates terminates a waiting one, as on Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = asyncio.Event()
        self._update_waiters.add(event)
        try:
            while True:
                if generation != self._poll_generation or self.webhook.get("url"):
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
                ready = [u for u in self._pending if self._allowed(u)][:limit]
                remaining = deadline - loop.time()
                if ready or remaining <= 0:
                    return ready
                event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
        finally:
            self._update_waiters.discard(event)

    def _allowed(self, update: dict[str, Any]) -> bool:
        if not self._allowed_updates:
            return True
        return any(key in update for key in self._allowed_updates)

    def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = {"url": url, "secret_token": secret}
        if url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        self._wake_pollers()
        return True

    def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = {"url": ""}
        self._wake_pollers()
        return True

    def _api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if info["url"]:
            info["max_connections"] = 40
            info["ip_address"] = "127.0.0.1"
        return info

    async def _deliver_webhook(self) -> None:
        import httpx  # PTB's own HTTP client; only needed in webhook mode

        event = asyncio.Event()
        self._update_waiters.add(event)
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                while self.webhook.get("url"):
                    if not self._pending:
                        event.clear()
                        await event.wait()
                        continue
                    update = self._pending[0]
                    headers = {"Content-Type": "application/json"}
                    if self.webhook.get("secret_token"):
                        headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                    try:
                        response = await client.post(
                            self.webhook["url"], content=json.dumps(update), headers=headers
                        )
                        status = response.status_code
                    except httpx.HTTPError:
                        status = 0
                    self.webhook_deliveries.append((update["update_id"], status))
                    if 200 <= status < 300:
                        if self._pending and self._pending[0] is update:
                            self._pending.pop(0)
                    else:
                        await asyncio.sleep(0.2)
        finally:
            self._update_waiters.discard(event)

    def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an array of at most 100")
        for c in commands:
            if not isinstance(c, dict) or not re.fullmatch(
                r"[a-z0-9_]{1,32}", c.get("command", "")
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(c.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.state.commands[_commands_key(params)] = commands
        return True

    def _api_getmycommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return self.state.commands.get(_commands_key(params), [])

    def _api_deletemycommands(self, params: dict[str, Any]) -> bool:
        self.state.commands.pop(_commands_key(params), None)
        return True

    def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"))
        rendered = self._render_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            **rendered,
        }
        if markup:
            message["reply_markup"] = markup
        self.state.messages[(chat["id"], message["message_id"])] = message
        return message

    def _stored_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"))
        message = self.state.messages.get((chat["id"], _int(params.get("message_id"), -1)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            self._render_text(params)
            return True
        message = self._stored_message(params)
        rendered = self._render_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        same_text = rendered.get("text") == message.get("text") and rendered.get(
            "entities"
        ) == message.get("entities")
        if same_text and markup == message.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message.pop("entities", None)
        message.update(rendered)
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored_message(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        return message

    def _api_deletemessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params.get("chat_id"))
        key = (chat["id"], _int(params.get("message_id"), -1))
        if self.state.messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self.state.callback_queries.get(query_id, True):
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(params.get("text") or "") > CALLBACK_ANSWER_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.state.callback_queries[query_id] = True
        return True

    def _api_answerinlinequery(self, params: dict[str, Any]) -> bool:
        """As Telegram: at most 50 results, unique ids, message texts that parse and fit."""
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self.state.inline_queries or self.state.inline_queries[query_id]:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        results = params.get("results") or []
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [r.get("id") for r in results]
        if len(set(ids)) != len(ids) or any(not i or len(str(i)) > 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        for result in results:
            content = result.get("input_message_content") or {}
            text = content.get("message_text", "")
            if content.get("parse_mode") == "HTML":
                try:
                    text, _ = parse_html(text)
                except ValueError as exc:
                    raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
            if not text.strip() or len(text) > MESSAGE_LIMIT:
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.state.inline_queries[query_id] = True
        return True

    def _api_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        """A file upload (multipart) or a file_id/URL string, with an optional caption."""
        chat = self._chat(params.get("chat_id"))
        document = params.get("document")
        if isinstance(document, dict):
            if not document.get("size"):
                raise ApiError(400, "Bad Request: file must be non-empty")
            file_id = f"doc-{next(self._message_ids)}"
            info = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": document["filename"],
                "mime_type": document.get("mime_type") or "application/octet-stream",
                "file_size": document["size"],
            }
        elif isinstance(document, str) and document:
            info = {"file_id": document, "file_unique_id": document}
        else:
            raise ApiError(400, "Bad Request: there is no document in the request")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            "document": info,
        }
        if params.get("caption"):
            rendered = self._render_text(params, "caption")
            if len(rendered["text"]) > CAPTION_LIMIT:
                raise ApiError(400, "Bad Request: message caption is too long")
            message["caption"] = rendered["text"]
            if "entities" in rendered:
                message["caption_entities"] = rendered["entities"]
        markup = self._check_markup(params.get("reply_markup"))
        if markup:
            message["reply_markup"] = markup
        self.state.messages[(chat["id"], message["message_id"])] = message
        return message

    def _api_sendchataction(self, params: dict[str, Any]) -> bool:
        self._chat(params.get("chat_id"))
        return True

    def _api_getchat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"))
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11}

    def _api_getchatmember(self, params: dict[str, Any]) -> dict[str, Any]:
        """As Telegram: "administrator" for admins, "member" for users seen in the group."""
        chat = self._chat(params.get("chat_id"))
        user_id = _int(params.get("user_id"), 0)
        user = self._members.get((chat["id"], user_id))
        if user is None:
            raise ApiError(400, "Bad Request: PARTICIPANT_ID_INVALID")
        if user_id in self.state.admins.get(chat["id"], set()):
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
        return {"status": "member", "user": user}

    def _api_setmydescription(self, params: dict[str, Any]) -> bool:
        return True

    def _api_setmyshortdescription(self, params: dict[str, Any]) -> bool:
        return True

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    def _api_logout(self, params: dict[str, Any]) -> bool:
        return True


def _commands_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
