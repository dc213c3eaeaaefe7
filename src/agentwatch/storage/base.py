"""The storage protocol, and the query types every backend answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from agentwatch.model import AlertDelivery, Anomaly, AnomalyStatus, LLMCall, Severity


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a query covers; None means "any"."""

    since: datetime | None = None
    until: datetime | None = None
    provider: str | None = None
    model: str | None = None
    user_id: str | None = None
    agent: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class AnomalyFilter:
    """Which anomalies a query covers; None means "any". ``severity`` is the lowest shown."""

    since: datetime | None = None
    type: str | None = None
    severity: Severity | None = None
    status: AnomalyStatus | None = None
    provider: str | None = None
    model: str | None = None
    user_id: str | None = None
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class Stats:
    """The summary ``agentwatch stats`` shows, read from the per-minute rollups."""

    requests: int
    ok: int
    errors: int
    incomplete: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    unpriced_requests: int
    avg_latency_ms: float | None
    max_latency_ms: float | None
    pii_events: int
    injection_events: int
    anomalies: int

    @property
    def success_rate(self) -> float | None:
        return self.ok / self.requests if self.requests else None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class CostRow:
    """Spend of one group (a model, user, agent, provider or UTC day), from the rollups."""

    key: str  # "" for events without that label
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float  # priced events only
    unpriced: int  # events with no known price (their cost is not in cost_usd)
    estimated: int  # events whose tokens were estimated


@dataclass(frozen=True, slots=True)
class ProcessReport:
    """A monitored process's own counters, as it last wrote them (``agentwatch status``)."""

    host: str
    pid: int
    started_at: datetime
    updated_at: datetime
    queue_depth: int
    submitted: int
    written: int
    pending: int
    dropped: int
    errors: int


class Storage(Protocol):
    """Where events and anomalies live. Writes come from one writer; reads from anywhere."""

    def write_events(self, events: list[LLMCall]) -> list[LLMCall]:
        """Store a batch atomically; writing an event id twice keeps one copy.

        Returns the events that were new (not already stored, first of their id in the batch)."""
        ...

    def write_anomalies(self, anomalies: list[Anomaly]) -> None: ...

    def events(
        self,
        where: EventFilter,
        limit: int = 20,
        *,
        min_risk: int | None = None,
        before: tuple[float, str] | None = None,
    ) -> list[LLMCall]:
        """Newest first; ``before`` = (start timestamp, event id) of the last event of the previous page."""
        ...

    def anomalies(
        self,
        since: datetime | None = None,
        limit: int = 10,
        *,
        type: str | None = None,
        before: tuple[float, str] | None = None,
    ) -> list[Anomaly]:
        """Newest first; ``before`` = (detected timestamp, anomaly id) of the previous page's last."""
        ...

    def find_anomalies(
        self, where: AnomalyFilter, limit: int = 10, *, before: tuple[float, str] | None = None
    ) -> list[Anomaly]:
        """Newest first; ``before`` = (detected timestamp, anomaly id) of the previous page's last."""
        ...

    def set_anomaly_status(self, anomaly_ids: list[str], status: AnomalyStatus) -> list[Anomaly]:
        """Change the status of these anomalies (id or unique id prefix); returns them, changed."""
        ...

    def resolve_fingerprint(self, fingerprint: str) -> int:
        """Mark the open and acknowledged anomalies with this fingerprint resolved; returns how many."""
        ...

    def write_deliveries(self, deliveries: list[AlertDelivery]) -> None: ...

    def deliveries(self, since: datetime | None = None, limit: int = 20) -> list[AlertDelivery]:
        """Newest first."""
        ...

    def stats(self, where: EventFilter) -> Stats: ...

    def cost_breakdown(self, where: EventFilter, by: str) -> list[CostRow]:
        """Spend grouped ``by`` model, provider, user, agent or day (UTC), ordered by that key."""
        ...

    def write_report(self, report: ProcessReport) -> None: ...

    def reports(self, since: datetime | None = None) -> list[ProcessReport]:
        """Newest first."""
        ...

    def delete_before(self, cutoff: datetime) -> int:
        """Delete events, anomalies and rollups older than ``cutoff``; returns events deleted."""
        ...

    def close(self) -> None: ...
