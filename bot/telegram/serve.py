"""Serving Telegram: long polling (a `worker:` process) or a webhook (a `web:` process).

Both modes share one lifecycle, owned here rather than by PTB's `run_polling`/`run_webhook`,
so that the webhook can sit beside a health endpoint and shutdown can be bounded in time.

Start-up::

    HTTP server on LISTEN:PORT (webhook mode, or polling mode when PORT is set): it answers
        503 until the bot is ready, so an early webhook delivery is retried by Telegram
    initialize (getMe) -> post_init (database, reminder jobs, commands)
    polling: start_polling (deleteWebhook, then getUpdates)
    application.start() (update processing and the JobQueue)
    webhook: setWebhook with WEBHOOK_SECRET

The webhook is PTB's "custom webhook bot" pattern: a small tornado application (tornado comes
with PTB's `webhooks` extra) with two routes, `bot.telegram.webhook`.

The bot takes at most `MAX_IN_FLIGHT` updates it has not answered yet (`bot.telegram.inflight`):
the poller asks Telegram for no more than there is room for, and the webhook answers 503 when
there is none, so a backlog waits at Telegram rather than in this process.

Shutdown on SIGTERM or SIGINT, within `SHUTDOWN_BUDGET` seconds::

    1. stop taking updates: polling stops (what was not fetched stays at Telegram); the
       webhook server stops listening (Telegram keeps what it could not deliver and retries
       it; the webhook stays registered for the next start)
    2. reminder rounds in progress are cancelled and the scheduler shut down, so no new round
       starts: `deliver_round` writes the result of every send that completed and releases
       the claims it had not started (see `bot.reminders.delivery`); a send cut off mid-request
       is recovered after a restart by the claim lease rule
    3. meanwhile the updates taken (at most `MAX_IN_FLIGHT`) are processed to the end
       (`application.stop`); if that runs out of time they are cancelled
    4. polling confirms to Telegram what was answered (an update cancelled in step 3 is
       delivered again after the restart)
    5. the HTTP client and the database are closed (`application.shutdown`, post_shutdown)

The exit code is 0. A watchdog ends the process with code 1 if that has not happened
`HARD_EXIT_AFTER` seconds after the signal (a platform sends SIGKILL soon after SIGTERM:
Heroku after 30 s, Docker after 10 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot import event_loop
from bot.config import Config
from bot.knowledge.model import KnowledgeBase
from bot.logfilter import install_log_filters
from bot.store.errors import StorageUnavailable
from bot.telegram.context import started_services
from bot.telegram.inflight import InFlight
from bot.telegram.lifecycle import build_application
from bot.telegram.polling import Poller
from bot.telegram.webhook import (
    HEALTH_PATH,
    MAX_READ_BODY,
    WEBHOOK_MAX_CONNECTIONS,
    Refusals,
    http_application,
)

__all__ = [
    "HARD_EXIT_AFTER",
    "SHUTDOWN_BUDGET",
    "ServeError",
    "serve",
    "setup_logging",
    "webhook_path",
]

log = logging.getLogger("optout_bot.serve")

SHUTDOWN_BUDGET = 8.0  # seconds from the signal to a closed database
HARD_EXIT_AFTER = 9.5  # seconds from the signal to a forced exit, if the budget was not kept


class ServeError(Exception):
    """Start-up failed; one line for the operator (the CLI prints it, exit code 2)."""


def setup_logging(config: Config) -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=config.log_level
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The bot token and webhook secret out of every record; message text too, unless asked.
    install_log_filters(config)
    # A reminder round cancelled at shutdown is reported by us, not as a job "exception".
    logging.getLogger("apscheduler.executors.default").addFilter(_drop_cancelled_jobs)


def _drop_cancelled_jobs(record: logging.LogRecord) -> bool:
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, asyncio.CancelledError)


def webhook_path(url: str) -> str:
    """The path the webhook listens on: the path of WEBHOOK_URL (`/` if it has none)."""
    path = urlsplit(url).path or "/"
    if path.rstrip("/") == HEALTH_PATH:
        raise ServeError(f"WEBHOOK_URL must not end in {HEALTH_PATH}: that is the health check")
    return path


def check_webhook_settings(config: Config) -> None:
    """Webhook mode needs both the public address and the secret Telegram sends back."""
    if not config.webhook_url:
        raise ServeError(
            "WEBHOOK_URL is not set: webhook mode needs the public https:// address Telegram "
            "should post updates to, e.g. WEBHOOK_URL=https://bot.example.org/telegram"
        )
    if not config.webhook_secret:
        raise ServeError(
            "WEBHOOK_SECRET is not set: webhook mode needs it so that only Telegram can post "
            "updates; make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )


def serve(config: Config, kb: KnowledgeBase, *, webhook: bool) -> int:
    """Serve until SIGTERM or SIGINT; return the exit code. Raises ServeError at start-up."""
    if webhook:
        check_webhook_settings(config)
    setup_logging(config)
    serving = _Serving(config, kb, webhook=webhook)
    try:
        return event_loop.run(serving.run())
    finally:
        # Armed by the signal, the watchdog also covers asyncio.run's own clean-up (tasks
        # still running, resolver threads); it is disarmed only once all of that is done.
        if serving.watchdog is not None:
            serving.watchdog.cancel()


class _Serving:
    def __init__(self, config: Config, kb: KnowledgeBase, *, webhook: bool) -> None:
        self.config = config
        self.webhook = webhook
        self.mode = "webhook" if webhook else "polling"
        self.path = webhook_path(config.webhook_url or "") if webhook else None
        self.secret = (config.webhook_secret or "").encode()
        self.application: Application = build_application(config, kb)
        processor = self.application.update_processor
        assert isinstance(processor, InFlight)
        self.inflight = processor
        self.poller: Poller | None = None
        self.refusals = Refusals()
        self.state = "starting"  # -> running -> stopping
        self.started_at = datetime.now(UTC)
        self.http: HTTPServer | None = None
        self._stop_requested: asyncio.Event | None = None
        self._signal_name: str | None = None
        self._signal_at = 0.0
        self.watchdog: threading.Timer | None = None  # armed by the first signal
        self._initialized = False

    # -- the whole life ----------------------------------------------------------------
    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            starting = asyncio.ensure_future(self._start())
            stopping = asyncio.ensure_future(self._stop_requested.wait())
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():  # a signal during start-up: stop what has started
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await starting
                return await self._shutdown_logged()
            error = starting.exception()
            if error is not None:
                stopping.cancel()
                await self._cleanup_after_failed_start()
                raise _serve_error(error, self.config) from None
            await stopping
            return await self._shutdown_logged()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        assert self._stop_requested is not None
        name = signal.Signals(sig).name
        if self._stop_requested.is_set():
            log.info("%s again: already stopping", name)
            return
        self._signal_name = name
        self._signal_at = asyncio.get_running_loop().time()
        log.info("%s received: stopping (at most %.0f s)", name, SHUTDOWN_BUDGET)
        self._stop_requested.set()
        self.watchdog = threading.Timer(HARD_EXIT_AFTER, _force_exit)
        self.watchdog.daemon = True
        self.watchdog.start()

    # -- start-up -------------------------------------------------------------------------
    async def _start(self) -> None:
        app = self.application
        if self.webhook or self.config.port is not None:
            self._start_http()
        await app.initialize()
        self._initialized = True
        if app.post_init:
            await app.post_init(app)
        if not self.webhook:
            self.poller = Poller(app, allowed_updates=Update.ALL_TYPES, on_error=_polling_error)
            await self.poller.start()
        await app.start()
        self.state = "running"
        if self.webhook:
            assert self.config.webhook_url is not None
            await app.bot.set_webhook(
                self.config.webhook_url,
                secret_token=self.config.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                max_connections=WEBHOOK_MAX_CONNECTIONS,
            )
            log.info("webhook registered: %s (secret token set)", self.config.webhook_url)
        else:
            log.info("long polling started")

    def _start_http(self) -> None:
        web = http_application(self, self.path)
        host, port = self.config.listen, self.config.listen_port
        try:
            sockets = bind_sockets(port, address=host)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        # X-Forwarded-For and X-Real-IP are anyone's to send: believed only behind a proxy.
        self.http = HTTPServer(web, xheaders=self.config.trust_proxy, max_body_size=MAX_READ_BODY)
        self.http.add_sockets(sockets)
        bound = sockets[0].getsockname()[1]
        what = f"webhook at {self.path} and {HEALTH_PATH}" if self.path else HEALTH_PATH
        log.info("listening on http://%s:%d (%s)", host, bound, what)

    async def _cleanup_after_failed_start(self) -> None:
        self.state = "stopping"
        app = self.application
        with contextlib.suppress(Exception):
            if self.poller is not None:
                await self.poller.stop()
            if app.running:
                await app.stop()
        if self._initialized:
            with contextlib.suppress(Exception):
                await app.shutdown()
        if app.post_shutdown:  # closes the database if post_init opened it
            with contextlib.suppress(Exception):
                await app.post_shutdown(app)
        await self._close_http(1.0)

    # -- shutdown ---------------------------------------------------------------------------
    async def _shutdown_logged(self) -> int:
        try:
            return await self._shutdown()
        except Exception:  # every step is bounded and guarded; this is a bug if it happens
            log.exception("shutdown failed")
            return 1

    async def _shutdown(self) -> int:
        loop = asyncio.get_running_loop()
        began = self._signal_at or loop.time()
        deadline = began + SHUTDOWN_BUDGET

        def left(reserve: float = 0.0) -> float:
            return max(0.05, deadline - reserve - loop.time())

        self.state = "stopping"
        app = self.application
        # 1. Stop taking updates.
        if self.webhook:
            await self._close_http(min(2.0, left()))
        if self.poller is not None:
            await _bounded(self.poller.stop(), min(3.0, left()), "stopping the poller")
        # 2. Reminder rounds checkpoint and end; 3. updates already taken finish.
        jobs, n_rounds = self._cancel_reminder_rounds()
        draining = asyncio.ensure_future(app.stop()) if app.running else None
        waiting: set[asyncio.Future[Any]] = set(jobs)
        if draining is not None:
            waiting.add(draining)
        late: set[asyncio.Future[Any]] = set()
        if waiting:
            _, late = await asyncio.wait(waiting, timeout=left(reserve=2.0))
            if late:
                n_late = len(late - {draining})
                log.warning(
                    "shutdown: %s still running after %.1f s; abandoning them",
                    " and ".join(
                        (
                            [f"{len(self.inflight.unfinished())} update(s) in progress"]
                            if draining in late
                            else []
                        )
                        + ([f"{n_late} job(s)"] if n_late else [])
                    ),
                    loop.time() - began,
                )
                # Cancel the updates themselves, not only the wait for them: left running,
                # they would send through an HTTP client that is about to close.
                self.inflight.cancel()
                for future in late - {draining}:
                    future.cancel()
                await asyncio.wait(late, timeout=0.5)
                if draining is not None and not draining.done():
                    draining.cancel()
                    await asyncio.wait({draining}, timeout=0.2)
        # 4. Confirm to Telegram what was answered.
        if self.poller is not None:
            await _bounded(self.poller.confirm(), min(1.0, left()), "confirming updates")
        if n_rounds:
            log.info(
                "shutdown: %d reminder round(s) stopped at a checkpoint; they resume at the "
                "next start",
                n_rounds,
            )
        # 5. Close the HTTP client and the database.
        if self._initialized:
            await _bounded(app.shutdown(), left(), "closing the Bot API client")
        if app.post_shutdown:
            await _bounded(app.post_shutdown(app), max(left(), 0.5), "closing the database")
        await self._close_http(0.5)
        log.log(
            logging.WARNING if late else logging.INFO,
            "stopped %s in %.2f s%s",
            "at the time limit" if late else "cleanly",
            loop.time() - began,
            f" after {self._signal_name}" if self._signal_name else "",
        )
        return 0

    def _cancel_reminder_rounds(self) -> tuple[set[asyncio.Future[Any]], int]:
        """Start no new job, and cancel the reminder rounds in progress.

        PTB's own `JobQueue.stop(wait=True)` would wait for a running round to finish, which
        for a large round can take hours; cancelling is safe because `deliver_round` is.
        Other jobs (such as a statistics flush) are short and finish in `application.stop`.
        """
        job_queue = self.application.job_queue
        if job_queue is not None and job_queue.scheduler.running:
            job_queue.scheduler.pause()
        services = started_services(self.application)
        scheduler = services.scheduler if services is not None else None
        rounds: set[asyncio.Future[Any]] = set(scheduler.cancel_running()) if scheduler else set()
        return rounds, len(rounds)

    async def _close_http(self, timeout: float) -> None:
        if self.http is None:
            return
        http, self.http = self.http, None
        http.stop()
        self.refusals.flush()
        await _bounded(http.close_all_connections(), timeout, "closing HTTP connections")


async def _bounded(work: Awaitable[Any], timeout: float, what: str) -> None:
    try:
        await asyncio.wait_for(work, timeout)
    except TimeoutError:
        log.warning("shutdown: %s took over %.1f s; going on", what, timeout)
    except Exception:
        log.exception("shutdown: %s failed; going on", what)


def _force_exit() -> None:
    sys.stderr.write(
        f"optout-bot: shutdown did not finish within {HARD_EXIT_AFTER:g} s; forcing exit\n"
    )
    sys.stderr.flush()
    os._exit(1)


def _polling_error(exc: TelegramError) -> None:
    """One line per polling error; PTB retries with backoff by itself."""
    if isinstance(exc, Conflict):
        log.error(
            "polling conflict: another process polls with this token, or a webhook is set "
            "(run exactly one of web and worker): %s",
            exc,
        )
    else:
        log.warning("polling failed, retrying: %s: %s", type(exc).__name__, exc)


def _serve_error(exc: BaseException, config: Config) -> ServeError:
    if isinstance(exc, ServeError):
        return exc
    if isinstance(exc, StorageUnavailable):  # its message is the operator's line already
        return ServeError(str(exc))
    if isinstance(exc, InvalidToken):
        return ServeError("the Bot API refused BOT_TOKEN: check the token from @BotFather")
    if isinstance(exc, TelegramError):
        where = config.bot_api_url or "api.telegram.org"
        return ServeError(f"start-up failed talking to the Bot API at {where}: {exc}")
    first = (str(exc).splitlines() or [""])[0][:300]
    return ServeError(f"start-up failed: {type(exc).__name__}: {first}")
