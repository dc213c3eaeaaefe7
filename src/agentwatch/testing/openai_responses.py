"""OpenAI Responses API: ``POST /v1/responses``, plain and streamed."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

from starlette.responses import Response

from agentwatch.testing.controls import Controls
from agentwatch.testing.openai_routes import openai_finish, openai_headers
from agentwatch.testing.replies import Reply, last_user_text, new_id, plan_reply, text_chars, text_of
from agentwatch.testing.wire import RequestError, event_stream, json_response, sse_event, usage_or_override

__all__ = ["responses"]

_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}
_STREAM_ERROR = {
    "type": "server_error",
    "code": "server_error",
    "message": "The server had an error while processing your request (emulated).",
    "param": None,
}


def _usage(reply: Reply) -> dict[str, Any]:
    return {
        "input_tokens": reply.input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": reply.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


def _plan(body: dict[str, Any], controls: Controls) -> Reply:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError("You must provide a model parameter.")
    items = body.get("input")
    if not isinstance(items, str | list):
        raise RequestError("'input' must be a string or an array of input items.")
    max_tokens = body.get("max_output_tokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise RequestError("Invalid 'max_output_tokens': expected an integer >= 1.")
    return plan_reply(
        controls=controls,
        prompt=last_user_text(items),
        input_chars=text_chars(items) + len(text_of(body.get("instructions"))),
        model=model,
        max_tokens=max_tokens,
    )


def _outputs(reply: Reply, status: str) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
    """The final output items, each with the deltas it streams as."""
    outputs: list[tuple[dict[str, Any], tuple[str, ...]]] = []
    if reply.text or not reply.tool_calls:
        part = {"type": "output_text", "annotations": [], "logprobs": [], "text": reply.text}
        message = {
            "id": new_id("msg_"),
            "type": "message",
            "status": status,
            "content": [part],
            "role": "assistant",
        }
        outputs.append((message, reply.pieces))
    for call, pieces in zip(reply.tool_calls, reply.tool_pieces, strict=True):
        item = {
            "id": new_id("fc_"),
            "type": "function_call",
            "status": "completed",
            "arguments": call.arguments,
            "call_id": new_id("call_"),
            "name": call.name,
        }
        outputs.append((item, pieces))
    return outputs


def responses(body: dict[str, Any], controls: Controls) -> Response:
    """``POST /v1/responses``."""
    reply = _plan(body, controls)
    reason = _INCOMPLETE.get(openai_finish(reply.finish))
    status = "completed" if reason is None else "incomplete"
    outputs = _outputs(reply, status)
    now = int(time.time())
    final = {
        "id": new_id("resp_", 24),
        "object": "response",
        "created_at": now,
        "status": status,
        "background": False,
        "completed_at": now if reason is None else None,
        "error": None,
        "incomplete_details": None if reason is None else {"reason": reason},
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": reply.model,
        "output": [item for item, _ in outputs],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": controls.service_tier or "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage_or_override(controls, _usage(reply)),
        "user": None,
        "metadata": body.get("metadata") or {},
    }
    if body.get("stream"):
        return event_stream(_events(final, outputs, controls), controls.chunk_delay_ms, openai_headers())
    return json_response(final, headers=openai_headers())


def _events(
    final: dict[str, Any], outputs: list[tuple[dict[str, Any], tuple[str, ...]]], controls: Controls
) -> Iterator[bytes]:
    """The Responses API event stream, with ``sequence_number`` on every event."""
    sequence = itertools.count()

    def event(kind: str, **payload: Any) -> bytes:
        return sse_event(kind, {"type": kind, "sequence_number": next(sequence), **payload})

    pending = final | {
        "status": "in_progress",
        "completed_at": None,
        "incomplete_details": None,
        "output": [],
        "usage": None,
    }
    yield event("response.created", response=pending)
    yield event("response.in_progress", response=pending)
    error_after = controls.stream_error_after
    sent = 0
    for index, (item, pieces) in enumerate(outputs):
        ids = {"item_id": item["id"], "output_index": index}
        if item["type"] == "message":
            part = item["content"][0]
            empty = part | {"text": ""}
            yield event(
                "response.output_item.added",
                output_index=index,
                item=item | {"status": "in_progress", "content": []},
            )
            yield event("response.content_part.added", **ids, content_index=0, part=empty)
            for piece in pieces:
                if sent == error_after:
                    yield event("error", error=_STREAM_ERROR)
                    return
                yield event("response.output_text.delta", **ids, content_index=0, delta=piece, logprobs=[])
                sent += 1
            yield event("response.output_text.done", **ids, content_index=0, text=part["text"], logprobs=[])
            yield event("response.content_part.done", **ids, content_index=0, part=part)
        else:
            yield event(
                "response.output_item.added",
                output_index=index,
                item=item | {"status": "in_progress", "arguments": ""},
            )
            for piece in pieces:
                if sent == error_after:
                    yield event("error", error=_STREAM_ERROR)
                    return
                yield event("response.function_call_arguments.delta", **ids, delta=piece)
                sent += 1
            yield event("response.function_call_arguments.done", **ids, arguments=item["arguments"])
        yield event("response.output_item.done", output_index=index, item=item)
    if error_after is not None:
        yield event("error", error=_STREAM_ERROR)
        return
    yield event(
        "response.completed" if final["status"] == "completed" else "response.incomplete", response=final
    )
