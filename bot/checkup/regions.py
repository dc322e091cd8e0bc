"""Which regions an entry listing some regions applies to, with the agreed fallbacks.

`ca`, `hk` and `us` fall back to `other` wherever an entry has no variant of its own for them
(faq/ schema). Entries list regions; a chat has one region or none, and a chat that has not
chosen one counts as in every region, as for reminders.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["REGION_FALLBACK", "expand_regions", "region_applies"]

REGION_FALLBACK: dict[str, str] = {"ca": "other", "hk": "other", "us": "other"}


def expand_regions(listed: Iterable[str]) -> tuple[str, ...]:
    """The listed regions plus every region that falls back to one of them, sorted."""
    regions = set(listed)
    regions |= {r for r, parent in REGION_FALLBACK.items() if parent in regions}
    return tuple(sorted(regions))


def region_applies(listed: Iterable[str], region: str | None) -> bool:
    """Whether an entry listing `listed` regions applies to a chat in `region`."""
    return region is None or region in expand_regions(listed)
