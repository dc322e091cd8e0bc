"""The checkup's buttons: the app picker, the checklist, and those under nudges and alerts.

One place for the callback data the checkup's messages carry, so the `/checkup` feature (which
answers them) and the delivery rounds (which send nudges and alerts) use the same keyboards.
Labels are in `texts.py` with the other words, in the language each keyboard is built for.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from bot import callbacks
from bot.checkup import texts
from bot.checkup.alerts import Change
from bot.checkup.checklist import ChecklistItem, ordered_platforms
from bot.knowledge.model import DEFAULT_LANGUAGE, REGIONS, KnowledgeBase
from bot.replies import Button, Keyboard
from bot.store.schema import DONE, LATER, NOT_FOR_ME

__all__ = [
    "FINISH",
    "LIST",
    "REGION",
    "TICKS",
    "alert_buttons",
    "checklist_buttons",
    "nudge_buttons",
    "picker_buttons",
    "region_buttons",
    "tick_row",
    "vote_buttons",
]

# `k:` arguments: the picker (empty), "done" (the picker's Done: the checklist in its place),
# "list" (the checklist as a new message) and "region:<region>".
FINISH = "done"
LIST = "list"
REGION = "region"
TICKS: tuple[str, ...] = (DONE, LATER, NOT_FOR_ME)
PER_ROW = 3


def _rows(buttons: Sequence[Button], per_row: int = PER_ROW) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def region_buttons(language: str = DEFAULT_LANGUAGE) -> Keyboard:
    """Where the chat is, asked first: the checklist's actions depend on it."""
    buttons = [
        Button(texts.region_label(r, language), callbacks.encode("k", f"{REGION}:{r}"))
        for r in REGIONS
    ]
    return tuple(_rows(buttons))


def picker_buttons(
    kb: KnowledgeBase, chosen: Collection[str], language: str = DEFAULT_LANGUAGE
) -> Keyboard:
    """A toggle per app, Meta's first (rows of their own), then the others; then Done."""
    platforms = ordered_platforms(kb)
    meta = [p for p in platforms if p.company == "Meta"]
    others = [p for p in platforms if p.company != "Meta"]
    rows: list[tuple[Button, ...]] = []
    for group in (meta, others):
        rows += _rows(
            [
                Button(texts.toggle_label(p.name, p.id in chosen), callbacks.encode("u", p.id))
                for p in group
            ]
        )
    rows.append((Button(texts.tr(texts.PICKER_DONE, language), callbacks.encode("k", FINISH)),))
    return tuple(rows)


def _steps(item_id: str, name: str, language: str) -> Button:
    return Button(texts.steps_label(name, language), callbacks.encode("p", item_id))


def tick_row(platform_id: str, kind: str, language: str = DEFAULT_LANGUAGE) -> tuple[Button, ...]:
    """Done / Later / Not for me for one app: `kind` "y" under the checkup's checklist, "c"
    (the checklist feature's ticks, as under an app's steps) under a reminder."""
    return tuple(
        Button(texts.tick_label(s, language), callbacks.encode(kind, f"{platform_id}:{s}"))
        for s in TICKS
    )


def checklist_buttons(items: Iterable[ChecklistItem], language: str = DEFAULT_LANGUAGE) -> Keyboard:
    """Per app: its steps, then Done / Later / Not for me; last, change the apps."""
    rows: list[tuple[Button, ...]] = []
    for item in items:
        rows.append((_steps(item.platform_id, item.name, language),))
        rows.append(tick_row(item.platform_id, "y", language))
    rows.append((Button(texts.tr(texts.CHANGE_APPS, language), callbacks.encode("k")),))
    return tuple(rows)


def _open_checklist(language: str) -> Button:
    return Button(texts.tr(texts.OPEN_CHECKLIST, language), callbacks.encode("k", LIST))


def nudge_buttons(items: Iterable[ChecklistItem], language: str = DEFAULT_LANGUAGE) -> Keyboard:
    """The open apps' steps, and the checklist to tick them off."""
    rows = _rows([_steps(item.platform_id, item.name, language) for item in items], 2)
    rows.append((_open_checklist(language),))
    return tuple(rows)


def alert_buttons(change: Change, kb: KnowledgeBase, language: str = DEFAULT_LANGUAGE) -> Keyboard:
    """A changed app: its steps and the checklist; a changed date: the deadlines."""
    if change.kind == "platform":
        platform = kb.platforms.get(change.entry_id)
        if platform is None:
            return ()
        return ((_steps(platform.id, platform.name, language),), (_open_checklist(language),))
    return ((Button(texts.tr(texts.SEE_DEADLINES, language), callbacks.encode("d")),),)


def vote_buttons(topic_id: str, language: str = DEFAULT_LANGUAGE) -> Keyboard:
    """👍 / 👎 under an answer: one tap, counted per topic, language and day."""
    return (
        (
            Button(texts.tr(texts.VOTE_UP, language), callbacks.encode("v", f"{topic_id}:up")),
            Button(texts.tr(texts.VOTE_DOWN, language), callbacks.encode("v", f"{topic_id}:down")),
        ),
    )
