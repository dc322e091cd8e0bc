"""A platform's objection steps, grouped by the regions that share a route."""

from __future__ import annotations

from bot.knowledge.model import DEFAULT_LANGUAGE, Platform, Route
from bot.knowledge.regions import REGION_FALLBACK, REGION_NAMES, REGIONS
from bot.render.language import fallback_note, words


def _region_label(keys: list[str], platform: Platform, language: str) -> str:
    """The regions a group of routes serves; a region that merely falls back is not named."""
    if keys == ["default"]:
        return ""
    _ = words(language)
    served = {r: found[0] for r in REGIONS if (found := platform.route_for(r)) is not None}
    names = [
        _(REGION_NAMES[r])
        for r, key in served.items()
        if key in keys and served.get(REGION_FALLBACK.get(r, "")) != key
    ]
    return ", ".join(names)


def _route_text(platform: Platform, route: Route, language: str) -> str:
    _ = words(language)
    lines = []
    if not route.available:
        lines.append(
            _("There is no objection form for {platform} here. What you can do instead:").format(
                platform=platform.name
            )
        )
    lines.extend(f"{i}. {step}" for i, step in enumerate(route.steps, 1))
    if route.form_url:
        link = _('🔗 <a href="{url}">Direct link to the form</a> (log in first)')
        lines.append(link.format(url=route.form_url))
    if route.note:
        lines.append(f"<i>{route.note}</i>")
    return "\n".join(lines)


def render_steps(
    platform: Platform,
    region: str | None,
    language: str = DEFAULT_LANGUAGE,
    *,
    note: bool = True,
) -> str:
    """Steps for one region, or for every region (grouped) when the region is unknown.

    In `language` where the platform is translated; otherwise in English, after the
    fallback note unless `note` is False (the answer around the steps has it already).
    "What to expect" describes what follows an objection, so a route without one (no form
    where the reader lives) goes without it.
    """
    _ = words(language)
    english = not platform.has_text(language)
    platform = platform.for_language(language)
    header = _("<b>{platform}: how to object</b>").format(platform=platform.name)
    if english and note and (line := fallback_note(language)):
        header = f"{line}\n{header}"
    expect = _("<b>What to expect:</b> {expect}").format(expect=platform.expect)
    if region is not None:
        found = platform.route_for(region)
        if found is not None:
            key, route = found
            label = _(REGION_NAMES[region]) if region in REGION_NAMES else ""
            title = f"{header} ({label})" if label and key != "default" else header
            steps = f"{title}\n{_route_text(platform, route, language)}"
            return f"{steps}\n\n{expect}" if route.available else steps
    groups: list[tuple[list[str], Route]] = []
    for key, route in platform.routes.items():
        for keys, existing in groups:
            if existing == route:
                keys.append(key)
                break
        else:
            groups.append(([key], route))
    blocks = [header]
    for keys, route in groups:
        label = _region_label(keys, platform, language)
        body = _route_text(platform, route, language)
        blocks.append(f"<u>{label}</u>\n{body}" if label else body)
    if any(route.available for route in platform.routes.values()):
        blocks.append(expect)
    return "\n\n".join(blocks)


def form_link(platform: Platform, region: str | None) -> str | None:
    """The objection form a reader in `region` can open, or None.

    For an unknown region: the form, if every route that has one shares it (Meta's Facebook
    form serves the EU/EEA, the UK and Switzerland alike).
    """
    if region is not None:
        found = platform.route_for(region)
        if found is None:
            return None
        route = found[1]
        return route.form_url if route.available else None
    urls = {r.form_url for r in platform.routes.values() if r.available and r.form_url}
    return urls.pop() if len(urls) == 1 else None


def varies_by_region(platform: Platform) -> bool:
    """Whether readers in different regions get different steps."""
    routes = {platform.route_for(r) for r in REGIONS}
    return len({found[1] if found else None for found in routes}) > 1
