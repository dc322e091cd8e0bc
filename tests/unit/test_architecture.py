"""The package layout holds: no import cycle between bot's packages, and a core without Telegram.

Read from the source with `ast` (every import statement, also those inside functions and
under TYPE_CHECKING), so nothing has to be imported to check it. Each subpackage of `bot` is
one node (`bot.core`, `bot.reminders`, ...); each module directly in `bot/` is a node of its
own (`bot.app`, `bot.cli`, `bot.clock`, ...).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

BOT = ROOT / "bot"
# Imports left out of the cycle check, each with its reason (none today).
ALLOWED_EDGES: set[tuple[str, str]] = set()
# Framework-free layers: the console, the tests and the Telegram adapter share them.
WITHOUT_TELEGRAM = (
    "bot.core",
    "bot.features",
    "bot.knowledge",
    "bot.lang",
    "bot.matching",
    "bot.render",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def node(module: str) -> str:
    """bot.core.responder -> bot.core; bot.cli -> bot.cli; bot -> bot."""
    parts = module.split(".")
    return ".".join(parts[:2])


def is_bot_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path) -> Iterator[str]:
    """Every module `path` imports, absolute, as written (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Import):
            yield from (alias.name for alias in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            base = stmt.module or ""
            if stmt.level:
                anchor = (package or module_name(path)).split(".")
                anchor = anchor[: len(anchor) - stmt.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            for alias in stmt.names:  # `from bot import callbacks` imports a module
                if is_bot_module(f"{base}.{alias.name}"):
                    yield f"{base}.{alias.name}"


def package_graph(allowed: set[tuple[str, str]] = ALLOWED_EDGES) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(BOT.rglob("*.py")):
        source = node(module_name(path))
        edges = graph.setdefault(source, set())
        for target in imports(path):
            edge = (source, node(target))
            if target.startswith("bot.") and edge[1] != source and edge not in allowed:
                edges.add(edge[1])
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}  # "open" while on the current path, "done" after
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = "open"
        path.append(name)
        for nxt in sorted(graph.get(name, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state and (cycle := visit(name)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_graph_sees_the_packages_and_their_imports():
    graph = package_graph()
    assert {"bot.core", "bot.features", "bot.telegram", "bot.app", "bot.cli"} <= set(graph)
    assert "bot.core" in graph["bot.features"]
    assert "bot.app" in graph["bot.telegram"]
    assert "bot.callbacks" in graph["bot.core"]  # found through `from bot import callbacks`


def test_every_allowed_import_is_still_there():
    """An allowance outliving its import would hide the next cycle through it."""
    graph = package_graph(allowed=set())
    assert {(a, b) for a, b in ALLOWED_EDGES if b not in graph.get(a, set())} == set()


def test_no_import_cycle_between_packages():
    cycle = find_cycle(package_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("package", WITHOUT_TELEGRAM)
def test_framework_free_packages_import_no_telegram(package: str):
    folder = BOT / package.removeprefix("bot.")
    found = {
        f"{module_name(path)} imports {name}"
        for path in folder.rglob("*.py")
        for name in imports(path)
        if name.split(".")[0] == "telegram" or node(name) in ("bot.telegram", "bot.console")
    }
    assert not found


def test_only_the_front_ends_use_the_console():
    users = {
        module_name(path)
        for path in BOT.rglob("*.py")
        if any(node(name) == "bot.console" for name in imports(path))
    }
    assert users <= {"bot.cli"}
