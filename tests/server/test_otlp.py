"""The OTLP/HTTP receiver with hand-built exports: JSON (hex ids, camelCase) and protobuf, gzip,
current and deprecated GenAI attribute names, OpenInference names, partial success, bad payloads."""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf import json_format
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from agentwatch.model import Status
from tests.server.conftest import Served

TRACE = "5b8efff798038103d269b633813fc60c"
T0 = 1_790_000_000_000_000_000


def attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    if isinstance(value, list):
        return {"key": key, "value": {"arrayValue": {"values": [{"stringValue": v} for v in value]}}}
    return {"key": key, "value": {"stringValue": value}}


def span(span_id: str, name: str, attrs: dict[str, Any], parent: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "traceId": TRACE,
        "spanId": span_id,
        "parentSpanId": parent,
        "name": name,
        "kind": 3,
        "startTimeUnixNano": str(T0),
        "endTimeUnixNano": str(T0 + 250_000_000),
        "attributes": [attr(k, v) for k, v in attrs.items()],
        **extra,
    }


def export(*spans: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [attr("service.name", "billing")]},
                "scopeSpans": [{"scope": {"name": "test.scope"}, "spans": list(spans)}],
            }
        ]
    }


CURRENT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.usage.input_tokens": 120,
    "gen_ai.usage.output_tokens": 30,
    "gen_ai.usage.cache_read.input_tokens": 100,
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.request.temperature": 0.2,
    "server.address": "api.openai.com",
}
DEPRECATED = {
    "gen_ai.system": "Anthropic",
    "llm.request.type": "chat",
    "gen_ai.request.model": "claude-haiku-4-5",
    "gen_ai.usage.prompt_tokens": 11,
    "gen_ai.usage.completion_tokens": 5,
    "gen_ai.usage.cache_creation_input_tokens": 4,
}
OPENINFERENCE = {
    "openinference.span.kind": "EMBEDDING",
    "llm.provider": "openai",
    "llm.model_name": "text-embedding-3-small",
    "llm.token_count.prompt": 9,
    "llm.token_count.completion": 0,
    "session.id": "s-9",
}


def to_proto(data: dict[str, Any]) -> ExportTraceServiceRequest:
    """The export as protobuf (whose JSON form, unlike OTLP JSON, wants base64 ids)."""
    for item in data["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        for name in ("traceId", "spanId", "parentSpanId"):
            item[name] = base64.b64encode(bytes.fromhex(item[name])).decode()
    return json_format.ParseDict(data, ExportTraceServiceRequest())


def post(served: Served, body: bytes, content_type: str, **headers: str) -> Any:
    with served.client() as client:
        return client.post(
            "/v1/traces",
            content=body,
            headers=served.headers(served.ingest_key, **{"Content-Type": content_type}, **headers),
        )


def test_json_export_with_hex_ids_and_camel_case(served: Served) -> None:
    agent = span(
        "1111111111111111",
        "support-agent",
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "helper", "user.id": "u-7"},
    )
    call = span("2222222222222222", "chat gpt-4o", CURRENT, parent="1111111111111111")
    reply = post(served, json.dumps(export(agent, call)).encode(), "application/json")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json() == {}
    [event] = served.events()
    assert event.event_id == TRACE + "2222222222222222"
    assert (event.trace_id, event.span_id, event.parent_span_id) == (
        TRACE,
        "2222222222222222",
        "1111111111111111",
    )
    assert (event.provider, event.operation, event.request_model, event.response_model) == (
        "openai",
        "chat",
        "gpt-4o",
        "gpt-4o-2024-08-06",
    )
    assert (event.usage.input_tokens, event.usage.output_tokens, event.usage.cache_read_input_tokens) == (
        120,
        30,
        100,
    )
    assert event.finish_reasons == ["stop"]
    assert event.latency_ms == 250.0
    assert event.request_parameters == {"temperature": 0.2}
    assert (event.agent, event.user_id, event.trace_name) == ("helper", "u-7", "support-agent")
    assert event.metadata == {"service.name": "billing", "otel.scope.name": "test.scope"}
    assert event.status is Status.OK


def test_protobuf_gzip_export_with_deprecated_and_openinference_names(served: Served) -> None:
    failed = span(
        "3333333333333333", "anthropic.chat", DEPRECATED, status={"code": 2, "message": "overloaded"}
    )
    embed = span("4444444444444444", "embeddings", OPENINFERENCE)
    tool = span("5555555555555555", "search_docs", {"gen_ai.operation.name": "execute_tool"})
    message = to_proto(export(failed, embed, tool))
    reply = post(
        served,
        gzip.compress(message.SerializeToString()),
        "application/x-protobuf",
        **{"Content-Encoding": "gzip"},
    )
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/x-protobuf"
    assert ExportTraceServiceResponse.FromString(reply.content) == ExportTraceServiceResponse()
    events = {e.span_id: e for e in served.events()}
    assert set(events) == {"3333333333333333", "4444444444444444"}  # the tool span is context only
    anthropic = events["3333333333333333"]
    assert (anthropic.provider, anthropic.operation, anthropic.request_model) == (
        "anthropic",
        "chat",
        "claude-haiku-4-5",
    )
    assert (anthropic.usage.input_tokens, anthropic.usage.output_tokens) == (11, 5)
    assert anthropic.usage.cache_creation_input_tokens == 4
    assert anthropic.status is Status.ERROR and anthropic.error is not None
    assert anthropic.error.message == "overloaded"
    embedding = events["4444444444444444"]
    assert (embedding.provider, embedding.operation) == ("openai", "embeddings")
    assert (embedding.request_model, embedding.response_model) == (
        "text-embedding-3-small",
        "text-embedding-3-small",
    )
    assert (embedding.usage.input_tokens, embedding.session_id) == (9, "s-9")


def test_a_resent_export_is_stored_once(served: Served) -> None:
    body = json.dumps(export(span("2222222222222222", "chat", CURRENT))).encode()
    assert post(served, body, "application/json").status_code == 200
    assert post(served, body, "application/json").status_code == 200
    assert len(served.events()) == 1


def test_spans_with_invalid_ids_are_rejected_in_partial_success(served: Served) -> None:
    good = span("2222222222222222", "chat", CURRENT)
    bad = span("0000000000000000", "chat", CURRENT)
    huge = span("6666666666666666", "chat", {**CURRENT, "gen_ai.usage.input_tokens": "9" * 30})
    reply = post(served, json.dumps(export(good, bad, huge)).encode(), "application/json")
    assert reply.status_code == 200
    assert reply.json()["partialSuccess"]["rejectedSpans"] == "2"
    assert reply.json()["partialSuccess"]["errorMessage"]
    assert [e.span_id for e in served.events()] == ["2222222222222222"]


def test_bad_payloads_get_4xx_and_the_server_keeps_serving(served: Served) -> None:
    proto = to_proto(export(span("7777777777777777", "chat", CURRENT))).SerializeToString()
    full = json.dumps(export(span("2222222222222222", "chat", CURRENT))).encode()
    cases = [
        (b"\xff\xfe not protobuf \x00" * 10, "application/x-protobuf", {}, 400),
        (full[: len(full) // 2], "application/json", {}, 400),  # truncated JSON
        (b"[1, 2, 3]", "application/json", {}, 400),
        (json.dumps(export(span("zz", "x", {}))).encode(), "application/json", {}, 400),  # ids not hex
        (b"[" * 100_000 + b"]" * 100_000, "application/json", {}, 400),  # nested too deeply
        (gzip.compress(full)[:-10], "application/json", {"Content-Encoding": "gzip"}, 400),  # truncated gzip
        (b"not gzip at all", "application/json", {"Content-Encoding": "gzip"}, 400),
        (full, "application/json", {"Content-Encoding": "br"}, 415),
        (full, "text/plain", {}, 415),
        (os.urandom(11 * 1024 * 1024), "application/x-protobuf", {}, 413),  # over the 10 MiB default
        (
            gzip.compress(b" " * (20 * 1024 * 1024)),
            "application/json",
            {"Content-Encoding": "gzip"},
            413,
        ),  # gzip bomb
    ]
    for body, content_type, headers, status in cases:
        reply = post(served, body, content_type, **headers)
        assert reply.status_code == status, (content_type, headers, body[:40], reply.text[:200])
    assert post(served, proto, "application/x-protobuf").status_code == 200
    assert post(served, full, "application/json").status_code == 200
    assert {e.span_id for e in served.events()} == {"7777777777777777", "2222222222222222"}


def test_protobuf_errors_are_status_messages(served: Served) -> None:
    reply = post(served, b"\xff\xff\xff", "application/x-protobuf")
    assert reply.status_code == 400
    assert reply.headers["content-type"] == "application/x-protobuf"
    assert reply.content[0] == 0x08 and reply.content[1] == 3  # google.rpc.Status code INVALID_ARGUMENT


@pytest.mark.parametrize("content_type", ["application/x-protobuf", "application/json"])
def test_errors_before_the_route_are_status_messages_too(served: Served, content_type: str) -> None:
    """401 and 413 come from the body middleware, 403 from the key check: each as a Status in the
    request's encoding, as OTLP/HTTP asks (a protobuf exporter cannot read FastAPI's JSON)."""
    body = to_proto(export(span("2222222222222222", "chat", CURRENT))).SerializeToString()
    cases = [
        ({}, body, 401, 16),  # no key: UNAUTHENTICATED
        (served.headers("aw_nope_nope"), body, 401, 16),
        (served.headers(served.read_key), body, 403, 7),  # PERMISSION_DENIED
        (served.headers(served.ingest_key), os.urandom(11 * 1024 * 1024), 413, 3),
    ]
    with served.client() as client:
        for headers, content, status, code in cases:
            reply = client.post(
                "/v1/traces", content=content, headers={**headers, "Content-Type": content_type}
            )
            assert reply.status_code == status
            assert reply.headers["content-type"] == content_type
            if content_type == "application/json":
                parsed = json_format.Parse(reply.content, status_pb2.Status())
            else:
                parsed = status_pb2.Status.FromString(reply.content)
            assert parsed.code == code and parsed.message, reply.content[:200]
    assert served.events() == []


def test_rate_limited_exports_get_429_with_retry_after(serve: Callable[..., Served]) -> None:
    served = serve(ingest_rate=0.001, ingest_burst=1)
    body = to_proto(export(span("2222222222222222", "chat", CURRENT))).SerializeToString()
    assert post(served, body, "application/x-protobuf").status_code == 200
    limited = post(served, body, "application/x-protobuf")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"] == "application/x-protobuf"


def test_negative_token_counts_are_unknown_not_subtracted(served: Served) -> None:
    # As usage_from_attributes reads them: a negative count is no count; summed into the rollups it
    # would lower every token total the server reports.
    attrs = {**CURRENT, "gen_ai.usage.input_tokens": -1_000_000, "gen_ai.usage.output_tokens": 30}
    attrs.pop("gen_ai.usage.cache_read.input_tokens")
    call = span("2222222222222222", "chat gpt-4o", attrs)
    assert post(served, json.dumps(export(call)).encode(), "application/json").status_code == 200
    [event] = served.events()
    assert (event.usage.input_tokens, event.usage.output_tokens) == (None, 30)


def test_messages_nested_too_deeply_cost_only_their_span(served: Served) -> None:
    good = span("2222222222222222", "chat", CURRENT)
    deep = span("8888888888888888", "chat", {**CURRENT, "gen_ai.input.messages": "[" * 100_000})
    reply = post(served, json.dumps(export(good, deep)).encode(), "application/json")
    assert reply.status_code == 200, reply.text[:200]
    assert {e.span_id for e in served.events()} >= {"2222222222222222"}
