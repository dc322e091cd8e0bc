"""Hand-made knowledge bases for the checkup tests, with the `changed:`/`change:`/`kind` fields
of the agreed faq/ schema (the model on main does not have them yet; the checkup reads them
with getattr, so these subclasses stand in for the model that will)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.knowledge.model import Deadline, KnowledgeBase, Platform, Route, Source

FORM = "https://www.example-social.test/help/contact/123"
SETTINGS = "https://www.example-network.test/settings/data-for-ai"
SOURCE = Source("Example regulator - guidance", "https://regulator.example.test/guidance")


@dataclass(frozen=True, slots=True)
class ChangedPlatform(Platform):
    changed: date | None = None
    change: str | dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ChangedDeadline(Deadline):
    changed: date | None = None
    change: str | None = None
    kind: str = "deadline"


def platform(
    pid: str,
    company: str,
    routes: dict[str, Route],
    *,
    changed: date | None = None,
    change: str | dict[str, str] | None = None,
) -> ChangedPlatform:
    return ChangedPlatform(
        pid,
        pid.capitalize(),
        company,
        (),
        routes,
        "You get a confirmation.",
        (SOURCE,),
        date(2026, 11, 26),
        changed=changed,
        change=change,
    )


def deadline(
    did: str,
    at: datetime | None,
    regions: Iterable[str],
    platforms: Iterable[str] = (),
    *,
    kind: str = "deadline",
    changed: date | None = None,
    change: str | None = None,
    tz: str = "Europe/Brussels",
) -> ChangedDeadline:
    return ChangedDeadline(
        did,
        f"Title of {did}",
        at,  # type: ignore[arg-type]  # standing and watch entries have no date
        tz,
        tuple(regions),
        tuple(platforms),
        "Act <b>before</b> this day &amp; keep your posts out.",
        "This day has passed.",
        (SOURCE,),
        changed=changed,
        change=change,
        kind=kind,
    )


OBJECT_ROUTE = Route(("Open the form.", "Send it."), True, FORM)
NO_SWITCH_ROUTE = Route(("Make your posts private.",), False)
SETTING_ROUTE = Route(("Open Settings.", "Turn it off."), True, SETTINGS)
PLAIN_SETTING_ROUTE = Route(("Open Settings.", "Untick the box."), True)


def sample_platforms(**changes: dict[str, object]) -> list[ChangedPlatform]:
    """Two Meta apps, two others; `changes={"gram": {"changed": ...}}` adds fields."""
    spec = {
        "gram": ("Meta", {"eu": OBJECT_ROUTE, "uk": OBJECT_ROUTE, "other": NO_SWITCH_ROUTE}),
        "network": ("Network Inc", {"default": SETTING_ROUTE}),
        "book": ("Meta", {"eu": OBJECT_ROUTE, "other": NO_SWITCH_ROUTE}),
        "chatter": ("Chatter", {"default": PLAIN_SETTING_ROUTE}),
        "messages": ("Meta", {"default": NO_SWITCH_ROUTE}),
    }
    return [
        platform(pid, company, routes, **changes.get(pid, {}))  # type: ignore[arg-type]
        for pid, (company, routes) in spec.items()
    ]


def make_kb(
    platforms: Iterable[Platform] = (), deadlines: Iterable[Deadline] = ()
) -> KnowledgeBase:
    return KnowledgeBase({}, {p.id: p for p in platforms}, {d.id: d for d in deadlines})


def brussels(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Brussels"))
