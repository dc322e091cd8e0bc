"""Regions: the keys `faq/` may use, what people read for them, and where each falls back.

This is the one place that names regions; everything else looks them up here. The names are
English gettext messages: a reply shows them translated (`translator(language).gettext`).
"""

from __future__ import annotations

from bot.i18n.catalog import N_

REGIONS: tuple[str, ...] = ("eu", "uk", "ch", "br", "ca", "hk", "us", "other")
REGION_NAMES: dict[str, str] = {
    "eu": N_("EU / EEA"),
    "uk": N_("United Kingdom"),
    "ch": N_("Switzerland"),
    "br": N_("Brazil"),
    "ca": N_("Canada"),
    "hk": N_("Hong Kong"),
    "us": N_("United States"),
    "other": N_("Elsewhere"),
}
# A region with no variant of its own in an entry reads the variant of the region it falls
# back to: Canada, Hong Kong and the US get their own text only where a source is specific.
REGION_FALLBACK: dict[str, str] = {"ca": "other", "hk": "other", "us": "other"}


def region_chain(region: str | None) -> tuple[str, ...]:
    """The keys to try for `region`, most specific first: ('ca', 'other') for Canada."""
    if not region:
        return ()
    chain = [region]
    while chain[-1] in REGION_FALLBACK and REGION_FALLBACK[chain[-1]] not in chain:
        chain.append(REGION_FALLBACK[chain[-1]])
    return tuple(chain)


def region_name(region: str | None, unknown: str = "") -> str:
    """The label people read ('EU / EEA'), or `unknown` for None or an unknown key."""
    return REGION_NAMES.get(region or "", unknown)
