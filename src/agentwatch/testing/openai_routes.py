"""OpenAI-compatible endpoints: chat completions, embeddings, models, and the error shape."""

from __future__ import annotations

import array
import base64
import hashlib
import math
import struct
import time
from collections.abc import Iterator
from typing import Any

from starlette.responses import Response

from agentwatch.testing.controls import Controls
from agentwatch.testing.replies import (
    Reply,
    count_tokens,
    last_user_text,
    new_id,
    plan_reply,
    text_chars,
)
from agentwatch.testing.wire import (
    DONE,
    RequestError,
    event_stream,
    json_response,
    retry_headers,
    sse_data,
    usage_or_override,
)

__all__ = [
    "FINGERPRINT",
    "chat_completions",
    "embeddings",
    "openai_error",
    "openai_finish",
    "openai_headers",
    "openai_models",
]

FINGERPRINT = "fp_emulator0"
DEFAULT_DIMENSIONS = 8

_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request (emulated)."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided (emulated)."),
    403: ("invalid_request_error", None, "You are not allowed to sample from this model (emulated)."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist (emulated)."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests (emulated)."),
    500: ("server_error", None, "The server had an error while processing your request (emulated)."),
    503: ("server_error", None, "The server is overloaded or not ready yet (emulated)."),
}
_FROM_ANTHROPIC = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_STREAM_ERROR = {
    "message": "The server had an error while processing your request (emulated).",
    "type": "server_error",
    "param": None,
    "code": None,
}


def openai_headers() -> dict[str, str]:
    return {"x-request-id": new_id("req_", 16)}


def openai_error(status: int, message: str | None) -> Response:
    """OpenAI's error body: ``{"error": {"message", "type", "param", "code"}}``."""
    kind, code, default = _ERRORS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None, "Error (emulated).")
    )
    body = {"error": {"message": message or default, "type": kind, "param": None, "code": code}}
    return json_response(body, status, headers=openai_headers() | retry_headers(status))


def openai_finish(reason: str) -> str:
    """Map a finish reason (either provider's vocabulary) to OpenAI's."""
    return _FROM_ANTHROPIC.get(reason, reason)


def _chat_usage(reply: Reply) -> dict[str, Any]:
    return {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _optional_int(body: dict[str, Any], *names: str) -> int | None:
    for name in names:
        value = body.get(name)
        if value is not None:
            if not isinstance(value, int) or value < 1:
                raise RequestError(f"Invalid '{name}': expected an integer >= 1.")
            return value
    return None


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError("You must provide a model parameter.")
    return model


def chat_completions(body: dict[str, Any], controls: Controls) -> Response:
    """``POST /v1/chat/completions``."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("'messages' must be a non-empty array.")
    reply = plan_reply(
        controls=controls,
        prompt=last_user_text(messages),
        input_chars=text_chars(messages),
        model=_model(body),
        max_tokens=_optional_int(body, "max_completion_tokens", "max_tokens"),
    )
    head = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model,
    }
    call_ids = [new_id("call_") for _ in reply.tool_calls]
    usage = usage_or_override(controls, _chat_usage(reply))
    if body.get("stream"):
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        chunks = _chat_chunks(head, reply, call_ids, controls, usage if include_usage else None)
        return event_stream(chunks, controls.chunk_delay_ms, openai_headers())
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply.text if reply.text or not reply.tool_calls else None,
        "refusal": None,
        "annotations": [],
    }
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            for call_id, call in zip(call_ids, reply.tool_calls, strict=True)
        ]
    completion = {
        **head,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": openai_finish(reply.finish)}
        ],
        "service_tier": controls.service_tier or "default",
        "system_fingerprint": FINGERPRINT,
    }
    if usage is not None:
        completion["usage"] = usage
    return json_response(completion, headers=openai_headers())


def _chat_deltas(reply: Reply, call_ids: list[str]) -> Iterator[tuple[dict[str, Any], bool]]:
    """The choice deltas of a stream, each flagged whether it counts as a generated delta.

    As OpenAI does, a text reply opens with a role delta (``content: ""``); a
    tool-only reply carries the role in the first tool call's delta.
    """
    role_pending = bool(reply.tool_calls) and not reply.pieces
    if not role_pending:
        yield {"role": "assistant", "content": "", "refusal": None}, False
    for piece in reply.pieces:
        yield {"content": piece}, True
    for index, (call_id, call, pieces) in enumerate(
        zip(call_ids, reply.tool_calls, reply.tool_pieces, strict=True)
    ):
        head = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        if role_pending:
            yield {"role": "assistant", "content": None, "tool_calls": [head], "refusal": None}, False
            role_pending = False
        else:
            yield {"tool_calls": [head]}, False
        for piece in pieces:
            yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, True


def _chat_chunks(
    head: dict[str, Any],
    reply: Reply,
    call_ids: list[str],
    controls: Controls,
    usage: dict[str, Any] | None,
) -> Iterator[bytes]:
    """SSE ``chat.completion.chunk`` events, as OpenAI streams them."""
    base = head | {
        "object": "chat.completion.chunk",
        "service_tier": controls.service_tier or "default",
        "system_fingerprint": FINGERPRINT,
    }
    if usage is not None:
        base["usage"] = None

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return sse_data(
            base | {"choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        )

    error_after = controls.stream_error_after
    sent = 0
    for delta, counts in _chat_deltas(reply, call_ids):
        if counts and sent == error_after:
            yield sse_data({"error": _STREAM_ERROR})
            return
        yield chunk(delta)
        sent += counts
    if error_after is not None:
        yield sse_data({"error": _STREAM_ERROR})
        return
    yield chunk({}, openai_finish(reply.finish))
    if usage is not None:
        yield sse_data(base | {"choices": [], "usage": usage})
    yield DONE


def _vector(key: str, dimensions: int) -> list[float]:
    """A deterministic unit vector for ``key``, rounded to float32."""
    state = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1
    values = []
    for _ in range(dimensions):
        state ^= (state << 13) & 0xFFFFFFFFFFFFFFFF
        state ^= state >> 7
        state ^= (state << 17) & 0xFFFFFFFFFFFFFFFF
        values.append(state / 0x7FFFFFFFFFFFFFFF - 1.0)
    norm = math.sqrt(sum(value * value for value in values)) or 1.0
    return array.array("f", [value / norm for value in values]).tolist()


def _embedding_inputs(raw: object) -> list[str | list[int]]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw:
        if all(isinstance(item, int) for item in raw):
            return [raw]
        if all(isinstance(item, str) for item in raw) or all(
            isinstance(item, list) and all(isinstance(token, int) for token in item) for item in raw
        ):
            return raw
    raise RequestError("'input' must be a string, an array of strings, or an array of token arrays.")


def embeddings(body: dict[str, Any], controls: Controls) -> Response:
    """``POST /v1/embeddings``: deterministic unit vectors, ``float`` or ``base64`` encoded."""
    inputs = _embedding_inputs(body.get("input"))
    model = _model(body)
    dimensions = _optional_int(body, "dimensions") or DEFAULT_DIMENSIONS
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise RequestError("'encoding_format' must be 'float' or 'base64'.")
    data = []
    tokens = 0
    for index, item in enumerate(inputs):
        key = item if isinstance(item, str) else ",".join(map(str, item))
        tokens += count_tokens(len(item)) if isinstance(item, str) else len(item)
        vector: list[float] | str = _vector(key, dimensions)
        if encoding == "base64":
            vector = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": vector})
    result: dict[str, Any] = {"object": "list", "data": data, "model": controls.model or model}
    usage = usage_or_override(controls, {"prompt_tokens": tokens, "total_tokens": tokens})
    if usage is not None:
        result["usage"] = usage
    return json_response(result, headers=openai_headers())


def openai_models() -> dict[str, Any]:
    """The ``GET /v1/models`` list in OpenAI's shape."""
    names = ("gpt-4o-mini", "gpt-4o", "gpt-4.1", "text-embedding-3-small")
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": 1700000000, "owned_by": "system"} for name in names
        ],
    }
