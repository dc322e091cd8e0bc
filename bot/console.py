"""The local console: the same conversation as on Telegram, in a terminal.

Buttons become numbered choices; typing the number presses the button. A file the bot
sends (the .ics of /calendar) is saved in `files_dir` (DATA_DIR) and its path shown.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from pathlib import Path
from typing import TextIO

from bot.app import Services
from bot.replies import Document, Reply

CONSOLE_CHAT_ID = 1  # the terminal is one private chat
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r'<a href="([^"]+)">(.*?)</a>', re.S)


def to_plain(text: str) -> str:
    """Telegram HTML to terminal text: links keep their URL, other tags disappear."""
    text = _LINK.sub(lambda m: f"{m.group(2)} <{m.group(1)}>", text)
    return html.unescape(_TAG.sub("", text))


class Console:
    def __init__(
        self, services: Services, out: TextIO = sys.stdout, files_dir: Path | None = None
    ) -> None:
        self.services = services
        self.out = out
        self.files_dir = files_dir or services.config.data_dir
        self.choices: list[str] = []

    def save(self, document: Document) -> Path:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / Path(document.filename).name
        path.write_bytes(document.content)
        return path

    def show(self, replies: list[Reply]) -> None:
        self.choices = []
        for reply in replies:
            if reply.toast:
                print(f"({reply.toast})", file=self.out)
            if reply.text:
                print(to_plain(reply.text), file=self.out)
            if reply.document is not None:
                path = self.save(reply.document)
                print(f"📎 {reply.document.filename} saved as {path}", file=self.out)
            for button in reply.all_buttons():
                if button.url:
                    print(f"  -> {button.label}: {button.url}", file=self.out)
                elif button.data:
                    self.choices.append(button.data)
                    print(f"  [{len(self.choices)}] {button.label}", file=self.out)
            print(file=self.out)

    async def handle(self, line: str) -> None:
        text = line.strip()
        responder = self.services.responder
        # The terminal is one private chat; with storage its settings persist like on Telegram.
        pressed = text.isdigit() and self.choices
        ctx = await self.services.chat_context(CONSOLE_CHAT_ID, text=None if pressed else text)
        if pressed:
            n = int(text)
            if 1 <= n <= len(self.choices):
                self.show(await responder.callback(self.choices[n - 1], ctx))
                return
            print(f"Pick a number from 1 to {len(self.choices)}, or ask a question.", file=self.out)
            return
        self.show((await responder.message(text, ctx)).replies)

    async def run(self, lines: TextIO = sys.stdin, prompt: bool = True) -> None:
        await self.handle("/start")
        loop = asyncio.get_running_loop()
        while True:
            if prompt:
                print("> ", end="", file=self.out, flush=True)
            line = await loop.run_in_executor(None, lines.readline)
            if not line:
                print(file=self.out)
                return
            if line.strip().lower() in ("/quit", "/exit", "quit", "exit"):
                return
            await self.handle(line)
