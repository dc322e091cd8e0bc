"""What people type after /timezone, as an IANA time zone: names, cities and UTC offsets.

`Europe/Berlin`, `berlin`, `CET`, `UTC+2` and `+02:00` all work. Old names that the tz
database keeps only as links (`Europe/Belfast`, `Asia/Calcutta`) are read as the zone they
point to, and suggestions for a near miss are current zones, never such links. An offset of
whole hours is the fixed zone `Etc/GMT-2` (the sign is inverted in those names, by POSIX
convention); any other offset has no zone of its own, so the places at that offset now are
suggested instead.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz, process

# rapidfuzz ratio from which a typed name is offered as a near miss of a zone or a city.
SUGGEST_CUTOFF = 75
MAX_SUGGESTIONS = 3
# Group names the tz database keeps for backward compatibility only (US/Eastern, Canada/...).
_LEGACY_PREFIXES = ("US/", "Canada/", "Brazil/", "Chile/", "Mexico/", "SystemV/")
# Summer-time abbreviations people type for the European zones of the same name.
SUMMER_NAMES = {"cest": "CET", "eest": "EET", "west": "WET", "bst": "Europe/London"}
_OFFSET = re.compile(
    r"^(?:utc|gmt|z)?\s*([+-−])\s*(\d{1,2})(?:(?::|h|\.)?(\d{2}))?$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class ZoneMatch:
    """A zone to store, how the text was read (`how`), or suggestions when nothing fits."""

    name: str | None
    how: str = ""  # "", "city", "link", "offset": what the reply should explain
    detail: str = ""  # the link's old name, or the offset as written back (UTC+2)
    suggestions: tuple[str, ...] = ()


def _tzdata_links() -> dict[str, str]:
    """Link name -> the zone it points to, from the tz database's `tzdata.zi`, if present."""
    for root in zoneinfo.TZPATH:
        path = Path(root) / "tzdata.zi"
        if path.is_file():
            break
    else:
        try:
            from importlib.resources import files

            path = Path(str(files("tzdata.zoneinfo") / "tzdata.zi"))
        except (ImportError, ModuleNotFoundError, OSError):
            return {}
        if not path.is_file():
            return {}
    links: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    return links


@dataclass(frozen=True, slots=True)
class _Zones:
    names: dict[str, str]  # lowercase -> every available name (links included)
    links: dict[str, str]  # link -> current zone
    current: tuple[str, ...]  # zones one may suggest: no links, no legacy groups
    cities: dict[str, str]  # last path component, lowercase -> the current zone

    def canonical(self, name: str) -> str:
        seen = {name}
        while name in self.links and self.links[name] not in seen:
            name = self.links[name]
            seen.add(name)
        return name


@cache
def _zones() -> _Zones:
    available = zoneinfo.available_timezones()
    links = {k: v for k, v in _tzdata_links().items() if k in available and v in available}
    current = tuple(
        sorted(
            n
            for n in available
            if n not in links and not n.startswith(_LEGACY_PREFIXES) and n != "Factory"
        )
    )
    cities: dict[str, str] = {}
    for name in current:
        if "/" in name and not name.startswith("Etc/"):
            cities.setdefault(_key(name.rsplit("/", 1)[1]), name)
    for name, target in links.items():  # old city names (Calcutta) lead to the current zone
        if "/" in name:
            cities.setdefault(_key(name.rsplit("/", 1)[1]), target)
    return _Zones({n.lower(): n for n in available}, links, current, cities)


def _key(text: str) -> str:
    """'São Paulo' -> 'sao_paulo': the form of tz database names, lowercase, no accents."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return "_".join(text.strip().lower().replace("-", " ").split())


def _offset(text: str) -> timedelta | None:
    match = _OFFSET.match(text.strip())
    if match is None:
        return None
    sign = -1 if match.group(1) in "-−" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    return sign * timedelta(hours=hours, minutes=minutes)


def format_offset(offset: timedelta) -> str:
    """timedelta(hours=2) -> 'UTC+2', timedelta(hours=5, minutes=30) -> 'UTC+5:30'."""
    total = int(offset.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def zones_at_offset(offset: timedelta, now: datetime, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Current zones whose offset is `offset` at `now` (places, not Etc/ zones)."""
    found = []
    for name in _zones().current:
        if "/" not in name or name.startswith("Etc/"):
            continue
        if now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset() == offset:
            found.append(name)
    return found[:limit]


def resolve_timezone(text: str, now: datetime) -> ZoneMatch:
    """Read what someone typed after /timezone. `now` decides which places an offset fits."""
    zones = _zones()
    wanted = text.strip()
    if not wanted:
        return ZoneMatch(None)
    key = wanted.replace(" ", "_").lower()
    key = SUMMER_NAMES.get(key, key).lower()
    if key in zones.names:
        name = zones.names[key]
        current = zones.canonical(name)
        if current != name and not current.startswith("Etc/"):  # UTC is no old name
            return ZoneMatch(current, "link", name)
        return ZoneMatch(current)
    offset = _offset(wanted)
    if offset is not None:
        shown = format_offset(offset)
        minutes = int(offset.total_seconds() // 60)
        if minutes == 0:
            return ZoneMatch("Etc/UTC", "offset", shown)
        hours, rest = divmod(abs(minutes), 60)
        etc = f"Etc/GMT{'-' if minutes > 0 else '+'}{hours}"
        if rest == 0 and etc in zones.names.values():
            return ZoneMatch(etc, "offset", shown)
        return ZoneMatch(None, "offset", shown, tuple(zones_at_offset(offset, now)))
    city = _key(wanted)
    if city in zones.cities:
        return ZoneMatch(zones.cities[city], "city")
    return ZoneMatch(None, suggestions=tuple(suggest(wanted)))


def suggest(text: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Current zones close to `text`, by full name or by city; an old name leads to its zone."""
    zones = _zones()
    choices = {_key(name): name for name in zones.current}
    choices.update({_key(link): target for link, target in zones.links.items()})
    choices.update(zones.cities)
    keys = [_key(text)]
    if "/" in text:  # "Europ/Berlim": the city alone may be the closer match
        keys.append(_key(text.rsplit("/", 1)[1]))
    scored: dict[str, float] = {}
    for key in keys:
        for choice, score, _index in process.extract(
            key, list(choices), scorer=fuzz.ratio, limit=None, score_cutoff=SUGGEST_CUTOFF
        ):
            zone = choices[choice]
            scored[zone] = max(score, scored.get(zone, 0.0))
    return sorted(scored, key=lambda z: -scored[z])[:limit]
