"""Answering through a database outage: defaults for what needs settings, a clear word for
what cannot be done, one log line per outage.

Questions, /optout, /deadline, /faq and inline mode need no database, so an outage must
not cost them: the chat's settings are read through `settings_or_defaults`, which falls back
to the operator's defaults (region, time zone) and the question's language. Commands and
buttons that need storage (/remind, /status, /forget, /region, /timezone, checklist
ticks...) go through `guard_routes`, which turns `StorageUnavailable` into a message saying
that settings are unavailable right now and that nothing was lost (in the chat's language,
which the context already holds): the store changes nothing when it fails. A region tapped
under an answer ("Where do you live?") goes through `guard_remember`: the answer for it is
given, without remembering it.

`StorageWatch` keeps the log readable: one warning when an outage starts (with its
reason), one line when the store answers again, the failures in between at DEBUG. During
an outage it lets one update at a time find out whether the store is back, at most every
`SKIP_READS_FOR` seconds; the others use the defaults at once, so a database that hangs
does not hold each update for the store's time limit. Commands that need storage still
try (and say so when they fail).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.core.answers import RememberRegion
from bot.core.commands import ButtonHandler, CommandHandler, Router
from bot.core.context import ChatContext
from bot.i18n.catalog import N_, translator
from bot.knowledge.model import DEFAULT_LANGUAGE
from bot.lang.detect import default_detector
from bot.replies import Reply
from bot.store.errors import StorageUnavailable

__all__ = [
    "SETTINGS_UNAVAILABLE",
    "SKIP_READS_FOR",
    "StorageWatch",
    "guard_remember",
    "guard_routes",
    "question_language",
    "unavailable_reply",
]

log = logging.getLogger(__name__)

SKIP_READS_FOR = 2.0  # seconds between attempts to read settings during an outage
SETTINGS_UNAVAILABLE = N_(
    "⚠️ Your settings are unavailable right now (my storage is not answering), so I can't "
    "do that at the moment. Nothing you saved was lost: please try again in a few minutes.\n\n"
    "Questions, /optout, /deadline and /faq work as usual."
)
UNAVAILABLE_TOAST = N_("Settings are unavailable right now; nothing was lost. Try again soon.")


def unavailable_reply(language: str = DEFAULT_LANGUAGE) -> Reply:
    _ = translator(language).gettext
    return Reply(_(SETTINGS_UNAVAILABLE), toast=_(UNAVAILABLE_TOAST))


class StorageWatch:
    """Whether storage is failing, logged once per outage; a pause on reading settings."""

    def __init__(
        self, skip_reads_for: float = SKIP_READS_FOR, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.skip_reads_for = skip_reads_for
        self.now = now
        self.reason: str | None = None  # set while an outage lasts
        self.failures = 0  # during the current outage
        self._last_failure = float("-inf")
        self._probing = False

    @property
    def down(self) -> bool:
        return self.reason is not None

    def failed(self, exc: StorageUnavailable, what: str) -> None:
        self._last_failure = self.now()
        self.failures += 1
        if self.reason is None:
            self.reason = exc.reason
            log.warning(
                "storage unavailable (%s) while %s: answering without personal settings "
                "until it is back",
                exc.reason,
                what,
            )
        else:
            log.debug("storage still unavailable (%s) while %s", exc.reason, what)

    def succeeded(self) -> None:
        if self.reason is not None:
            log.info(
                "storage is back after %d failed call(s): personal settings are used again",
                self.failures,
            )
        self.reason = None
        self.failures = 0

    def skip_reads(self) -> bool:
        """During an outage: True (use the defaults without asking) but for one read at a
        time, at most every `skip_reads_for` seconds."""
        if not self.down:
            return False
        return self._probing or self.now() - self._last_failure < self.skip_reads_for

    async def settings_or_defaults(
        self,
        load: Callable[[], Awaitable[ChatContext]],
        defaults: Callable[[], Awaitable[ChatContext]],
    ) -> ChatContext:
        """The chat's stored settings from `load`, or `defaults` while storage is unavailable."""
        if not self.skip_reads():
            probe = self.down
            self._probing = probe
            try:
                ctx = await load()
            except StorageUnavailable as exc:
                self.failed(exc, "reading a chat's settings")
            else:
                self.succeeded()
                return ctx
            finally:
                if probe:
                    self._probing = False
        return await defaults()


async def question_language(
    text: str,
    telegram_code: str | None = None,
    last: str | None = None,
    default: str = DEFAULT_LANGUAGE,
) -> str:
    """The language to answer `text` in when nothing stored can be read: the question's, else
    the one the chat was last answered in (`last`), else Telegram's `telegram_code`.

    The detector is built in a thread the first time (its model takes about a second to
    load), so the first outage does not stall every other update.
    """
    detector = await asyncio.to_thread(default_detector)
    return detector.choose(text, last, telegram_code, default).language


_Handler = TypeVar("_Handler", CommandHandler, ButtonHandler)


def _guarded(handler: _Handler, watch: StorageWatch, what: str) -> _Handler:
    async def run(arg: str, ctx: ChatContext) -> list[Reply] | None:
        try:
            return await handler(arg, ctx)
        except StorageUnavailable as exc:
            watch.failed(exc, what)
            return [unavailable_reply(ctx.language)]

    return run  # type: ignore[return-value]


def guard_remember(remember: RememberRegion, watch: StorageWatch) -> RememberRegion:
    """The region a reader tapped is stored, or, during an outage, used for this answer only
    (False): a tap on "Where do you live?" must still answer, like the question did."""

    async def run(region: str, ctx: ChatContext) -> bool:
        try:
            return await remember(region, ctx)
        except StorageUnavailable as exc:
            watch.failed(exc, "storing a region tapped under an answer")
            return False

    return run


def guard_routes(router: Router, watch: StorageWatch) -> Router:
    """The same commands and buttons; an outage in any of them gets `SETTINGS_UNAVAILABLE`."""
    guarded = Router()
    for command in router.commands.values():
        guarded.command(
            command.name,
            _guarded(command.handler, watch, f"running /{command.name}"),
            command.description,
        )
    for kind, handler in router.buttons.items():
        guarded.button(kind, _guarded(handler, watch, f"answering a {kind!r} button"))
    return guarded
