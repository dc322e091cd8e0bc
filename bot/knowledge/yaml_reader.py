"""Parse YAML with the line of every value, so each problem can name its file and line.

Mappings come back as dicts with `__line__` (where the mapping starts), `__lines__`
(key -> (line, style) of its value) and `__keys__` (key -> line of the key itself);
sequences as `LineList`, a list that knows the line of every item. Only safe YAML is
accepted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# (line, style): style is "|" or ">" for block scalars, where the text starts a line later.
Where = tuple[int, str | None]


class LineList(list):  # type: ignore[type-arg]
    """A YAML sequence that remembers where each item is."""

    lines: list[Where]


# libyaml's parser (when PyYAML was built with it) reads the FAQ about four times faster.
_SafeBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeBase):  # type: ignore[misc, valid-type]
    """A safe loader that remembers the line of every mapping, value and list item."""


def _where(node: yaml.Node) -> Where:
    style = getattr(node, "style", None) if isinstance(node, yaml.ScalarNode) else None
    return node.start_mark.line + 1, style if style in ("|", ">") else None


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {
        k.value: _where(v) for k, v in node.value if isinstance(k, yaml.ScalarNode)
    }
    mapping["__keys__"] = {
        k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)
    }
    keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        mapping["__dupkeys__"] = sorted(dupes)
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    items = LineList(loader.construct_object(child, deep=True) for child in node.value)
    items.lines = [_where(child) for child in node.value]
    return items


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
    _construct_sequence,  # type: ignore[arg-type]
)


class YamlError(Exception):
    """A file that cannot be read or parsed; `line` is None when no line applies."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


def parse_yaml(path: Path) -> Any:
    """The parsed file, or YamlError with the line of the first syntax error."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise YamlError(mark.line + 1 if mark else None, f"not valid YAML: {exc.problem}") from None
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise YamlError(None, f"cannot read: {exc}") from None


def line_of(
    obj: dict[str, Any], key: str | None = None, offset: int | None = None, text: str = ""
) -> int | None:
    """The line of `obj[key]` (or of `obj`), moved down to `offset` within a `|` block."""
    base = obj.get("__line__")
    if key is None:
        return base
    where = obj.get("__lines__", {}).get(key)
    if where is None:
        return base
    return _shift(where, offset, text)


def key_line(obj: dict[str, Any], key: str) -> int | None:
    """The line of a key, e.g. an entry's id in a mapping of id -> entry."""
    return obj.get("__keys__", {}).get(key) or line_of(obj, key)


def item_line(items: Any, index: int, offset: int | None = None, text: str = "") -> int | None:
    lines = getattr(items, "lines", None)
    if not lines or index >= len(lines):
        return None
    return _shift(lines[index], offset, text)


def _shift(where: Where, offset: int | None, text: str) -> int:
    line, style = where
    if style is None:
        return line
    if style == ">" or offset is None:
        return line + 1
    return line + 1 + text[:offset].count("\n")
