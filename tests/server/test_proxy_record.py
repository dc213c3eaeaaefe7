"""Reading proxied replies as they pass: SSE split anywhere, CRLF, errors, traceparent."""

from __future__ import annotations

import json

import pytest

from agentwatch.capture.record import ClientDefaults
from agentwatch.pipeline import Normalizer
from agentwatch.server.proxy_record import CallRecorder, parse_traceparent

DEFAULTS = ClientDefaults(provider="anthropic")
EVENTS = [
    {
        "type": "message_start",
        "message": {"id": "m1", "model": "claude-x", "usage": {"input_tokens": 12, "output_tokens": 1}},
    },
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi "}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "there"}},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 7}},
]


def sse(newline: bytes) -> bytes:
    return b"".join(
        b"event: " + e["type"].encode() + newline + b"data: " + json.dumps(e).encode() + newline + newline
        for e in EVENTS
    )


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
@pytest.mark.parametrize("size", [1, 7, 64, 100_000])
def test_a_stream_split_anywhere_reads_the_same(newline: bytes, size: int) -> None:
    recorder = CallRecorder("messages", {"model": "claude-x", "stream": True}, DEFAULTS, None)
    recorder.started(200, "text/event-stream; charset=utf-8")
    body = sse(newline)
    for i in range(0, len(body), size):
        recorder.feed(body[i : i + size])
    event = Normalizer()(recorder.finish(completed=True))
    assert (event.usage.input_tokens, event.usage.output_tokens) == (12, 7)
    assert (event.response_model, event.finish_reasons, event.output_text) == (
        "claude-x",
        ["end_turn"],
        "Hi there",
    )
    assert event.stream and event.status.value == "ok"


def test_an_error_event_in_a_stream_fails_the_call() -> None:
    recorder = CallRecorder("messages", {"model": "claude-x"}, DEFAULTS, None)
    recorder.started(200, "text/event-stream")
    recorder.feed(
        b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    )
    event = Normalizer()(recorder.finish(completed=True))
    assert event.error is not None and (event.error.type, event.error.message) == ("APIError", "Overloaded")


def test_an_error_reply_is_recorded_with_the_sdk_exception_name() -> None:
    recorder = CallRecorder("chat.completions", {"model": "gpt-4o"}, ClientDefaults(provider="openai"), None)
    recorder.started(429, "application/json")
    recorder.feed(b'{"error": {"message": "Slow down", "type": "rate_limit"}}')
    event = Normalizer()(recorder.finish(completed=True))
    assert event.error is not None
    assert (event.error.type, event.error.http_status, event.error.message) == (
        "RateLimitError",
        429,
        "Slow down",
    )


def test_a_reply_that_is_not_json_is_recorded_without_a_response() -> None:
    recorder = CallRecorder("chat.completions", None, ClientDefaults(provider="openai"), None)
    recorder.started(200, "application/json")
    recorder.feed(b"<html>")
    event = Normalizer()(recorder.finish(completed=True))
    assert event.request_model is None and event.usage.input_tokens is None


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", True),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", False),
        ("00-zzf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", False),
        ("", False),
        (None, False),
    ],
)
def test_traceparent(header: str | None, ok: bool) -> None:
    parsed = parse_traceparent(header)
    assert (parsed is not None) is ok
    if parsed is not None:
        assert (parsed.trace_id, parsed.span_id) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
