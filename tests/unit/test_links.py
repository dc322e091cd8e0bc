"""`python -m bot links` against HTTP and HTTPS servers on 127.0.0.1 started here."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot.knowledge.links import BROKEN, OK, REDIRECTED, Place, _describe, find_links, run_links
from tests.conftest import ROOT
from tests.support import kb_factory

SLOW_SECONDS = 3.0


class Handler(BaseHTTPRequestHandler):
    """/ok 200; /r1 -> /r2 -> /ok; /gone 404; /error 500; /no-head 405 for HEAD; /slow."""

    seen: list[tuple[str, str]] = []  # noqa: RUF012 - shared log of (method, path)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _answer(self, method: str) -> None:
        Handler.seen.append((method, self.path))
        path = self.path
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
        if path in ("/ok", "/slow"):
            self._send(200)
        elif path == "/r1":
            self._send(301, location="/r2")
        elif path == "/r2":
            self._send(301, location="/ok")
        elif path == "/to-gone":
            self._send(302, location="/gone")
        elif path == "/error":
            self._send(500)
        elif path == "/no-head":
            self._send(405 if method == "HEAD" else 200)
        else:
            self._send(404)

    def _send(self, status: int, location: str | None = None) -> None:
        body = b"page" if method_has_body(self.command) else b""
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(b"page")))
        self.end_headers()
        if body:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_GET(self) -> None:
        self._answer("GET")


def method_has_body(method: str) -> bool:
    return method != "HEAD"


def serve(server: ThreadingHTTPServer) -> Iterator[str]:
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_host() -> Iterator[str]:
    yield from serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


@pytest.fixture
def https_host(certificate: tuple[Path, Path]) -> Iterator[str]:
    key, cert = certificate
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from serve(server)


def local_data(host: str) -> dict:
    """The small faq with every source on the local server: no test ever leaves 127.0.0.1."""
    data = kb_factory.faq_data()
    for entry in (*data["topics"], *data["platforms"], *data["deadlines"]):
        entry["sources"] = [{"title": "Fine", "url": f"http://{host}/ok"}]
    return data


def checked_locally(faq: Path) -> Path:
    urls, _ = find_links(faq)
    assert all(u.split("/")[2].startswith("127.0.0.1:") for u in urls), urls
    return faq


def faq_with_links(tmp_path: Path, http: str, https: str | None = None) -> Path:
    data = local_data(http)
    first, second = data["topics"]
    first["sources"] = [
        {"title": "Fine", "url": f"http://{http}/ok"},
        {"title": "Moved twice", "url": f"http://{http}/r1"},
        {"title": "Gone", "url": f"http://{http}/gone"},
    ]
    first["answer"] = kb_factory.literal(
        f'First line.\nSee <a href="http://{http}/error">this page</a>.'
    )
    second["sources"] = [
        {"title": "No HEAD", "url": f"http://{http}/no-head"},
        {"title": "Fine again", "url": f"http://{http}/ok"},
    ]
    route = data["platforms"][0]["routes"]["default"]
    route["form_url"] = f"http://{http}/slow"
    route["steps"] = ["Open the app.", f'Follow <a href="http://{http}/to-gone">the link</a>.']
    if https:
        data["deadlines"][0]["sources"] = [{"title": "TLS", "url": f"https://{https}/ok"}]
    return checked_locally(kb_factory.write_faq(tmp_path, data))


def by_url(report) -> dict[str, object]:
    return {r.url.split("/", 3)[3]: r for r in report.results}


def test_links_are_found_with_file_and_line(tmp_path: Path):
    faq = faq_with_links(tmp_path, "127.0.0.1:9")
    urls, unreadable = find_links(faq)
    assert unreadable == []
    topics = faq / "topics" / "10-topics.yaml"
    written = {
        Place(f"faq/{path.relative_to(faq)}", number)
        for path in (topics, faq / "platforms.yaml", faq / "deadlines.yaml")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "127.0.0.1:9/ok" in line
    }
    assert len(written) == 4 and set(urls["http://127.0.0.1:9/ok"]) == written
    error_line = kb_factory.line_containing(topics, "9/error")
    assert urls["http://127.0.0.1:9/error"] == [Place("faq/topics/10-topics.yaml", error_line)]
    platforms = faq / "platforms.yaml"
    assert urls["http://127.0.0.1:9/to-gone"] == [
        Place("faq/platforms.yaml", kb_factory.line_containing(platforms, "to-gone"))
    ]
    assert urls["http://127.0.0.1:9/slow"] == [
        Place("faq/platforms.yaml", kb_factory.line_containing(platforms, "form_url"))
    ]


def test_every_outcome_over_http(tmp_path: Path, http_host: str):
    Handler.seen.clear()
    faq = faq_with_links(tmp_path, http_host)
    report = run_links(faq, timeout=0.5, concurrency=3, trust_env=False)
    results = by_url(report)
    assert results["ok"].outcome == OK and results["ok"].detail == "200 OK"
    moved = results["r1"]
    assert moved.outcome == REDIRECTED and moved.final_url == f"http://{http_host}/ok"
    assert moved.detail == "301 → 301 → 200 OK"
    assert results["gone"].outcome == BROKEN and results["gone"].detail == "404 Not Found"
    assert results["error"].outcome == BROKEN and results["error"].detail.startswith("500")
    assert results["no-head"].outcome == OK
    assert ("HEAD", "/no-head") in Handler.seen and ("GET", "/no-head") in Handler.seen
    assert ("GET", "/ok") not in Handler.seen  # HEAD was enough
    assert results["slow"].outcome == BROKEN and results["slow"].detail == "timed out"
    via = results["to-gone"]
    assert via.outcome == BROKEN and via.final_url == f"http://{http_host}/gone"
    assert report.exit_code == 1
    lines = report.lines()
    assert any(
        line.startswith("faq/topics/10-topics.yaml:") and "/gone: 404 Not Found" in line
        for line in lines
    )
    assert any("redirects to" in line and line.endswith(f"http://{http_host}/ok") for line in lines)
    assert lines[-1].startswith("Checked 7 link(s): 2 fine, 1 redirected, 4 broken.")


def test_self_signed_certificate_is_a_tls_failure(
    tmp_path: Path, http_host: str, https_host: str, certificate: tuple[Path, Path]
):
    faq = faq_with_links(tmp_path, http_host, https_host)
    report = run_links(faq, timeout=2, trust_env=False)
    tls = next(r for r in report.results if r.url.startswith("https://"))
    assert tls.outcome == BROKEN and tls.detail.startswith("TLS: "), tls
    assert "certificate" in tls.detail
    trusted = ssl.create_default_context(cafile=str(certificate[1]))
    again = run_links(faq, timeout=2, verify=trusted, trust_env=False)
    assert next(r for r in again.results if r.url.startswith("https://")).outcome == OK


def test_all_fine_exits_zero(tmp_path: Path, http_host: str):
    data = local_data(http_host)
    data["deadlines"][0]["sources"] = [{"title": "Fine", "url": f"http://{http_host}/no-head"}]
    faq = checked_locally(kb_factory.write_faq(tmp_path, data))
    report = run_links(faq, timeout=2, trust_env=False)
    assert report.exit_code == 0
    assert report.lines() == ["Checked 2 link(s): 2 fine, 0 redirected, 0 broken. All good."]


def test_refused_connection_and_unreadable_file(tmp_path: Path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = local_data(f"127.0.0.1:{port}")
    data["topics"][0]["sources"] = [{"title": "Closed", "url": f"http://127.0.0.1:{port}/"}]
    data["topics"][1]["sources"] = [{"title": "Bad port", "url": "http://127.0.0.1:99999/"}]
    faq = checked_locally(kb_factory.write_faq(tmp_path, data))
    (faq / "topics" / "20-broken.yaml").write_text("topics: [unclosed\n", encoding="utf-8")
    report = run_links(faq, timeout=2, trust_env=False)
    assert {r.outcome for r in report.results} == {BROKEN}
    details = {r.url: r.detail for r in report.results}
    assert details.pop("http://127.0.0.1:99999/").startswith("not a valid URL")
    assert all(d.startswith("cannot connect") for d in details.values()), details
    assert report.unreadable and report.unreadable[0].startswith("faq/topics/20-broken.yaml:")
    assert report.exit_code == 1


def test_dns_failures_are_named():
    request = httpx.Request("GET", "https://no-such-host.example/")
    gai = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    error = httpx.ConnectError("[Errno -2] Name or service not known", request=request)
    error.__cause__ = gai
    assert _describe(error) == "DNS: the host name does not resolve"
    assert _describe(httpx.ReadTimeout("slow", request=request)) == "timed out"


def test_cli_links(tmp_path: Path, http_host: str):
    faq = faq_with_links(tmp_path, http_host)
    env = {"FAQ_DIR": str(faq), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "links", "--timeout", "0.5", "--concurrency", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "faq/platforms.yaml:" in result.stdout and "timed out" in result.stdout
    assert "4 broken" in result.stdout and "Traceback" not in result.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "links", "--concurrency", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--concurrency" in bad.stderr
