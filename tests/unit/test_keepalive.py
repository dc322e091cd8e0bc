"""Reminder transports over real sockets.

KeepAliveRequest against a scripted HTTP server; `BotSender` on both of its transports
(KeepAliveRequest and PTB's HTTPXRequest) against the Bot API stand-in; the choice between
them, and a proxy from the environment.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.reminders.keepalive import KeepAliveRequest, _target
from bot.reminders.transport import BotSender, JsonRequestData, reminder_request
from bot.replies import Button
from tests.support.botapi import BotApiStandIn
from tests.support.standin_fixtures import TOKEN, standin  # noqa: F401


def ok(result: object, *, extra_headers: str = "") -> bytes:
    body = json.dumps({"ok": True, "result": result}).encode()
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra_headers.encode()
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


def chunked(result: object) -> bytes:
    body = json.dumps({"ok": True, "result": result}).encode()
    half = len(body) // 2
    return (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x;ext=1\r\n%s\r\n" % (half, body[:half])
        + b"%x\r\n%s\r\n" % (len(body) - half, body[half:])
        + b"0\r\nX-Trailer: yes\r\n\r\n"
    )


@dataclass
class Step:
    """How the scripted server answers one request."""

    answer: bytes = b""
    delay: float = 0.0  # seconds before answering
    close: bool = False  # close the connection after answering (or instead, if no answer)


@dataclass
class Scripted:
    """An HTTP/1.1 server on 127.0.0.1 answering each request with the next scripted step."""

    steps: list[Step]
    connections: int = 0
    bodies: list[bytes] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.steps:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.bodies.append(await reader.readexactly(length))
                step = self.steps.pop(0)
                if step.delay:
                    await asyncio.sleep(step.delay)
                writer.write(step.answer)
                await writer.drain()
                if step.close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot123:X/sendMessage"


@pytest.fixture
async def serve() -> AsyncIterator[object]:
    servers: list[asyncio.Server] = []

    async def start(*steps: Step) -> Scripted:
        scripted = Scripted(list(steps))
        server = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
        scripted.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return scripted

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def client() -> AsyncIterator[KeepAliveRequest]:
    request = KeepAliveRequest(connection_pool_size=4, read_timeout=1.0)
    await request.initialize()
    yield request
    await request.shutdown()


def data(n: int) -> JsonRequestData:
    return JsonRequestData({"chat_id": n, "text": f"message {n}"})


async def test_one_connection_carries_many_requests(serve, client) -> None:
    server = await serve(Step(ok(1)), Step(ok(2)), Step(ok(3)))
    results = [await client.post(server.url, data(n)) for n in (1, 2, 3)]
    assert results == [1, 2, 3]
    assert server.connections == 1
    assert [json.loads(b)["chat_id"] for b in server.bodies] == [1, 2, 3]


async def test_chunked_answers_and_answers_ending_with_the_connection(serve, client) -> None:
    until_eof = b'HTTP/1.1 200 OK\r\n\r\n{"ok": true, "result": "eof"}'
    server = await serve(Step(chunked("chunks")), Step(until_eof, close=True), Step(ok("new")))
    assert await client.post(server.url, data(1)) == "chunks"
    assert await client.post(server.url, data(2)) == "eof"
    assert await client.post(server.url, data(3)) == "new"
    assert server.connections == 2  # the answer without a length ended its connection


async def test_connection_close_is_honoured(serve, client) -> None:
    server = await serve(Step(ok(1, extra_headers="Connection: close\r\n")), Step(ok(2)))
    assert await client.post(server.url, data(1)) == 1
    assert await client.post(server.url, data(2)) == 2
    assert server.connections == 2


async def test_a_connection_the_server_dropped_while_idle_is_not_reused(serve, client) -> None:
    server = await serve(Step(ok(1), close=True), Step(ok(2)))
    assert await client.post(server.url, data(1)) == 1
    await asyncio.sleep(0.05)  # the server's FIN arrives while the connection is idle
    assert await client.post(server.url, data(2)) == 2
    assert server.connections == 2


async def test_a_stalled_answer_times_out_and_never_reaches_the_next_request(serve, client) -> None:
    server = await serve(Step(ok("late"), delay=0.6), Step(ok("second")))
    with pytest.raises(TimedOut):
        await client.post(server.url, data(1), read_timeout=0.2)
    await asyncio.sleep(0.6)  # the late answer is written to the abandoned connection
    assert await client.post(server.url, data(2)) == "second"
    assert server.connections == 2


async def test_a_cancelled_request_does_not_leave_its_answer_in_the_pool(serve, client) -> None:
    server = await serve(Step(ok("first"), delay=0.3), Step(ok("second")))
    task = asyncio.create_task(client.post(server.url, data(1)))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.4)
    assert await client.post(server.url, data(2)) == "second"


@pytest.mark.parametrize(
    "answer",
    [
        b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",  # then the server closes
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
async def test_a_malformed_answer_is_a_network_error(serve, client, answer: bytes) -> None:
    server = await serve(Step(answer, close=True), Step(ok("after")))
    with pytest.raises(NetworkError) as caught:
        await client.post(server.url, data(1))
    assert not isinstance(caught.value, TimedOut)
    assert await client.post(server.url, data(2)) == "after"


async def test_nobody_listening_is_a_network_error(client) -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    with pytest.raises(NetworkError):
        await client.post(f"http://127.0.0.1:{port}/bot1:X/sendMessage", data(1))


async def test_all_connections_busy_is_a_pool_timeout(serve) -> None:
    request = KeepAliveRequest(connection_pool_size=1, pool_timeout=0.1)
    await request.initialize()
    try:
        server = await serve(Step(ok(1), delay=0.5), Step(ok(2)))
        first = asyncio.create_task(request.post(server.url, data(1)))
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut, match="Pool timeout"):
            await request.post(server.url, data(2))
        assert await first == 1
        assert await request.post(server.url, data(2)) == 2  # the slot was given back
    finally:
        await request.shutdown()


async def test_only_json_posts(client) -> None:
    with pytest.raises(ValueError, match="POST"):
        await client.do_request("http://127.0.0.1:1/x", "GET")
    with pytest.raises(ValueError, match="http"):
        await client.do_request("ftp://example.org/x", "POST", data(1))

    with_file = RequestData()
    with_file.contains_files = True
    with pytest.raises(ValueError, match="files"):
        await client.do_request("http://127.0.0.1:1/x", "POST", with_file)


async def test_not_initialized_is_refused() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await KeepAliveRequest().do_request("http://127.0.0.1:1/x", "POST", data(1))


@pytest.mark.parametrize(
    ("url", "origin", "host_header", "path"),
    [
        ("https://api.telegram.org/bot1:A/sendMessage", 443, "api.telegram.org", "/bot1:A/"),
        ("http://127.0.0.1:8081/bot1:A/sendMessage", 8081, "127.0.0.1:8081", "/bot1:A/"),
        ("http://[::1]:8081/b/sendMessage?x=1", 8081, "[::1]:8081", "/b/sendMessage?x=1"),
        ("http://localhost/b/sendMessage", 80, "localhost", "/b/"),
    ],
)
def test_request_head(url: str, origin: int, host_header: str, path: str) -> None:
    target, head = _target(url)
    assert target.port == origin
    text = head.decode()
    assert text.startswith("POST " + path)
    assert f"\r\nHost: {host_header}\r\n" in text


# -- https ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for localhost, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", key, "-out", cert, "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_verifies_the_certificate_and_keeps_the_connection(
    certificate: tuple[str, str],
) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    scripted = Scripted([Step(ok(1)), Step(ok(2))])
    server = await asyncio.start_server(scripted.handle, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    url = f"https://localhost:{port}/bot1:X/sendMessage"
    trusting = KeepAliveRequest(ssl_context=ssl.create_default_context(cafile=cert))
    default = KeepAliveRequest()  # the system's CAs: this certificate is not among them
    await trusting.initialize()
    await default.initialize()
    try:
        with pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED"):
            await default.post(url, data(0))
        assert [await trusting.post(url, data(n)) for n in (1, 2)] == [1, 2]
        assert scripted.connections == 1  # both on one connection (the refused one never got in)
    finally:
        await trusting.shutdown()
        await default.shutdown()
        server.close()


# -- through BotSender, against the Bot API stand-in, on both transports ----------------------
# PTB's error mapping is the same whichever request backend carries the sendMessage.

TRANSPORTS: dict[str, Callable[[int, float], BaseRequest]] = {
    "keepalive": lambda pool, timeout: KeepAliveRequest(
        connection_pool_size=pool, read_timeout=timeout
    ),
    "httpx": lambda pool, timeout: HTTPXRequest(connection_pool_size=pool, read_timeout=timeout),
}
BUTTONS = ((Button("Done", "c:done"), Button("Form", url="https://example.org/form")),)


@pytest.fixture(params=sorted(TRANSPORTS))
async def make_sender(
    request: pytest.FixtureRequest, standin: BotApiStandIn
) -> AsyncIterator[Callable[..., BotSender]]:
    app = Application.builder().token(TOKEN).base_url(standin.base_url).build()
    senders: list[BotSender] = []

    def make(read_timeout: float = 5.0) -> BotSender:
        transport = TRANSPORTS[request.param](4, read_timeout)
        senders.append(BotSender(app, paid_broadcast=True, request=transport))
        return senders[-1]

    yield make
    for bot_sender in senders:
        await bot_sender.close()


async def test_sender_delivers_text_and_buttons(standin: BotApiStandIn, make_sender) -> None:
    sender = make_sender()
    for chat_id in (11, 12, 13):
        await sender.send(chat_id, f"<b>Reminder</b> for {chat_id}", BUTTONS)
    await sender.send(14, "no buttons", ())
    calls = standin.calls_for("sendMessage")
    assert [c.chat_id for c in calls] == [11, 12, 13, 14]
    assert calls[0].plain == "Reminder for 11"
    assert calls[0].params["allow_paid_broadcast"] is True
    assert calls[0].buttons == [
        {"text": "Done", "callback_data": "c:done"},
        {"text": "Form", "url": "https://example.org/form"},
    ]
    assert "reply_markup" not in calls[3].params


@pytest.mark.parametrize(
    ("kind", "error"),
    [(429, RetryAfter), (403, Forbidden), (400, BadRequest), (502, NetworkError)],
)
async def test_sender_raises_what_ptb_raises(
    standin: BotApiStandIn,
    make_sender,
    kind: int,
    error: type[Exception],
) -> None:
    sender = make_sender()
    standin.fail_next("sendMessage", kind)
    with pytest.raises(error):
        await sender.send(21, "hello", ())
    await sender.send(21, "hello again", ())  # the connection pool is still fine
    assert [c.plain for c in standin.calls_for("sendMessage")] == ["hello again"]


async def test_sender_stall_is_a_timeout(standin: BotApiStandIn, make_sender) -> None:
    sender = make_sender(read_timeout=0.3)
    standin.fail_next("sendMessage", "stall", seconds=2.0)
    with pytest.raises(TimedOut):
        await sender.send(31, "hello", ())
    await sender.send(31, "hello again", ())
    assert [c.plain for c in standin.calls_for("sendMessage")] == ["hello again"]


# -- which transport: the keep-alive client only for paid broadcasts without a proxy -----------


@pytest.mark.parametrize(
    ("paid", "environ", "expected"),
    [
        (True, {}, KeepAliveRequest),
        (False, {}, HTTPXRequest),
        (True, {"HTTPS_PROXY": "http://proxy.internal:3128"}, HTTPXRequest),
        (True, {"all_proxy": "http://proxy.internal:3128"}, HTTPXRequest),
        (True, {"ALL_PROXY": "  "}, KeepAliveRequest),  # set but empty: no proxy
        (False, {"https_proxy": "http://proxy.internal:3128"}, HTTPXRequest),
    ],
)
def test_transport_choice(paid: bool, environ: dict[str, str], expected: type) -> None:
    request = reminder_request(paid_broadcast=paid, pool_size=4, environ=environ)
    assert type(request) is expected


@dataclass
class ForwardProxy:
    """An HTTP forward proxy on 127.0.0.1: one request per connection, each one counted."""

    targets: list[str] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head[:-4].split(b"\r\n")
            method, target, _ = request_line.split(b" ")
            headers = [
                h
                for h in header_lines
                if not h.lower().startswith((b"proxy-", b"connection:", b"keep-alive:"))
            ]
            length = next(
                (
                    int(h.split(b":", 1)[1])
                    for h in headers
                    if h.lower().startswith(b"content-length:")
                ),
                0,
            )
            body = await reader.readexactly(length)
            self.targets.append(target.decode())
            url = urlsplit(target.decode())
            path = url.path + (f"?{url.query}" if url.query else "")
            up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port)
            up_writer.write(
                b"%s %s HTTP/1.1\r\n%s\r\nConnection: close\r\n\r\n%s"
                % (method, path.encode(), b"\r\n".join(headers), body)
            )
            answer = await up_reader.read()  # the server closes after its answer
            up_writer.close()
            writer.write(answer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def test_reminders_go_through_a_configured_proxy(
    standin: BotApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = ForwardProxy()
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    proxy.port = server.sockets[0].getsockname()[1]
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{proxy.port}")
    app = Application.builder().token(TOKEN).base_url(standin.base_url).build()
    sender = BotSender(app, paid_broadcast=True, pool_size=4)  # paid, but behind a proxy
    try:
        assert isinstance(sender.request, HTTPXRequest)
        await sender.send(41, "through the proxy", BUTTONS)
        standin.fail_next("sendMessage", 403)
        with pytest.raises(Forbidden):  # PTB's errors come through the proxy unchanged
            await sender.send(42, "blocked", ())
    finally:
        await sender.close()
        server.close()
    assert proxy.targets == [f"{standin.api_url}/sendMessage"] * 2
    assert [c.plain for c in standin.calls_for("sendMessage")] == ["through the proxy"]
