"""OpenTelemetry spans -> :class:`LLMCall` events.

Two attribute families are read, each with its older names:

- OpenTelemetry GenAI (``gen_ai.*``; OpenLLMetry and the upstream instrumentations): provider
  ``gen_ai.provider.name`` (was ``gen_ai.system``), tokens ``gen_ai.usage.input_tokens`` (was
  ``gen_ai.usage.prompt_tokens``), ``gen_ai.operation.name`` (OpenLLMetry: ``llm.request.type``).
- OpenInference (Arize/Phoenix): ``openinference.span.kind`` (``LLM``, ``EMBEDDING``),
  ``llm.model_name``, ``llm.provider``, ``llm.token_count.*``, ``llm.input_messages.*``.

A span is an LLM call when it says so by either family; other spans (agents, tools, the app's
own) only lend their context: an LLM call inherits user, session and agent from its ancestors in
the same export, and its trace is named after the outermost of them. The event id is derived from
the trace and span ids, so a re-sent export is stored once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.proto.trace.v1.trace_pb2 import Status as SpanStatus

from agentwatch.model import ErrorInfo, LLMCall, Status, Usage

Attributes = dict[str, Any]

_INT64 = 2**63 - 1

#: Operations that are not model calls, though their spans carry gen_ai.* attributes.
_NOT_CALLS = frozenset({"invoke_agent", "create_agent", "execute_tool"})

#: OpenLLMetry's llm.request.type and OpenInference's span kind -> gen_ai.operation.name
_OPERATIONS = {"chat": "chat", "completion": "text_completion", "embedding": "embeddings", "rerank": "rerank"}
_KIND_OPERATIONS = {"LLM": "chat", "EMBEDDING": "embeddings"}

_USAGE_NAMES: dict[str, tuple[str, ...]] = {
    "input_tokens": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"),
    "output_tokens": (
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.token_count.completion",
    ),
    "cache_read_input_tokens": (
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
        "llm.token_count.prompt_details.cache_read",
    ),
    "cache_creation_input_tokens": (
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
        "llm.token_count.prompt_details.cache_write",
    ),
    "reasoning_output_tokens": (
        "gen_ai.usage.reasoning.output_tokens",
        "gen_ai.usage.reasoning_tokens",
        "llm.token_count.completion_details.reasoning",
    ),
}

#: gen_ai.request.* -> the request parameter name the SDK capture uses.
_PARAMETERS = {
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.top_p": "top_p",
    "gen_ai.request.top_k": "top_k",
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.seed": "seed",
    "gen_ai.request.frequency_penalty": "frequency_penalty",
    "gen_ai.request.presence_penalty": "presence_penalty",
    "gen_ai.request.choice.count": "n",
}

_LABELS = {
    "user_id": ("user.id", "enduser.id", "gen_ai.user.id", "llm.user"),
    "session_id": ("session.id", "gen_ai.conversation.id"),
    "agent": ("gen_ai.agent.name", "agent.name"),
}


def value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [value(item) for item in v.array_value.values]
    if kind == "kvlist_value":
        return attributes(v.kvlist_value.values)
    return getattr(v, kind) if kind else None


def attributes(kvs: Iterable[KeyValue]) -> Attributes:
    return {kv.key: value(kv.value) for kv in kvs}


def _first(attrs: Attributes, *names: str) -> Any:
    for name in names:
        found = attrs.get(name)
        if found is not None and found != "":
            return found
    return None


def _str(attrs: Attributes, *names: str) -> str | None:
    found = _first(attrs, *names)
    return str(found) if found is not None else None


def _int(attrs: Attributes, *names: str) -> int | None:
    """An integer attribute (or a string of digits); ValueError past 64 bits, which no store keeps."""
    found = _first(attrs, *names)
    if isinstance(found, bool):
        return None
    if isinstance(found, str) and found.isdigit():
        found = int(found)
    if not isinstance(found, int):
        return None
    if found > _INT64:
        raise ValueError(f"{names[0]} is beyond 64 bits")
    return found


def _count(attrs: Attributes, *names: str) -> int | None:
    """A token count: a negative one is no count, as ``usage_from_attributes`` reads it."""
    found = _int(attrs, *names)
    return found if found is not None and found >= 0 else None


def is_llm_call(attrs: Attributes) -> bool:
    kind = attrs.get("openinference.span.kind")
    if kind is not None:
        return kind in _KIND_OPERATIONS
    operation = _str(attrs, "gen_ai.operation.name")
    if operation is not None:
        return operation not in _NOT_CALLS
    if "llm.request.type" in attrs:
        return True
    provider = _first(attrs, "gen_ai.provider.name", "gen_ai.system")
    return provider is not None and _first(attrs, "gen_ai.request.model", "gen_ai.response.model") is not None


def _operation(attrs: Attributes) -> str:
    operation = _str(attrs, "gen_ai.operation.name")
    if operation is not None:
        return operation
    request_type = _str(attrs, "llm.request.type")
    if request_type is not None:
        return _OPERATIONS.get(request_type, request_type)
    return _KIND_OPERATIONS.get(str(attrs.get("openinference.span.kind")), "chat")


def _invocation(attrs: Attributes) -> dict[str, Any]:
    """OpenInference's ``llm.invocation_parameters``: the request's parameters as JSON."""
    params = attrs.get("llm.invocation_parameters")
    if isinstance(params, str):
        try:
            parsed = json.loads(params)
        except (ValueError, RecursionError):
            return {}
        if isinstance(parsed, dict):
            return parsed
    return {}


def _request_model(attrs: Attributes, invocation: dict[str, Any]) -> str | None:
    model = _str(attrs, "gen_ai.request.model")
    if model is not None:
        return model
    if isinstance(invocation.get("model"), str):
        return str(invocation["model"])
    return _str(attrs, "llm.model_name")


def _indexed(attrs: Attributes, prefix: str, suffix: str) -> Iterator[tuple[int, str, Any]]:
    """``prefix.<i>.<field><suffix>`` attributes, as (i, field, value)."""
    for name, found in attrs.items():
        if not name.startswith(prefix):
            continue
        index, _, rest = name[len(prefix) :].partition(".")
        if index.isdigit() and rest.startswith(suffix):
            yield int(index), rest[len(suffix) :], found


def _messages(attrs: Attributes, flat_prefix: str, oi_prefix: str, json_name: str) -> list[dict[str, Any]]:
    """Messages from ``gen_ai.input.messages`` JSON, ``gen_ai.prompt.<i>.*`` or ``llm.input_messages.<i>.*``."""
    raw = attrs.get(json_name)
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, list):
            out = []
            for message in parsed:
                if isinstance(message, dict):
                    parts = message.get("parts") or []
                    text = "".join(
                        str(p.get("content", ""))
                        for p in parts
                        if isinstance(p, dict) and p.get("type") == "text"
                    )
                    out.append({"role": str(message.get("role", "user")), "content": text})
            return out
    by_index: dict[int, dict[str, Any]] = {}
    for index, name, found in (*_indexed(attrs, flat_prefix, ""), *_indexed(attrs, oi_prefix, "message.")):
        if name in ("role", "content") and isinstance(found, str):
            by_index.setdefault(index, {"role": "user", "content": ""})[name] = found
    return [by_index[i] for i in sorted(by_index)]


def _time(nanos: int) -> datetime:
    return datetime.fromtimestamp(nanos / 1e9, tz=UTC)


class SpanInfo:
    """One span of an export, with its resource's attributes, for the mapping and ancestor walks."""

    __slots__ = ("attrs", "resource", "scope", "span")

    def __init__(self, span: Span, attrs: Attributes, resource: Attributes, scope: str) -> None:
        self.span = span
        self.attrs = attrs
        self.resource = resource
        self.scope = scope


def spans(request: ExportTraceServiceRequest) -> Iterator[SpanInfo]:
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield SpanInfo(span, attributes(span.attributes), resource, scope_spans.scope.name)


def _ancestors(info: SpanInfo, by_id: dict[bytes, SpanInfo]) -> Iterator[SpanInfo]:
    seen = {info.span.span_id}
    parent = by_id.get(info.span.parent_span_id)
    while parent is not None and parent.span.span_id not in seen:
        seen.add(parent.span.span_id)
        yield parent
        parent = by_id.get(parent.span.parent_span_id)


def valid_ids(span: Span) -> bool:
    return (
        len(span.trace_id) == 16
        and any(span.trace_id)
        and len(span.span_id) == 8
        and any(span.span_id)
        and len(span.parent_span_id) in (0, 8)
    )


def to_event(info: SpanInfo, by_id: dict[bytes, SpanInfo]) -> LLMCall:
    """The LLM call a span records. The span's ids must be valid (:func:`valid_ids`)."""
    span, attrs = info.span, info.attrs
    trace_id, span_id = span.trace_id.hex(), span.span_id.hex()
    ancestors = list(_ancestors(info, by_id))
    labels: dict[str, str | None] = {}
    for field_name, names in _LABELS.items():
        labels[field_name] = _str(attrs, *names) or next(
            (found for a in ancestors if (found := _str(a.attrs, *names))), None
        )
    error = None
    status = Status.OK
    if span.status.code == SpanStatus.STATUS_CODE_ERROR:
        status = Status.ERROR
        error = ErrorInfo(
            type=_str(attrs, "error.type") or "error",
            message=span.status.message[:1000],
            http_status=_int(attrs, "http.response.status_code", "http.status_code"),
        )
    finish = _first(
        attrs, "gen_ai.response.finish_reasons", "llm.response.finish_reason", "llm.finish_reason"
    )
    invocation = _invocation(attrs)
    start_ns = span.start_time_unix_nano
    end_ns = max(span.end_time_unix_nano, start_ns)
    streaming = _first(attrs, "gen_ai.request.stream", "gen_ai.is_streaming", "llm.is_streaming")
    if streaming is None:
        streaming = invocation.get("stream")
    metadata = {
        k: v
        for k, v in (("service.name", info.resource.get("service.name")), ("otel.scope.name", info.scope))
        if isinstance(v, str) and v
    }
    output = _messages(attrs, "gen_ai.completion.", "llm.output_messages.", "gen_ai.output.messages")
    provider = _str(attrs, "gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
    return LLMCall(
        event_id=trace_id + span_id,
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=span.parent_span_id.hex() or None,
        trace_name=ancestors[-1].span.name if ancestors else None,
        provider=(provider or "unknown").lower(),
        operation=_operation(attrs),
        server_address=_str(attrs, "server.address"),
        request_model=_request_model(attrs, invocation),
        response_model=_str(attrs, "gen_ai.response.model", "llm.model_name"),
        response_id=_str(attrs, "gen_ai.response.id"),
        start_time=_time(start_ns),
        end_time=_time(end_ns),
        latency_ms=(end_ns - start_ns) / 1e6,
        status=status,
        error=error,
        usage=Usage(**{name: _count(attrs, *names) for name, names in _USAGE_NAMES.items()}),
        stream=streaming is True,
        finish_reasons=[str(r) for r in finish]
        if isinstance(finish, list)
        else [str(finish)]
        if finish
        else [],
        request_parameters={
            param: attrs[name]
            for name, param in _PARAMETERS.items()
            if isinstance(attrs.get(name), int | float | str)
        },
        input_messages=_messages(attrs, "gen_ai.prompt.", "llm.input_messages.", "gen_ai.input.messages"),
        output_text="".join(m["content"] for m in output) or None,
        metadata=metadata,
        **labels,
    )


def to_events(request: ExportTraceServiceRequest) -> tuple[list[LLMCall], int]:
    """The LLM calls in an export, and how many spans were rejected (invalid ids or values)."""
    infos = list(spans(request))
    by_id = {info.span.span_id: info for info in infos}
    events: list[LLMCall] = []
    rejected = 0
    for info in infos:
        if not valid_ids(info.span):
            rejected += 1
        elif is_llm_call(info.attrs):
            try:
                events.append(to_event(info, by_id))
            except (ValueError, TypeError, OverflowError, OSError):
                rejected += 1
    return events, rejected
