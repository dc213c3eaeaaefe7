"""Anthropic-compatible endpoints: ``POST /v1/messages`` (plain and streamed) and the error shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.responses import Response

from agentwatch.testing.controls import Controls
from agentwatch.testing.replies import Reply, last_user_text, new_id, plan_reply, text_chars, text_of
from agentwatch.testing.wire import (
    RequestError,
    event_stream,
    json_response,
    retry_headers,
    sse_event,
    usage_or_override,
)

__all__ = ["anthropic_error", "anthropic_models", "messages"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_ERROR_MESSAGES = {
    "authentication_error": "invalid x-api-key (emulated)",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit (emulated)",
    "overloaded_error": "Overloaded (emulated)",
    "api_error": "Internal server error (emulated)",
}
_STREAM_ERROR = {"type": "overloaded_error", "message": "Overloaded (emulated)"}
_FROM_OPENAI = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}


def anthropic_error(status: int, message: str | None) -> Response:
    """Anthropic's error body: ``{"type": "error", "error": {"type", "message"}, "request_id"}``."""
    kind = _ERROR_TYPES.get(status) or ("api_error" if status >= 500 else "invalid_request_error")
    request_id = new_id("req_", 12)
    body = {
        "type": "error",
        "error": {"type": kind, "message": message or _ERROR_MESSAGES.get(kind, f"{kind} (emulated)")},
        "request_id": request_id,
    }
    return json_response(body, status, headers={"request-id": request_id} | retry_headers(status))


def _usage(reply: Reply) -> dict[str, Any]:
    return {
        "input_tokens": reply.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": reply.output_tokens,
        "service_tier": "standard",
    }


def _plan(body: dict[str, Any], controls: Controls) -> Reply:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError("model: Field required")
    history = body.get("messages")
    if not isinstance(history, list) or not history:
        raise RequestError("messages: at least one message is required")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or max_tokens < 1:
        raise RequestError("max_tokens: Field required (an integer >= 1)")
    return plan_reply(
        controls=controls,
        prompt=last_user_text(history),
        input_chars=text_chars(history) + len(text_of(body.get("system"))),
        model=model,
        max_tokens=max_tokens,
    )


def messages(body: dict[str, Any], controls: Controls) -> Response:
    """``POST /v1/messages``."""
    reply = _plan(body, controls)
    stop_reason = _FROM_OPENAI.get(reply.finish, reply.finish)
    stop_sequences = body.get("stop_sequences")
    stop_sequence = (
        stop_sequences[0]
        if stop_reason == "stop_sequence" and isinstance(stop_sequences, list) and stop_sequences
        else None
    )
    blocks: list[tuple[dict[str, Any], tuple[str, ...]]] = []
    if reply.text or not reply.tool_calls:
        blocks.append(({"type": "text", "text": reply.text}, reply.pieces))
    for call, pieces in zip(reply.tool_calls, reply.tool_pieces, strict=True):
        blocks.append(
            (
                {"type": "tool_use", "id": new_id("toolu_01", 11), "name": call.name, "input": call.input},
                pieces,
            )
        )
    message = {
        "id": new_id("msg_01", 12),
        "type": "message",
        "role": "assistant",
        "model": reply.model,
        "content": [block for block, _ in blocks],
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
    }
    usage = usage_or_override(controls, _usage(reply))
    if usage is not None and controls.service_tier is not None:
        usage = usage | {"service_tier": controls.service_tier}
    headers = {"request-id": new_id("req_01", 12)}
    if body.get("stream"):
        return event_stream(_events(message, blocks, usage, controls), controls.chunk_delay_ms, headers)
    if usage is not None:
        message["usage"] = usage
    return json_response(message, headers=headers)


def _events(
    message: dict[str, Any],
    blocks: list[tuple[dict[str, Any], tuple[str, ...]]],
    usage: dict[str, Any] | None,
    controls: Controls,
) -> Iterator[bytes]:
    """Anthropic's SSE event sequence; usage is split between message_start and message_delta."""
    start = message | {"content": [], "stop_reason": None, "stop_sequence": None}
    final: dict[str, Any] = {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]},
    }
    if usage is not None:
        start["usage"] = {key: value for key, value in usage.items() if key != "output_tokens"} | {
            "output_tokens": 1
        }
        final["usage"] = {"output_tokens": usage["output_tokens"]} if "output_tokens" in usage else {}
    yield sse_event("message_start", {"type": "message_start", "message": start})
    error_after = controls.stream_error_after
    sent = 0
    for index, (block, pieces) in enumerate(blocks):
        is_text = block["type"] == "text"
        opening = {"type": "text", "text": ""} if is_text else block | {"input": {}}
        yield sse_event(
            "content_block_start", {"type": "content_block_start", "index": index, "content_block": opening}
        )
        if index == 0:
            yield sse_event("ping", {"type": "ping"})
        if not is_text:
            yield _block_delta(index, {"type": "input_json_delta", "partial_json": ""})
        for piece in pieces:
            if sent == error_after:
                yield sse_event("error", {"type": "error", "error": _STREAM_ERROR})
                return
            delta = (
                {"type": "text_delta", "text": piece}
                if is_text
                else {"type": "input_json_delta", "partial_json": piece}
            )
            yield _block_delta(index, delta)
            sent += 1
        yield sse_event("content_block_stop", {"type": "content_block_stop", "index": index})
    if error_after is not None:
        yield sse_event("error", {"type": "error", "error": _STREAM_ERROR})
        return
    yield sse_event("message_delta", final)
    yield sse_event("message_stop", {"type": "message_stop"})


def _block_delta(index: int, delta: dict[str, Any]) -> bytes:
    return sse_event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})


def anthropic_models() -> dict[str, Any]:
    """The ``GET /v1/models`` list in Anthropic's shape."""
    names = ("claude-sonnet-5", "claude-opus-5", "claude-haiku-5-5")
    data = [
        {"type": "model", "id": name, "display_name": name, "created_at": "2025-01-01T00:00:00Z"}
        for name in names
    ]
    return {"data": data, "has_more": False, "first_id": names[0], "last_id": names[-1]}
