"""The OTLP/HTTP trace receiver: ``POST /v1/traces``, protobuf or JSON, optionally gzipped.

As the OTLP/HTTP specification says: the reply uses the request's encoding; spans that cannot
be taken are counted in ``partial_success``; an unreadable payload is a 400 with a ``Status``;
an unsupported content type a 415; 429 and 503 carry ``Retry-After`` so exporters retry. JSON
carries trace and span ids as hex (not base64 as protobuf's JSON mapping would), and field names
in lowerCamelCase (snake_case is accepted too). The size limit and gzip are handled by
:mod:`agentwatch.server.body`; the reply comes once the LLM calls are stored.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from agentwatch.model import LLMCall
from agentwatch.server.auth import require
from agentwatch.server.ingest import Ingestor
from agentwatch.server.otlp_map import to_events
from agentwatch.server.otlp_status import JSON, PATH, PROTOBUF, encoding_of, status_body
from agentwatch.storage.keys import ApiKey, Scope

router = APIRouter()


_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")
_DEPTH_LIMIT = 64


class PayloadError(ValueError):
    """The body is not an ExportTraceServiceRequest in the declared encoding."""


def _hex_ids_to_base64(node: Any, depth: int = 0) -> None:
    """OTLP JSON ids are hex; protobuf's JSON parser expects base64 for bytes fields."""
    if depth > _DEPTH_LIMIT:
        raise PayloadError("the JSON is nested too deeply")
    if isinstance(node, dict):
        for name, found in node.items():
            if name in _ID_FIELDS and isinstance(found, str):
                try:
                    node[name] = base64.b64encode(bytes.fromhex(found)).decode()
                except ValueError:
                    raise PayloadError(f"{name} is not hex: {found[:40]!r}") from None
            else:
                _hex_ids_to_base64(found, depth + 1)
    elif isinstance(node, list):
        for item in node:
            _hex_ids_to_base64(item, depth + 1)


def parse(body: bytes, content_type: str) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    try:
        if content_type == PROTOBUF:
            request.ParseFromString(body)
        else:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise PayloadError("the JSON body must be an object")
            _hex_ids_to_base64(data)
            json_format.ParseDict(data, request, ignore_unknown_fields=True)
    except (
        DecodeError,
        json_format.ParseError,
        ValueError,
        TypeError,
        RecursionError,
        binascii.Error,
    ) as exc:
        if isinstance(exc, PayloadError):
            raise
        raise PayloadError(f"not an OTLP ExportTraceServiceRequest: {exc}") from None
    return request


def decode(body: bytes, content_type: str) -> tuple[list[LLMCall], int]:
    """The LLM calls in an export, and the number of spans rejected."""
    return to_events(parse(body, content_type))


def _error(content_type: str, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status_body(content_type, status, message), status, headers, media_type=content_type)


def http_error(request: Request, status: int, message: str, headers: dict[str, str] | None) -> Response:
    """An error raised before the route ran (the API key dependency), as a Status."""
    return _error(encoding_of(request.headers.get("content-type", "")), status, message, headers)


def _reply(content_type: str, rejected: int, message: str) -> Response:
    response = ExportTraceServiceResponse()
    if rejected:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if content_type == PROTOBUF:
        return Response(response.SerializeToString(), 200, media_type=PROTOBUF)
    return Response(json_format.MessageToJson(response, indent=None), 200, media_type=JSON)


OTLP_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
            JSON: {"schema": {"type": "object", "description": "ExportTraceServiceRequest, OTLP JSON"}},
        },
    }
}


@router.post(
    PATH,
    summary="OTLP/HTTP trace export",
    openapi_extra=OTLP_BODY,
    response_class=Response,
    responses={
        200: {"description": "ExportTraceServiceResponse", "content": {PROTOBUF: {}, JSON: {}}},
        400: {"description": "Not an ExportTraceServiceRequest"},
        401: {"description": "Missing, unknown or revoked API key"},
        403: {"description": "The key lacks the ingest scope"},
        413: {"description": "Body too large"},
        415: {"description": "Unsupported Content-Type or Content-Encoding"},
        429: {"description": "Rate limit exceeded (see Retry-After)"},
        503: {"description": "Overloaded or the store is unavailable (see Retry-After)"},
    },
)
async def export_traces(request: Request, key: Annotated[ApiKey, Depends(require(Scope.INGEST))]) -> Response:
    """Receive spans; GenAI (`gen_ai.*`) and OpenInference (`llm.*`) LLM spans become events."""
    given = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    content_type = encoding_of(given)
    if given not in (PROTOBUF, JSON):
        return _error(JSON, 415, f"Content-Type must be {PROTOBUF} or {JSON}")
    ingestor: Ingestor = request.app.state.ingestor
    try:
        ingestor.admit(key)
        body = await request.body()
        # Decoding and mapping a large export takes milliseconds: off the event loop.
        events, rejected = await anyio.to_thread.run_sync(decode, body, content_type)
        await ingestor.commit(events)
    except PayloadError as exc:
        return _error(content_type, 400, str(exc))
    except HTTPException as exc:
        return _error(content_type, exc.status_code, str(exc.detail), dict(exc.headers or {}))
    message = f"{rejected} span(s) had invalid ids or values" if rejected else ""
    return _reply(content_type, rejected, message)
