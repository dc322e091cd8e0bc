"""The HTTP side of the stand-in: requests as PTB sends them, answers as the Bot API gives them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# Form values PTB sends as plain strings; everything else it JSON-encodes.
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "url",
        "secret_token",
        "parse_mode",
        "description",
        "short_description",
        "name",
        "language_code",
        "inline_message_id",
        "query",
        "ip_address",
        "title",
        "emoji",
    }
)


REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """An error the Bot API answers with: HTTP status = error_code."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class Blocked(ApiError):
    """403 for a chat whose user blocked the bot (see `BotApiStandIn.block`)."""

    def __init__(self) -> None:
        super().__init__(403, "Forbidden: bot was blocked by the user")


@dataclass
class _Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


def _json(status: int, payload: Any) -> tuple[int, bytes, str, list[str]]:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return status, body, "application/json", []


def _decode_value(key: str, value: str) -> Any:
    if key in STRING_PARAMS:
        return value
    if key == "chat_id":
        return int(value) if value.lstrip("-").isdigit() else value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _params(request: _Request) -> dict[str, Any]:
    """Query string + body (JSON, form-encoded or multipart), values decoded as PTB sends."""
    params: dict[str, Any] = {
        k: _decode_value(k, v) for k, v in parse_qsl(request.query, keep_blank_values=True)
    }
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = request.body
    if not body:
        return params
    if ctype == "application/json":
        data = json.loads(body)
        if isinstance(data, dict):
            params.update(data)
    elif ctype == "multipart/form-data":
        header = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(header + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            if part.get_filename():
                content = part.get_payload(decode=True) or b""
                params[name] = {
                    "filename": part.get_filename(),
                    "size": len(content),
                    "content": content,
                    "mime_type": part.get_content_type(),
                }
            else:
                params[name] = _decode_value(name, part.get_content())
    else:
        for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            params[k] = _decode_value(k, v)
    return params


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """One HTTP/1.1 request (Content-Length or chunked body); None when the peer closed."""
    line = await reader.readline()
    while line in (b"\r\n", b"\n"):
        line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").strip().split(" ")
    if len(parts) != 3:
        raise ValueError(f"bad request line {line!r}")
    method, target, _version = parts
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        body = b"".join(chunks)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    split = urlsplit(target)
    return _Request(method.upper(), split.path, split.query, headers, body)
