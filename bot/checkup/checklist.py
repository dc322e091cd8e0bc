"""The personal checklist: for each app a chat uses, the one action that applies in its region.

The action comes from the platform's route for the region (`Platform.route_for`):
- no route is available (`available: false`): nothing can be switched off, the route's steps
  say what helps;
- the route links to a form (a `/contact/` or `/forms/` page, as Meta's objection forms):
  object through the form;
- otherwise there is a setting: switch it off (the route's steps; its link, if any, opens the
  settings page).
Meta's apps come first, then the others, each group in the order of `faq/platforms.yaml`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from bot.knowledge.model import KnowledgeBase, Platform, Route
from bot.store.schema import DONE, LATER, NOT_FOR_ME

__all__ = [
    "META",
    "Action",
    "ChecklistItem",
    "Progress",
    "action_for",
    "checklist_items",
    "ordered_platforms",
    "platform_groups",
    "progress",
]

META = "Meta"
_FORM_SEGMENTS = frozenset({"contact", "forms"})


class Action(StrEnum):
    OBJECT = "object"  # send the platform's objection form
    SWITCH_OFF = "switch_off"  # turn a setting off
    NOTHING_TO_SWITCH = "nothing_to_switch"  # no switch in this region; the steps say what helps
    CHOOSE_REGION = "choose_region"  # the app has routes per region and the chat has none


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    platform_id: str
    name: str
    company: str
    action: Action
    state: str | None  # done, later, na, or None (not answered yet)
    route: Route | None = None
    route_key: str | None = None  # the region key of the route, or "default"

    @property
    def form_url(self) -> str | None:
        return self.route.form_url if self.route else None

    @property
    def is_open(self) -> bool:
        """Still something to do: neither done nor "not for me"."""
        return self.state not in (DONE, NOT_FOR_ME)


@dataclass(frozen=True, slots=True)
class Progress:
    """ "4 of 6 done": apps marked "not for me" do not count in `total`."""

    done: int
    total: int
    later: int = 0
    not_for_me: int = 0

    @property
    def open(self) -> int:
        return self.total - self.done

    @property
    def complete(self) -> bool:
        return self.done == self.total


def ordered_platforms(kb: KnowledgeBase) -> list[Platform]:
    """Meta's apps first, then the others, each in the order of `faq/platforms.yaml`."""
    platforms = list(kb.platforms.values())
    return [p for p in platforms if p.company == META] + [p for p in platforms if p.company != META]


def platform_groups(kb: KnowledgeBase) -> list[tuple[str, list[Platform]]]:
    """Apps grouped by company for the "Which of these do you use?" buttons, Meta first."""
    groups: dict[str, list[Platform]] = {}
    for platform in ordered_platforms(kb):
        groups.setdefault(platform.company, []).append(platform)
    return list(groups.items())


def _is_form(url: str | None) -> bool:
    if not url:
        return False
    segments = {part.lower() for part in urlsplit(url).path.split("/") if part}
    return bool(segments & _FORM_SEGMENTS)


def action_for(platform: Platform, region: str | None) -> tuple[Action, Route | None, str | None]:
    """The one action for this app in this region, with the route it comes from."""
    found = platform.route_for(region)
    if found is None:
        return Action.CHOOSE_REGION, None, None
    key, route = found
    if not route.available:
        return Action.NOTHING_TO_SWITCH, route, key
    if _is_form(route.form_url):
        return Action.OBJECT, route, key
    return Action.SWITCH_OFF, route, key


def checklist_items(
    kb: KnowledgeBase,
    platforms_used: Iterable[str],
    checklist: Mapping[str, str],
    region: str | None,
) -> list[ChecklistItem]:
    """One item per app the chat uses that the knowledge base still knows, Meta's first."""
    used = set(platforms_used)
    items = []
    for platform in ordered_platforms(kb):
        if platform.id not in used:
            continue
        action, route, key = action_for(platform, region)
        items.append(
            ChecklistItem(
                platform.id,
                platform.name,
                platform.company,
                action,
                checklist.get(platform.id),
                route,
                key,
            )
        )
    return items


def progress(items: Iterable[ChecklistItem]) -> Progress:
    states = [item.state for item in items]
    not_for_me = states.count(NOT_FOR_ME)
    return Progress(
        done=states.count(DONE),
        total=len(states) - not_for_me,
        later=states.count(LATER),
        not_for_me=not_for_me,
    )
