"""Request bodies: a size limit and gzip, before any route sees them.

A pure ASGI middleware first refuses (401) a POST/PUT/PATCH that carries no live API key, so an
unknown caller cannot make the server buffer a body; then it reads the whole body (refusing with
413 as soon as it passes ``max_bytes``), decompresses ``Content-Encoding: gzip`` (again with the limit, so a small
gzip bomb is a 413 too; a corrupt or truncated stream is a 400), and replays the result to the app.
The provider proxy's bodies have their own (larger) limit and are passed on as they came.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentwatch.server import otlp_status

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def gunzip(data: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
        if len(out) > max_bytes or inflater.unconsumed_tail:
            raise BodyError(413, f"the decompressed body is larger than {max_bytes} bytes")
        if not inflater.eof:
            raise BodyError(400, "the gzip stream is truncated")
    except zlib.error as exc:
        raise BodyError(400, f"the body is not valid gzip: {exc}") from None
    return out


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        passthrough_prefix: str,
        passthrough_max_bytes: int,
        admits: Callable[[dict[bytes, bytes], bool], bool] | None = None,
    ) -> None:
        self.app = app
        self.admits = admits  # given: a request without a live key is refused before its body is read
        self.max_bytes = max_bytes
        self.passthrough_prefix = passthrough_prefix
        self.passthrough_max_bytes = passthrough_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        if self.admits is not None and not self.admits(
            dict(scope["headers"]), scope["path"].startswith(self.passthrough_prefix)
        ):
            await _reply(scope, send, 401, "an unknown, revoked or missing API key", bearer=True)
            return
        try:
            body = await self._read(scope, receive)
        except BodyError as exc:
            await _reply(scope, send, exc.status, exc.message)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # what comes after the body: a disconnect
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        headers = dict(scope["headers"])
        passthrough = scope["path"].startswith(self.passthrough_prefix)
        limit = self.passthrough_max_bytes if passthrough else self.max_bytes
        length = headers.get(b"content-length", b"").decode("latin-1")
        if length.isdigit() and int(length) > limit:
            raise BodyError(413, f"the body is larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BodyError(400, "the client went away while sending the body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyError(413, f"the body is larger than {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if passthrough:
            return body
        encoding = headers.get(b"content-encoding", b"identity").decode("latin-1").strip().lower()
        if encoding == "gzip":
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-encoding"]
            return gunzip(body, self.max_bytes)
        if encoding not in ("", "identity"):
            raise BodyError(415, f"unsupported Content-Encoding {encoding!r} (gzip or identity)")
        return body


async def _reply(scope: Scope, send: Send, status: int, message: str, *, bearer: bool = False) -> None:
    """The error as the API's ``{"detail": ...}``, or as an OTLP ``Status`` to an OTLP exporter."""
    if scope["path"] == otlp_status.PATH:
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        encoding = otlp_status.encoding_of(content_type)
        payload = otlp_status.status_body(encoding, status, message)
    else:
        encoding, payload = "application/json", json.dumps({"detail": message}).encode()
    headers = [(b"content-type", encoding.encode()), (b"content-length", str(len(payload)).encode())]
    if bearer:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
