"""Generic webhook: the anomaly as JSON, signed with HMAC-SHA256 over ``timestamp.body``.

Headers: ``X-Agentwatch-Timestamp`` (Unix seconds) and ``X-Agentwatch-Signature: sha256=<hex>``
where the MAC is ``HMAC-SHA256(secret, f"{timestamp}.".encode() + body)``. A receiver recomputes
it, compares in constant time (:func:`verify`) and rejects old timestamps to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from agentwatch.alerting.channel import Notice, evidence
from agentwatch.alerting.http import JSON_HEADERS, encode, post
from agentwatch.alerting.settings import WebhookChannelSettings

TIMESTAMP_HEADER = "X-Agentwatch-Timestamp"
SIGNATURE_HEADER = "X-Agentwatch-Signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float, tolerance: float = 300.0
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        fresh = abs(now - float(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    resolves = True

    def __init__(
        self, name: str, settings: WebhookChannelSettings, clock: Callable[[], float] = time.time
    ) -> None:
        self.name = name
        self.settings = settings
        self._clock = clock

    def deliver(self, notice: Notice) -> int | None:
        body = encode({"action": notice.action, "anomaly": evidence(notice.anomaly)})
        headers = {**JSON_HEADERS, **self.settings.headers}
        if self.settings.secret:
            timestamp = str(int(self._clock()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(self.settings.secret, timestamp, body)
        return post(self.settings.url, body, headers, self.settings.timeout)
