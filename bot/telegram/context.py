"""Typed access to the application from PTB handlers and jobs.

`build_services` makes one `Services`; it is kept in `bot_data` under a single key, and
handlers reach it as `context.services` (PTB's custom context type, as in its
contexttypesbot example) instead of looking up loose `bot_data` keys.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.app import Services

SERVICES_KEY = "services"

__all__ = ["CONTEXT_TYPES", "BotContext", "services_of", "set_services", "started_services"]


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The `context` of every handler and job of this bot."""

    @property
    def services(self) -> Services:
        return services_of(self.application)


CONTEXT_TYPES = ContextTypes(context=BotContext)


def set_services(application: Application, services: Services) -> None:
    application.bot_data[SERVICES_KEY] = services


def started_services(application: Application) -> Services | None:
    """The services once `post_init` has built them; None before (and if start-up failed)."""
    services = application.bot_data.get(SERVICES_KEY)
    return services if isinstance(services, Services) else None


def services_of(application: Application) -> Services:
    services = started_services(application)
    if services is None:
        raise RuntimeError("the application has not been started (post_init has not run)")
    return services
