"""Normalise: turn a :class:`RawCall` into an :class:`LLMCall`.

The parsers read provider payloads by shape, not by SDK type: each field is fetched with
:func:`field`, which works on the SDKs' response objects and on plain JSON mappings alike, so the
same code serves the SDK wrappers, the HTTP proxy and the ingest API. Usage is converted to
OpenTelemetry's convention by :mod:`agentwatch.pipeline.usage`: input tokens include cache reads
and writes (Anthropic reports them apart), output tokens include reasoning.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from agentwatch.capture.record import RawCall
from agentwatch.capture.streams import ChatStream, MessagesStream, ResponsesStream
from agentwatch.model import ErrorInfo, LLMCall, Status, ToolCall, Usage
from agentwatch.payload import field
from agentwatch.pipeline.usage import (
    anthropic_usage,
    openai_chat_usage,
    openai_embeddings_usage,
    openai_responses_usage,
)

#: Request parameters recorded on every event (scalars only; content never goes here).
REQUEST_PARAMETERS = (
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "max_completion_tokens",
    "max_output_tokens",
    "n",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "stream",
    "service_tier",
    "speed",
    "dimensions",
    "encoding_format",
    "parallel_tool_calls",
    "store",
    "reasoning_effort",
    "user",
)

#: API -> gen_ai.operation.name
OPERATIONS = {
    "chat.completions": "chat",
    "responses": "chat",
    "messages": "chat",
    "embeddings": "embeddings",
    "completions": "text_completion",
}


def _given(value: Any) -> bool:
    """False for None and for the SDKs' NotGiven/Omit sentinels."""
    return value is not None and type(value).__name__ not in ("NotGiven", "Omit")


def _text(content: Any) -> str:
    """The text of a message ``content``: a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list | tuple):
        parts = (field(p, "text") if not isinstance(p, str) else p for p in content)
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


def _json(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        return str(value)


def _plain(value: Any) -> Any:
    """A JSON-compatible copy of a request payload (SDK objects become mappings)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if _given(v)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return _plain(dump())
    return str(value)


class Parsed:
    """What a parser extracts from a response; the rest of :class:`LLMCall` comes from the record."""

    __slots__ = (
        "finish_reasons",
        "output_text",
        "response_id",
        "response_model",
        "service_tier",
        "tool_calls",
        "usage",
    )

    def __init__(self) -> None:
        self.response_model: str | None = None
        self.response_id: str | None = None
        self.usage = Usage()
        self.finish_reasons: list[str] = []
        self.tool_calls: list[ToolCall] = []
        self.output_text: str | None = None
        self.service_tier: str | None = None


def _tier(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# ---------------------------------------------------------------------------------- OpenAI


def parse_chat(response: Any) -> Parsed:
    out = Parsed()
    out.response_model = field(response, "model")
    out.response_id = field(response, "id")
    out.service_tier = _tier(field(response, "service_tier"))
    texts = []
    for choice in field(response, "choices") or ():
        reason = field(choice, "finish_reason")
        if reason:
            out.finish_reasons.append(str(reason))
        message = field(choice, "message")
        content = field(message, "content")
        if content:
            texts.append(_text(content))
        for call in field(message, "tool_calls") or ():
            function = field(call, "function")
            out.tool_calls.append(
                ToolCall(
                    name=str(field(function, "name") or ""),
                    arguments=_json(field(function, "arguments") or ""),
                    id=field(call, "id"),
                )
            )
    out.output_text = "".join(texts) if texts else None
    usage = field(response, "usage")
    if usage is not None:
        out.usage = openai_chat_usage(usage)
    return out


def _tool_calls(calls: dict[int, list[Any]]) -> list[ToolCall]:
    return [
        ToolCall(name=name, arguments=arguments, id=call_id)
        for name, arguments, call_id in (calls[i] for i in sorted(calls))
    ]


def parse_chat_stream(state: ChatStream) -> Parsed:
    out = Parsed()
    out.response_model = state.model
    out.response_id = state.id
    out.service_tier = _tier(state.service_tier)
    if state.usage is not None:
        out.usage = openai_chat_usage(state.usage)
    out.finish_reasons = state.finish_reasons
    out.tool_calls = _tool_calls(state.tool_calls)
    out.output_text = "".join(state.texts) if state.texts else None
    return out


def parse_responses(response: Any) -> Parsed:
    out = Parsed()
    out.response_model = field(response, "model")
    out.response_id = field(response, "id")
    out.service_tier = _tier(field(response, "service_tier"))
    status = field(response, "status")
    incomplete = field(field(response, "incomplete_details"), "reason")
    if incomplete or status:
        out.finish_reasons.append(str(incomplete or status))
    texts = []
    for item in field(response, "output") or ():
        kind = field(item, "type")
        if kind == "message":
            texts.append(_text(field(item, "content") or ()))
        elif kind == "function_call":
            out.tool_calls.append(
                ToolCall(
                    name=str(field(item, "name") or ""),
                    arguments=_json(field(item, "arguments") or ""),
                    id=field(item, "call_id"),
                )
            )
    out.output_text = "".join(t for t in texts if t) or None
    usage = field(response, "usage")
    if usage is not None:
        out.usage = openai_responses_usage(usage)
    return out


def parse_responses_stream(state: ResponsesStream) -> Parsed:
    out = parse_responses(state.response) if state.response is not None else Parsed()
    if out.output_text is None and state.texts:
        out.output_text = "".join(state.texts)
    return out


def parse_embeddings(response: Any) -> Parsed:
    out = Parsed()
    out.response_model = field(response, "model")
    usage = field(response, "usage")
    if usage is not None:
        out.usage = openai_embeddings_usage(usage)
    return out


def parse_completions(response: Any) -> Parsed:
    out = Parsed()
    out.response_model = field(response, "model")
    out.response_id = field(response, "id")
    texts = []
    for choice in field(response, "choices") or ():
        if field(choice, "finish_reason"):
            out.finish_reasons.append(str(field(choice, "finish_reason")))
        texts.append(field(choice, "text") or "")
    out.output_text = "".join(texts) or None
    usage = field(response, "usage")
    if usage is not None:
        out.usage = openai_chat_usage(usage)
    return out


# ------------------------------------------------------------------------------- Anthropic


def parse_messages(response: Any) -> Parsed:
    out = Parsed()
    out.response_model = field(response, "model")
    out.response_id = field(response, "id")
    reason = field(response, "stop_reason")
    if reason:
        out.finish_reasons.append(str(reason))
    texts = []
    for block in field(response, "content") or ():
        kind = field(block, "type")
        if kind == "text":
            texts.append(field(block, "text") or "")
        elif kind == "tool_use":
            out.tool_calls.append(
                ToolCall(
                    name=str(field(block, "name") or ""),
                    arguments=_json(field(block, "input") or {}),
                    id=field(block, "id"),
                )
            )
    out.output_text = "".join(texts) or None
    usage = field(response, "usage")
    if usage is not None:
        out.usage = anthropic_usage(usage)
        out.service_tier = _tier(field(usage, "service_tier"))
    return out


def parse_messages_stream(state: MessagesStream) -> Parsed:
    out = Parsed()
    out.response_model = state.model
    out.response_id = state.id
    if state.start_usage is not None or state.delta_usage:
        usage = anthropic_usage(state.start_usage) if state.start_usage is not None else None
        for delta in state.delta_usage:
            usage = anthropic_usage(delta, usage)
        if usage is not None and not state.delta_usage:
            # cut before message_delta: message_start's output count is a placeholder, not usage
            usage.output_tokens = None
        out.usage = usage or Usage()
        out.service_tier = _tier(field(state.start_usage, "service_tier"))
    out.finish_reasons = state.finish_reasons
    out.tool_calls = _tool_calls(state.tool_calls)
    out.output_text = "".join(state.texts) or None
    return out


Parser = Callable[[Any], Parsed]
StreamParser = Callable[[Any], Parsed]

PARSERS: dict[str, tuple[Parser, StreamParser]] = {
    "chat.completions": (parse_chat, parse_chat_stream),
    "responses": (parse_responses, parse_responses_stream),
    "messages": (parse_messages, parse_messages_stream),
    "embeddings": (parse_embeddings, lambda state: Parsed()),
    "completions": (parse_completions, parse_chat_stream),
}


# ------------------------------------------------------------------------------ requests


def input_messages(api: str, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The prompt as a list of ``{"role", "content"}`` messages (content as text)."""
    messages: list[dict[str, Any]] = []
    system = body.get("system") if api == "messages" else body.get("instructions")
    if _given(system) and system:
        messages.append({"role": "system", "content": _text(system)})
    if api == "embeddings":
        raw = body.get("input")
        items = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        return [{"role": "input", "content": i} for i in items if isinstance(i, str)]
    if api == "completions":
        prompt = body.get("prompt")
        return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else []
    raw_messages = body.get("messages") if api != "responses" else body.get("input")
    if isinstance(raw_messages, str):
        return [*messages, {"role": "user", "content": raw_messages}]
    for message in raw_messages if isinstance(raw_messages, list | tuple) else ():
        role = field(message, "role") or field(message, "type") or "user"
        content = field(message, "content")
        if content is None and field(message, "type") == "function_call_output":
            content = field(message, "output")
        entry: dict[str, Any] = {"role": str(role), "content": _text(content)}
        if field(message, "tool_call_id"):
            entry["tool_call_id"] = field(message, "tool_call_id")
        messages.append(entry)
        messages.extend(_tool_results(content))
    return messages


def _tool_results(content: Any) -> list[dict[str, Any]]:
    """Anthropic's ``tool_result`` blocks (inside a user message) as ``tool`` messages of their own."""
    if not isinstance(content, list | tuple):
        return []
    return [
        {"role": "tool", "content": _text(field(part, "content")), "tool_call_id": field(part, "tool_use_id")}
        for part in content
        if field(part, "type") == "tool_result"
    ]


def request_parameters(body: Mapping[str, Any]) -> dict[str, Any]:
    params = {k: _plain(body[k]) for k in REQUEST_PARAMETERS if k in body and _given(body[k])}
    reasoning = body.get("reasoning")
    if _given(reasoning) and field(reasoning, "effort"):
        params["reasoning_effort"] = field(reasoning, "effort")
    thinking = body.get("thinking")
    if _given(thinking) and field(thinking, "budget_tokens"):
        params["thinking_budget_tokens"] = field(thinking, "budget_tokens")
    tools = body.get("tools")
    if _given(tools) and tools:
        params["tools"] = [
            field(t, "name") or field(field(t, "function"), "name") or field(t, "type") for t in tools
        ]
    return params


# ----------------------------------------------------------------------------- the stage


def _ms(ns: int) -> float:
    return ns / 1_000_000


class Normalizer:
    """RawCall -> LLMCall. Ids come from ``id_factory`` so tests can make them deterministic."""

    def __init__(
        self,
        id_factory: Callable[[int], str] | None = None,
        *,
        user_id: str | None = None,
        agent: str | None = None,
    ) -> None:
        self._new_id = id_factory or (lambda n: os.urandom(n).hex())
        self.user_id = user_id  # process-wide labels: the weakest, after trace and client
        self.agent = agent

    def __call__(self, raw: RawCall) -> LLMCall:
        parse, parse_stream = PARSERS.get(raw.api, (parse_chat, parse_chat_stream))
        parsed = parse_stream(raw.stream_state) if raw.stream_state is not None else parse(raw.response)
        body = raw.body
        trace = raw.trace
        client = raw.client
        start = datetime.fromtimestamp(raw.start_wall_ns / 1e9, tz=UTC)
        latency_ns = max(raw.latency_ns, 0)
        end = datetime.fromtimestamp((raw.start_wall_ns + latency_ns) / 1e9, tz=UTC)
        error = None
        status = Status.OK
        if raw.error_type is not None:
            status = Status.ERROR
            error = ErrorInfo(
                type=raw.error_type, http_status=raw.error_status, message=raw.error_message or ""
            )
        elif not raw.completed:
            status = Status.INCOMPLETE
        tags = tuple(dict.fromkeys((*client.tags, *(trace.tags if trace else ()))))
        metadata = {**client.metadata, **(trace.metadata if trace else {})}
        model = body.get("model")
        return LLMCall(
            event_id=self._new_id(16),
            trace_id=trace.trace_id if trace else self._new_id(16),
            span_id=self._new_id(8),
            parent_span_id=trace.span_id if trace else None,
            trace_name=trace.name if trace else None,
            provider=client.provider,
            operation=OPERATIONS.get(raw.api, raw.api),
            api=raw.api,
            server_address=client.server_address,
            request_model=str(model) if _given(model) else None,
            response_model=parsed.response_model,
            response_id=parsed.response_id,
            start_time=start,
            end_time=end,
            latency_ms=_ms(latency_ns),
            time_to_first_token_ms=(
                _ms(raw.first_chunk_ns - raw.start_ns) if raw.first_chunk_ns is not None else None
            ),
            status=status,
            error=error,
            usage=parsed.usage,
            service_tier=parsed.service_tier,
            stream=raw.stream,
            finish_reasons=parsed.finish_reasons,
            tool_calls=parsed.tool_calls,
            request_parameters=request_parameters(body),
            input_messages=input_messages(raw.api, body),
            output_text=parsed.output_text,
            user_id=(trace.user_id if trace and trace.user_id else client.user_id or self.user_id),
            session_id=(trace.session_id if trace and trace.session_id else client.session_id),
            agent=(trace.agent if trace and trace.agent else client.agent or self.agent),
            tags=list(tags),
            metadata=_plain(metadata),
        )
