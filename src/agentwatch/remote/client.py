"""One HTTP exchange with the server's ingest API, with the standard library only.

``POST {endpoint}/api/v1/events`` with ``{"events": [...]}`` (gzip-compressed beyond 1 KiB) and
``Authorization: Bearer <key>``.
The key is put in the request header and nowhere else: not in a log line, an error, or a repr.
Redirects are not followed (urllib would turn the POST into a GET and report its 200 as success).
"""

from __future__ import annotations

import http.client
import json
import math
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import SecretStr

#: Request bodies larger than this (bytes) are sent gzip-compressed.
GZIP_ABOVE = 1024

#: A server asking for a longer pause than this is waited on for this long only.
MAX_RETRY_AFTER = 300.0


@dataclass(frozen=True, slots=True)
class Reply:
    """What came back: ``status`` is None when no HTTP answer arrived (refused, reset, timed out)."""

    status: int | None
    detail: str = ""
    retry_after: float | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Worth sending again unchanged: no answer, timeouts, overload, server errors, odd 2xx."""
        return self.status is None or self.status in (408, 429) or self.status >= 500


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), capped at MAX_RETRY_AFTER."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx is then raised as an HTTPError and handled as a refusal


class IngestClient:
    def __init__(self, endpoint: str, api_key: SecretStr | None) -> None:
        self.url = endpoint.rstrip("/") + "/api/v1/events"
        self._api_key = api_key
        self._opener = urllib.request.build_opener(_NoRedirects())

    def __repr__(self) -> str:
        return f"IngestClient({self.url!r})"

    def post(self, documents: list[str], timeout: float) -> Reply:
        """Send event documents (JSON text each) as one batch."""
        body = ('{"events":[' + ",".join(documents) + "]}").encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": "agentwatch"}
        if len(body) > GZIP_ABOVE:
            body = zlib.compress(body, level=1, wbits=31)  # gzip; JSON shrinks several times
            headers["Content-Encoding"] = "gzip"
        if self._api_key is not None:
            headers["Authorization"] = "Bearer " + self._api_key.get_secret_value()
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return _acceptance(response.status, response.read(65536))
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace")
            return Reply(exc.code, detail, parse_retry_after(exc.headers.get("Retry-After")))
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            return Reply(None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}")
        except ValueError as exc:  # its message may quote a header, the key included: not repeated
            return Reply(None, f"{type(exc).__name__} while sending the request")


def _acceptance(status: int, body: bytes) -> Reply:
    """A 2xx counts only if it is the ingest API's answer; anything else (a proxy's page, a wrong
    path on another web app) is treated as a server error and retried, so no event is deleted."""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("accepted"), int):
        return Reply(status)
    return Reply(502, f"HTTP {status} without an ingest reply: {body[:200].decode('utf-8', 'replace')}")
