"""JSON Web Tokens: three base64url parts whose header decodes to a JSON object naming an ``alg``."""

from __future__ import annotations

import base64
import binascii
import json
import re

from agentwatch.detectors.pattern import PatternDetector


def _json_object(part: str) -> dict[str, object] | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: "[[[[..." nested past the limit
        return None
    return decoded if isinstance(decoded, dict) else None


class JWTDetector(PatternDetector):
    kind = "secret"
    type = "jwt"
    trigger = "eyJ"
    pattern = re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?![\w-])")

    def check(self, value: str) -> float | None:
        header_part, payload_part, signature = value.split(".")
        header = _json_object(header_part)
        if header is None or "alg" not in header or _json_object(payload_part) is None:
            return None
        return 0.95 if signature else 0.7  # unsigned ("alg": "none") tokens still open doors
