"""Recording a proxied call the way the SDK capture does: a :class:`RawCall` for the pipeline.

The request body is the JSON the app sent; the response is read as it streams through. A JSON
reply is kept (up to a limit) and parsed at the end; a server-sent-event stream goes through the
same accumulators as the SDK wrappers' streams (:mod:`agentwatch.capture.streams`), event by event,
so no chunk is kept. Headers are never recorded: the caller's API key stays out of the store.
"""

from __future__ import annotations

import json
import time
from typing import Any

from agentwatch.capture.record import ClientDefaults, RawCall
from agentwatch.capture.streams import STREAM_STATES, ChatStream
from agentwatch.context import TraceContext
from agentwatch.payload import field

#: Largest JSON reply kept for recording (embeddings replies are the big ones).
MAX_RECORDED_BODY = 64 * 1024 * 1024

#: The names the SDKs give their exceptions for each HTTP status, so proxied and SDK-captured
#: failures read alike.
ERROR_TYPES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}


def error_type(status: int) -> str:
    return ERROR_TYPES.get(status, "InternalServerError" if status >= 500 else "APIStatusError")


def _error_message(payload: Any) -> str:
    error = field(payload, "error")
    message = field(error, "message") if isinstance(error, dict) else error
    return str(message or "")[:1000]


def parse_traceparent(header: str | None) -> TraceContext | None:
    """A W3C ``traceparent`` (``00-<trace id>-<span id>-<flags>``): the call joins that trace."""
    if not header:
        return None
    parts = header.strip().split("-")
    if len(parts) < 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        int(parts[1], 16), int(parts[2], 16)
    except ValueError:
        return None
    return TraceContext(trace_id=parts[1].lower(), span_id=parts[2].lower())


class CallRecorder:
    """Follows one proxied call from request to last byte; :meth:`finish` returns its record."""

    def __init__(self, api: str, body: Any, defaults: ClientDefaults, trace: TraceContext | None) -> None:
        self.raw = RawCall(
            api=api,
            body=body if isinstance(body, dict) else {},
            client=defaults,
            trace=trace,
            start_wall_ns=time.time_ns(),
            start_ns=time.perf_counter_ns(),
            stream=isinstance(body, dict) and body.get("stream") is True,
        )
        self._status = 0
        self._sse = False
        self._chunks: list[bytes] = []
        self._size = 0
        self._pending = b""
        self._data: list[bytes] = []

    def started(self, status: int, content_type: str) -> None:
        """The upstream's status line and headers arrived."""
        self._status = status
        self._sse = status < 400 and content_type.startswith("text/event-stream")
        if self._sse:
            self.raw.stream = True
            self.raw.stream_state = STREAM_STATES.get(self.raw.api, ChatStream)()
            self.raw.completed = False

    def feed(self, chunk: bytes) -> None:
        if self.raw.first_chunk_ns is None:
            self.raw.first_chunk_ns = time.perf_counter_ns()
        if self._sse:
            self._feed_sse(chunk)
        elif self._size + len(chunk) <= MAX_RECORDED_BODY:
            self._chunks.append(chunk)
            self._size += len(chunk)
        else:
            self._chunks = []
            self._size = MAX_RECORDED_BODY + 1  # too big to keep: recorded without a response

    def _feed_sse(self, chunk: bytes) -> None:
        lines = (self._pending + chunk).split(b"\n")
        self._pending = lines.pop()
        for raw_line in lines:
            line = raw_line.removesuffix(b"\r")
            if not line:
                self._dispatch()
            elif line.startswith(b"data:"):
                self._data.append(line[5:].removeprefix(b" "))

    def _dispatch(self) -> None:
        data, self._data = b"\n".join(self._data), []
        if not data or data == b"[DONE]":
            return
        try:
            event = json.loads(data)
        except (ValueError, RecursionError):
            return
        if not isinstance(event, dict):
            return
        if event.get("type") == "error" or ("error" in event and "choices" not in event):
            self.raw.error_type = "APIError"
            self.raw.error_message = _error_message(event)
            return
        self.raw.stream_state.add(event)

    def failed(self, exc_type: str, message: str) -> RawCall:
        """The upstream could not be reached or timed out."""
        self.raw.end_ns = time.perf_counter_ns()
        self.raw.error_type = exc_type
        self.raw.error_message = message[:1000]
        return self.raw

    def finish(self, completed: bool) -> RawCall:
        """The reply ended (``completed``) or the client went away first."""
        raw = self.raw
        raw.end_ns = time.perf_counter_ns()
        if self._sse:
            if self._pending or self._data:
                self._feed_sse(b"\n\n")
            raw.completed = completed
            return raw
        payload: Any = None
        if self._chunks:
            try:
                payload = json.loads(b"".join(self._chunks))
            except (ValueError, RecursionError):
                payload = None
        if self._status >= 400:
            raw.error_type = error_type(self._status)
            raw.error_status = self._status
            raw.error_message = _error_message(payload)
        elif isinstance(payload, dict):
            raw.response = payload
        raw.completed = completed
        return raw
