"""POST JSON with the standard library: the only network call the HTTP channels make."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from agentwatch.alerting.channel import DeliveryError


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body``; returns the status. 5xx, 429 and network errors can be retried; 4xx cannot."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
        raise DeliveryError(
            f"HTTP {status}", http_status=status, retry=status >= 500 or status == 429
        ) from None
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None


def post_json(url: str, data: object, timeout: float, headers: dict[str, str] | None = None) -> int:
    """POST ``data`` as JSON; returns the status."""
    return post(url, encode(data), {**JSON_HEADERS, **(headers or {})}, timeout)


def encode(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": "agentwatch"}
