"""HTTP plumbing shared by the provider routes: JSON and SSE encoding, pacing, and
the request flow every provider endpoint follows (count, controls, body, latency,
forced error, build)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from agentwatch.testing.controls import ControlError, Controls, parse_controls

__all__ = [
    "DONE",
    "Builder",
    "ErrorResponder",
    "RequestError",
    "count_request",
    "dumps",
    "event_stream",
    "json_response",
    "provider_endpoint",
    "retry_headers",
    "sse_data",
    "sse_event",
    "usage_or_override",
]

DONE = b"data: [DONE]\n\n"
_CLIENT_GONE = 499

ErrorResponder = Callable[[int, str | None], Response]
Builder = Callable[[dict[str, Any], Controls], Response]


class RequestError(ValueError):
    """The request body is not something the provider would accept (answered with 400)."""


def retry_headers(status: int) -> dict[str, str]:
    """Headers that make SDK retries of a retryable error immediate.

    ``retry-after: 0`` alone would not: the SDKs only honour a positive delay
    and otherwise back off exponentially, so ``retry-after-ms: 1`` is sent too.
    """
    return {"retry-after": "0", "retry-after-ms": "1"} if status in (429, 503, 529) else {}


def usage_or_override(controls: Controls, computed: dict[str, Any]) -> dict[str, Any] | None:
    """The usage to report: none (omit-usage), the override header's object, or ``computed``."""
    if controls.omit_usage:
        return None
    return controls.usage if controls.usage is not None else computed


def dumps(obj: object) -> bytes:
    """Compact UTF-8 JSON, as the providers send it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(obj: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(obj), status_code=status, headers=headers, media_type="application/json")


def sse_data(obj: object) -> bytes:
    """An SSE event with only a ``data:`` line (OpenAI chat completions)."""
    return b"data: " + dumps(obj) + b"\n\n"


def sse_event(name: str, obj: object) -> bytes:
    """An SSE event with ``event:`` and ``data:`` lines (Responses API, Anthropic)."""
    return b"event: " + name.encode() + b"\ndata: " + dumps(obj) + b"\n\n"


def event_stream(events: Iterable[bytes], delay_ms: float, headers: Mapping[str, str]) -> StreamingResponse:
    """A ``text/event-stream`` response; events are paced ``delay_ms`` apart, or sent at once."""
    return StreamingResponse(_paced(events, delay_ms / 1000), headers=headers, media_type="text/event-stream")


async def _paced(events: Iterable[bytes], delay: float) -> AsyncIterator[bytes]:
    if delay <= 0:
        yield b"".join(events)
        return
    for index, event in enumerate(events):
        if index:
            await asyncio.sleep(delay)
        yield event


async def _pause(request: Request, seconds: float) -> bool:
    """Sleep ``seconds``; return False early if the client disconnects meanwhile.

    Must be called after the body has been read: the only message left to
    receive is then ``http.disconnect``.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    waiter = asyncio.ensure_future(request.receive())
    try:
        done, _ = await asyncio.wait((waiter,), timeout=seconds)
    finally:
        waiter.cancel()
    if done and waiter.result()["type"] == "http.disconnect":
        return False
    await asyncio.sleep(max(0.0, deadline - loop.time()))
    return True


def count_request(request: Request) -> None:
    """Count the request by path in ``app.state.requests``."""
    counts: Counter[str] = request.app.state.requests
    counts[request.scope["path"]] += 1


def provider_endpoint(error: ErrorResponder, build: Builder) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``build`` into a Starlette endpoint applying the controls common to all calls."""

    async def endpoint(request: Request) -> Response:
        count_request(request)
        try:
            controls = parse_controls(request.scope["headers"])
        except ControlError as exc:
            return error(400, str(exc))
        raw = await request.body()
        if controls.latency_ms > 0 and not await _pause(request, controls.latency_ms / 1000):
            return Response(status_code=_CLIENT_GONE)
        if controls.status is not None:
            return error(controls.status, None)
        try:
            body = json.loads(raw)
        except ValueError:
            return error(400, "We could not parse the JSON body of your request.")
        if not isinstance(body, dict):
            return error(400, "The request body must be a JSON object.")
        try:
            return build(body, controls)
        except RequestError as exc:
            return error(400, str(exc))

    return endpoint
