"""Commands and buttons: how typed commands are parsed, and the tables that route them.

Every front end parses `/name@bot args` with `parse_command`, so a command means the same on
Telegram and in the console. Each feature lists its commands and button kinds in a `Router`
(one per feature, in the spirit of aiogram's routers); the application combines them and
hands the result to the `Responder` when it builds it, so nothing is plugged in afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import callbacks
from bot.core.context import ChatContext
from bot.replies import Reply

# A command's replies; None when the command is not for this chat (an operator command from
# someone else): the core then answers as it does for a command it does not know.
CommandHandler = Callable[[str, ChatContext], Awaitable[list[Reply] | None]]
# A button press: the argument after `<kind>:` in the callback data.
ButtonHandler = Callable[[str, ChatContext], Awaitable[list[Reply]]]


def parse_command(text: str) -> tuple[str, str] | None:
    """'/optout@MyBot instagram' -> ('optout', 'instagram'); None if not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text[1:].partition(" ")
    name = head.split("@", 1)[0]
    if not name:
        return None
    return name.lower(), args.strip()


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: CommandHandler
    description: str | None = None  # listed in /help and Telegram's command menu when set


class Router:
    """The commands and button kinds one feature answers."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.buttons: dict[str, ButtonHandler] = {}

    def command(self, name: str, handler: CommandHandler, description: str | None = None) -> Router:
        if name in self.commands:
            raise ValueError(f"command /{name} is registered twice")
        self.commands[name] = Command(name, handler, description)
        return self

    def button(self, kind: str, handler: ButtonHandler) -> Router:
        if kind not in callbacks.KINDS:
            raise ValueError(f"unknown callback kind {kind!r}")
        if kind in self.buttons:
            raise ValueError(f"button kind {kind!r} is registered twice")
        self.buttons[kind] = handler
        return self

    def include(self, *routers: Router) -> Router:
        """Add other features' routes; a command or button kind claimed twice is an error."""
        for router in routers:
            for command in router.commands.values():
                self.command(command.name, command.handler, command.description)
            for kind, handler in router.buttons.items():
                self.button(kind, handler)
        return self
