"""Commands as people type them: `/name@bot args`, parsed the same way by every front end."""

from __future__ import annotations


def parse_command(text: str) -> tuple[str, str] | None:
    """'/optout@MyBot instagram' -> ('optout', 'instagram'); None if not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text[1:].partition(" ")
    name = head.split("@", 1)[0]
    if not name:
        return None
    return name.lower(), args.strip()
