"""The channel protocol: one delivery of one notice, raising :class:`DeliveryError` if it failed.

A :class:`Notice` is an anomaly being raised (``trigger``) or closed (``resolve``). Channels
that cannot close anything (email, Slack, console) say so with ``resolves = False`` and only
get triggers. Retries, timeouts between attempts, routing and dedup are the dispatcher's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from agentwatch.model import Anomaly

Action = Literal["trigger", "resolve"]


@dataclass(frozen=True, slots=True)
class Notice:
    action: Action
    anomaly: Anomaly


class DeliveryError(Exception):
    """A delivery failed; ``retry`` says whether another attempt may succeed."""

    def __init__(self, message: str, *, http_status: int | None = None, retry: bool = True) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retry = retry


class Channel(Protocol):
    name: str
    resolves: bool

    def deliver(self, notice: Notice) -> int | None:
        """Deliver once; returns the HTTP status (None if not HTTP). Raises DeliveryError."""
        ...


def summary(anomaly: Anomaly) -> str:
    """One line naming what, how bad and where: the subject of emails and Slack messages."""
    scope = ", ".join(f"{k}={v}" for k, v in anomaly.scope.items())
    return f"[{anomaly.severity.value.upper()}] {anomaly.type}: {anomaly.description}" + (
        f" ({scope})" if scope else ""
    )


def evidence(anomaly: Anomaly) -> dict[str, object]:
    """The anomaly as JSON-ready data."""
    return anomaly.model_dump(mode="json")
