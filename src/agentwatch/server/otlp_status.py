"""Error bodies of the OTLP/HTTP receiver: a ``google.rpc.Status`` in the request's encoding.

The OTLP/HTTP specification asks every 4xx/5xx reply to ``/v1/traces`` to carry a ``Status``
message, protobuf-encoded when the request was protobuf and JSON-encoded otherwise. The route and
the body middleware (which answers 401/413 before the route runs) both answer through here.
"""

from __future__ import annotations

import json

PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"

#: HTTP status -> the gRPC code the Status carries (google.rpc.Code).
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 413: 3, 415: 3, 429: 8, 503: 14}


def encoding_of(content_type: str) -> str:
    """The encoding of a reply to a request with this Content-Type: protobuf or (by default) JSON."""
    return PROTOBUF if content_type.partition(";")[0].strip().lower() == PROTOBUF else JSON


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def status_body(encoding: str, status: int, message: str) -> bytes:
    """A Status (code = 1, message = 2) for an HTTP ``status``; protobuf encoded by hand (no
    googleapis dependency for one two-field message)."""
    code = _GRPC_CODES.get(status, 2)  # 2: UNKNOWN
    if encoding == PROTOBUF:
        text = message.encode()
        return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text
    return json.dumps({"code": code, "message": message}).encode()
