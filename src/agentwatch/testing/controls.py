"""Per-request behaviour controls, read from ``x-emulator-*`` HTTP request headers.

The SDKs pass them with ``extra_headers={...}``. Every header is optional; an
invalid value is answered with HTTP 400 in the provider's error shape, naming
the header, so a typo never silently falls back to the default behaviour.

``x-emulator-status: N``
    Answer with HTTP status ``N`` (400-599) and the provider's error JSON
    (OpenAI ``{"error": {"message", "type", "param", "code"}}``; Anthropic
    ``{"type": "error", "error": {"type", "message"}, "request_id"}``).
    429, 503 and 529 also carry ``retry-after: 0`` and ``retry-after-ms: 1`` so
    that SDK retries are immediate (tests usually pass ``max_retries=0``).
``x-emulator-latency-ms: N``
    Sleep ``N`` ms before answering (streams: before the first byte). The
    sleep ends early if the client disconnects.
``x-emulator-chunk-delay-ms: N``
    Sleep ``N`` ms between stream events. With 0 (the default) the events of a
    stream are written in a single body chunk, which keeps the server's share of
    a benchmark small; the SDKs parse them exactly the same way.
``x-emulator-usage: <json>``
    Use this usage object verbatim (provider-native shape) instead of the
    computed one, in non-stream and stream responses. In Anthropic streams it is
    split: everything but ``output_tokens`` goes into ``message_start`` (with
    ``output_tokens: 1``), ``output_tokens`` into ``message_delta``.
``x-emulator-omit-usage: 1``
    No usage anywhere (streams: no usage chunk even if ``include_usage`` is
    set). Note that Anthropic's ``messages.stream()`` helper needs usage in its
    events; use ``stream=True`` to consume such a stream.
``x-emulator-tool-calls: <json>``
    A list of ``{"name": str, "arguments": object}``: the reply calls these
    tools (finish_reason ``tool_calls`` / stop_reason ``tool_use`` /
    ``function_call`` output items), streamed incrementally when streaming.
``x-emulator-content: <text>``
    Reply exactly this text (streams: split into deltas on word boundaries).
``x-emulator-chunks: N``
    Number of content deltas in streams (default 16). The default reply has
    ``max(16, N)`` words, so its text does not depend on ``N`` up to 16; words
    are grouped evenly into ``N`` deltas (explicit content: at most ``N``, one
    word at least per delta); tool-call arguments are split into at most ``N``
    pieces.
``x-emulator-model: name``
    Model name to return (e.g. ``gpt-4o-mini-2024-07-18``) instead of echoing
    the request's ``model``.
``x-emulator-stream-error-after: N``
    In streams, after ``N`` deltas send the provider's in-stream error event
    (Anthropic ``event: error``; OpenAI a data chunk ``{"error": {...}}``) and
    end the stream.
``x-emulator-service-tier: tier``
    The service tier the response reports (e.g. ``priority``, ``flex``, ``batch``): OpenAI's
    top-level ``service_tier`` (every chunk of a stream too; default ``default``), Anthropic's
    ``usage.service_tier`` (default ``standard``, also set on an ``x-emulator-usage`` object).
``x-emulator-finish-reason: reason``
    Force the finish reason. OpenAI and Anthropic names are both accepted and
    mapped (``stop``/``end_turn``, ``length``/``max_tokens``,
    ``tool_calls``/``tool_use``, ``content_filter``/``refusal``); in the
    Responses API ``length`` and ``content_filter`` give an ``incomplete``
    response.

The text-valued headers (content, tool-calls, usage) may be prefixed with
``b64:`` to carry base64-encoded UTF-8.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_CHUNKS", "ControlError", "Controls", "ToolCall", "parse_controls"]

DEFAULT_CHUNKS = 16
_PREFIX = b"x-emulator-"


class ControlError(ValueError):
    """An ``x-emulator-*`` header has a value that cannot be used."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the emulated model makes: ``arguments`` is JSON text of ``input``."""

    name: str
    arguments: str
    input: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Controls:
    """The behaviour requested for one call; the defaults mean "behave normally"."""

    status: int | None = None
    latency_ms: float = 0.0
    chunk_delay_ms: float = 0.0
    usage: dict[str, Any] | None = None
    omit_usage: bool = False
    tool_calls: tuple[ToolCall, ...] = ()
    content: str | None = None
    chunks: int = DEFAULT_CHUNKS
    model: str | None = None
    stream_error_after: int | None = None
    finish_reason: str | None = None
    service_tier: str | None = None


DEFAULTS = Controls()


def parse_controls(raw_headers: Iterable[tuple[bytes, bytes]]) -> Controls:
    """Build :class:`Controls` from ASGI raw headers (lower-case names)."""
    found = {
        name[len(_PREFIX) :].decode("latin-1"): value
        for name, value in raw_headers
        if name.startswith(_PREFIX)
    }
    if not found:
        return DEFAULTS
    values: dict[str, Any] = {}
    for name, raw in found.items():
        if name not in _PARSERS:
            raise ControlError(f"unknown control header x-emulator-{name}")
        field, parse = _PARSERS[name]
        try:
            values[field] = parse(_decode(raw))
        except (ValueError, TypeError) as exc:
            raise ControlError(f"invalid x-emulator-{name} header: {exc}") from exc
    return Controls(**values)


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if text.startswith("b64:"):
        try:
            return base64.b64decode(text[4:], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ControlError(f"bad b64: value ({exc})") from exc
    return text


def _status(text: str) -> int:
    status = int(text)
    if not 400 <= status <= 599:
        raise ValueError("status must be within 400-599")
    return status


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also rejects NaN
        raise ValueError("must be >= 0")
    return value


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise ValueError(f"must be >= {minimum}")
        return value

    return parse


def _flag(text: str) -> bool:
    return text.strip().lower() not in ("", "0", "false", "no")


def _usage(text: str) -> dict[str, Any]:
    usage = json.loads(text)
    if not isinstance(usage, dict):
        raise ValueError("usage must be a JSON object")
    return usage


def _tool_calls(text: str) -> tuple[ToolCall, ...]:
    specs = json.loads(text)
    if not isinstance(specs, list) or not specs:
        raise ValueError("expected a non-empty JSON list of {name, arguments}")
    calls = []
    for spec in specs:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise ValueError("each tool call needs a string 'name'")
        arguments = spec.get("arguments", {})
        if isinstance(arguments, str):
            arguments = json.loads(arguments)
        if not isinstance(arguments, dict):
            raise ValueError("'arguments' must be a JSON object")
        calls.append(ToolCall(spec["name"], json.dumps(arguments, ensure_ascii=False), arguments))
    return tuple(calls)


def _text(text: str) -> str:
    return text


_PARSERS: dict[str, tuple[str, Callable[[str], object]]] = {
    "status": ("status", _status),
    "latency-ms": ("latency_ms", _non_negative),
    "chunk-delay-ms": ("chunk_delay_ms", _non_negative),
    "usage": ("usage", _usage),
    "omit-usage": ("omit_usage", _flag),
    "tool-calls": ("tool_calls", _tool_calls),
    "content": ("content", _text),
    "chunks": ("chunks", _count(1)),
    "model": ("model", _text),
    "stream-error-after": ("stream_error_after", _count(0)),
    "finish-reason": ("finish_reason", _text),
    "service-tier": ("service_tier", _text),
}
