"""The README's example conversation is exactly what the console prints for its input."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

from bot.app import build_services
from bot.clock import FakeClock
from bot.config import load_config
from bot.console import Console
from bot.knowledge.model import KnowledgeBase
from bot.store.repository import Store
from tests.conftest import ROOT

COMMAND = "$ python -m bot chat"
# The day the README's example was taken: its answers say when they were checked from here.
README_NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```$", re.S | re.M)


def readme_conversation() -> str:
    """The first fenced block of the README that starts with the console command."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in _BLOCK.findall(text):
        if block.startswith(COMMAND + "\n"):
            return block
    raise AssertionError(f"README.md has no block starting with {COMMAND!r}")


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").splitlines()]


async def test_the_readme_conversation_is_what_the_console_prints(
    kb: KnowledgeBase, tmp_path: Path
):
    block = readme_conversation()
    typed = [line[2:] for line in block.splitlines() if line.startswith("> ")]
    assert typed and typed[-1] in ("quit", "exit")  # the example shows how to leave
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'console.sqlite3'}")
    services = build_services(load_config({}), kb, store, clock=FakeClock(README_NOW))
    out = io.StringIO()
    try:
        console = Console(services, out)
        await console.run(io.StringIO("".join(f"{t}\n" for t in typed)), prompt=False, echo=True)
    finally:
        await services.close()
    assert lines_of(f"{COMMAND}\n{out.getvalue()}") == lines_of(block)
