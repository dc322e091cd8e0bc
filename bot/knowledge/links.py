"""`python -m bot links`: is every URL in `faq/` still there?

Each distinct URL is asked once (HEAD, then GET where a server refuses HEAD), redirects are
followed and the final address shown, and every place the URL is written is reported with
its file and line. Broken links (4xx/5xx, DNS, TLS, timeouts) make the command fail.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.knowledge.telegram_html import hrefs
from bot.knowledge.yaml_reader import LineList, YamlError, item_line, line_of, parse_yaml

DEFAULT_TIMEOUT = 15.0
DEFAULT_CONCURRENCY = 8
MAX_REDIRECTS = 10
# Servers that answer HEAD with these often serve GET fine: ask again with GET.
HEAD_REFUSED = frozenset({403, 405, 501})
USER_AGENT = "optout-bot link check (python-httpx)"

OK, REDIRECTED, BROKEN = "ok", "redirected", "broken"


@dataclass(frozen=True, slots=True)
class Place:
    file: str
    line: int | None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class LinkResult:
    url: str
    outcome: str  # OK, REDIRECTED or BROKEN
    detail: str  # "200", "404 Not Found", "TLS: certificate verify failed", ...
    final_url: str | None = None
    places: tuple[Place, ...] = ()


@dataclass
class LinkReport:
    results: list[LinkResult] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def broken(self) -> list[LinkResult]:
        return [r for r in self.results if r.outcome == BROKEN]

    @property
    def exit_code(self) -> int:
        return 1 if self.broken or self.unreadable else 0

    def lines(self) -> list[str]:
        out = list(self.unreadable)
        for result in sorted(self.results, key=lambda r: (r.outcome != BROKEN, r.url)):
            if result.outcome == OK:
                continue
            for place in result.places:
                if result.outcome == BROKEN:
                    tail = f" (after redirects: {result.final_url})" if result.final_url else ""
                    out.append(f"{place}: broken link {result.url}: {result.detail}{tail}")
                else:
                    out.append(f"{place}: {result.url} redirects to {result.final_url}")
        counts = {k: sum(r.outcome == k for r in self.results) for k in (OK, REDIRECTED, BROKEN)}
        total = len(self.results)
        if total == 0:
            out.append("No links found in faq/.")
            return out
        summary = (
            f"Checked {total} link(s): {counts[OK]} fine, {counts[REDIRECTED]} redirected, "
            f"{counts[BROKEN]} broken."
        )
        if counts[BROKEN]:
            summary += " Fix or replace the broken ones (a source must still say what we cite)."
        elif counts[REDIRECTED]:
            summary += " Redirected links work; update them to the final address when you can."
        else:
            summary += " All good."
        out.append(summary)
        return out


# -- finding links ---------------------------------------------------------------------
def _walk(node: Any, file: str) -> Iterator[tuple[str, Place]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str) or key.startswith("__"):
                continue
            if isinstance(value, str):
                text = value.strip()
                if key in ("url", "form_url"):
                    yield text, Place(file, line_of(node, key))
                for offset, url in hrefs(text):
                    yield url, Place(file, line_of(node, key, offset, text))
            else:
                yield from _walk(value, file)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, str):
                text = value.strip()
                for offset, url in hrefs(text):
                    line = (
                        item_line(node, index, offset, text) if isinstance(node, LineList) else None
                    )
                    yield url, Place(file, line)
            else:
                yield from _walk(value, file)


def find_links(faq_dir: Path) -> tuple[dict[str, list[Place]], list[str]]:
    """Every http(s) URL in `faq/` with the places it is written, and unreadable files."""
    found: dict[str, list[Place]] = {}
    unreadable: list[str] = []
    files = sorted(faq_dir.glob("*.yaml")) + sorted((faq_dir / "topics").glob("*.yaml"))
    for path in files:
        name = (
            str(path.relative_to(faq_dir.parent))
            if path.is_relative_to(faq_dir.parent)
            else str(path)
        )
        try:
            data = parse_yaml(path)
        except YamlError as exc:
            where = f"{name}:{exc.line}" if exc.line else name
            unreadable.append(f"{where}: {exc.message}")
            continue
        for url, place in _walk(data, name):
            if url.startswith(("http://", "https://")):
                places = found.setdefault(url, [])
                if place not in places:
                    places.append(place)
    return found, unreadable


# -- asking the servers ----------------------------------------------------------------
def _describe(exc: Exception) -> str:
    """A short, plain reason for a failed request."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]  # type: ignore[assignment]
    if isinstance(exc, httpx.InvalidURL | ValueError | OverflowError):
        return f"not a valid URL: {exc}"
    if isinstance(exc, httpx.TooManyRedirects):
        return f"more than {MAX_REDIRECTS} redirects"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS: {cause.verify_message or 'certificate not trusted'}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS: {cause.reason or cause}"
        text = str(cause).lower()
        if (
            "name or service not known" in text
            or "nodename nor servname" in text
            or ("temporary failure in name resolution" in text)
            or "getaddrinfo" in text
            or "no address associated" in text
        ):
            return "DNS: the host name does not resolve"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc or 'connection refused'}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def _request(client: httpx.AsyncClient, method: str, url: str) -> httpx.Response:
    async with client.stream(method, url) as response:  # never download a whole page
        return response


async def check_url(client: httpx.AsyncClient, url: str) -> LinkResult:
    try:
        response = await _request(client, "HEAD", url)
        if response.status_code in HEAD_REFUSED:
            response = await _request(client, "GET", url)
    except Exception as exc:  # one odd URL must not stop the check of all the others
        return LinkResult(url, BROKEN, _describe(exc))
    final = str(response.url)
    status = f"{response.status_code} {response.reason_phrase}".strip()
    redirected = final != url and bool(response.history)
    if response.status_code >= 400:
        return LinkResult(url, BROKEN, status, final if redirected else None)
    if redirected:
        hops = " → ".join(str(r.status_code) for r in response.history)
        return LinkResult(url, REDIRECTED, f"{hops} → {status}", final)
    return LinkResult(url, OK, status)


async def check_links(
    urls: dict[str, list[Place]],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
    verify: ssl.SSLContext | bool = True,
    trust_env: bool = True,
) -> list[LinkResult]:
    """Ask every URL at most `concurrency` at a time; each result carries its places."""
    limit = asyncio.Semaphore(max(1, concurrency))
    async with httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
        verify=verify,
        trust_env=trust_env,
    ) as client:

        async def one(url: str) -> LinkResult:
            async with limit:
                result = await check_url(client, url)
            return LinkResult(
                result.url, result.outcome, result.detail, result.final_url, tuple(urls[url])
            )

        return list(await asyncio.gather(*(one(url) for url in urls)))


def run_links(
    faq_dir: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
    verify: ssl.SSLContext | bool = True,
    trust_env: bool = True,
) -> LinkReport:
    urls, unreadable = find_links(faq_dir)
    results = asyncio.run(
        check_links(
            urls, timeout=timeout, concurrency=concurrency, verify=verify, trust_env=trust_env
        )
    )
    return LinkReport(results, unreadable)
