"""The local console: the same conversation as on Telegram, in a terminal.

Buttons become numbered choices; typing the number presses the button. `ask` prints replies
the same way (`plain_replies`), so what an author sees there is what the console shows. A
file the bot sends (the .ics of /calendar) is saved in `files_dir` (DATA_DIR) and its path
shown. The console's own lines are in the language of its last reply.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.app import Services
from bot.i18n.catalog import N_, translator
from bot.i18n.languages import DEFAULT_LANGUAGE
from bot.replies import Document, Reply

CONSOLE_CHAT_ID = 1  # the terminal is one private chat
QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit"})
LEAVE_HINT = N_("(To leave, type quit or exit, or press Ctrl-D.)")
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r'<a href="([^"]+)">(.*?)</a>', re.S)


def _strip(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def to_plain(text: str) -> str:
    """Telegram HTML to terminal text: a link keeps its URL (`title <url>`), tags disappear."""
    out: list[str] = []
    last = 0
    for match in _LINK.finditer(text):
        out.append(_strip(text[last : match.start()]))
        url, title = html.unescape(match.group(1)), _strip(match.group(2)).strip()
        out.append(f"{title} <{url}>" if title and title != url else url)
        last = match.end()
    out.append(_strip(text[last:]))
    return "".join(out)


@dataclass(slots=True)
class Shown:
    """Replies as terminal text, and what each typed key presses."""

    text: str
    choices: dict[str, str] = field(default_factory=dict)  # key typed -> callback data


def plain_replies(replies: list[Reply]) -> Shown:
    """Replies as the console prints them: text, then `[n] label` per button, links as URLs.

    A toast is printed only for a reply without text: in a terminal the reply's text already
    says what the toast would (on Telegram it is a passing pop-up).
    """
    blocks: list[str] = []
    choices: dict[str, str] = {}
    for reply in replies:
        lines: list[str] = []
        if reply.toast and not reply.text.strip():
            lines.append(f"({reply.toast})")
        if reply.text.strip():
            lines.append(to_plain(reply.text))
        buttons = reply.all_buttons()
        taken = {b.shortcut for b in buttons if b.shortcut and b.data} | set(choices)
        number = 0
        for button in buttons:
            if button.url:
                lines.append(f"  -> {button.label}: {button.url}")
            elif button.data:
                key = button.shortcut if button.shortcut and button.shortcut not in choices else ""
                while not key:
                    number += 1
                    key = str(number) if str(number) not in taken else ""
                choices[key] = button.data
                lines.append(f"  [{key}] {button.label}")
        blocks.append("\n".join(lines))
    return Shown("\n\n".join(blocks), choices)


class Console:
    def __init__(
        self, services: Services, out: TextIO = sys.stdout, files_dir: Path | None = None
    ) -> None:
        self.services = services
        self.out = out
        self.files_dir = files_dir or services.config.data_dir
        self.choices: dict[str, str] = {}
        self.language = DEFAULT_LANGUAGE  # of the last reply

    def _(self, message: str) -> str:
        return translator(self.language).gettext(message)

    def save(self, document: Document) -> Path:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / Path(document.filename).name
        path.write_bytes(document.content)
        return path

    def show(self, replies: list[Reply]) -> None:
        shown = plain_replies(replies)
        self.choices = shown.choices
        print(shown.text, file=self.out)
        for reply in replies:
            if reply.document is not None:
                path = self.save(reply.document)
                saved = self._("📎 {file} saved as {path}")
                print(saved.format(file=reply.document.filename, path=path), file=self.out)
        print(file=self.out)

    async def handle(self, line: str) -> None:
        text = line.strip()
        responder = self.services.responder
        # The terminal is one private chat; with storage its settings persist like on Telegram.
        key = text.lower()
        pressed = key in self.choices or (text.isdigit() and bool(self.choices))
        ctx = await self.services.chat_context(CONSOLE_CHAT_ID, text=None if pressed else text)
        self.language = ctx.language
        if key in self.choices:
            self.show(await responder.callback(self.choices[key], ctx))
            return
        if text.isdigit() and self.choices:
            keys = ", ".join(self.choices)
            print(self._("Pick one of {keys}, or ask a question.").format(keys=keys), file=self.out)
            return
        self.show((await responder.message(text, ctx)).replies)

    async def run(self, lines: TextIO = sys.stdin, prompt: bool = True, echo: bool = False) -> None:
        """Talk until quit, exit or end of input (Ctrl-D). `echo` repeats each line read
        after the prompt, so a transcript of piped input reads like a conversation."""
        await self.handle("/start")
        print(self._(LEAVE_HINT), file=self.out)
        print(file=self.out)
        loop = asyncio.get_running_loop()
        while True:
            if prompt or echo:
                print("> ", end="", file=self.out, flush=True)
            line = await loop.run_in_executor(None, lines.readline)
            if echo:
                print(line.rstrip("\n"), file=self.out)
            if not line:
                if not echo:
                    print(file=self.out)
                return
            if line.strip().lower() in QUIT_WORDS:
                return
            await self.handle(line)
