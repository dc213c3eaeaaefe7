"""Prometheus metrics: the calls agentwatch saw, their tokens, latency, cost and anomalies, and
agentwatch's own health. ``agentwatch serve`` serves them at ``GET /metrics``.

Names follow the OpenTelemetry GenAI metric conventions where one exists
(``gen_ai.client.token.usage`` -> ``gen_ai_client_token_usage``, ``gen_ai.client.operation.duration``
-> ``gen_ai_client_operation_duration_seconds``, with OpenTelemetry's bucket boundaries); the rest
are ``agentwatch_*``. Everything lives in the instance's own :class:`CollectorRegistry`, never the
process-global one.

Labels are ``provider``, ``model``, ``operation``, ``status`` (plus ``token_type`` on token usage and
``type``/``severity`` on anomalies). Their values come from events, so each label keeps at most a
fixed number of distinct values (:class:`LabelCap`); later newcomers are counted under ``other``,
which bounds the number of series whatever model names clients send.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agentwatch.model import Anomaly, LLMCall, Status
from agentwatch.runtime import MonitorStatus

log = logging.getLogger(__name__)

#: OpenTelemetry's advice for gen_ai.client.token.usage.
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
#: OpenTelemetry's advice for gen_ai.client.operation.duration (seconds).
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)

OTHER = "other"
UNKNOWN = "unknown"
MAX_LABEL_LENGTH = 100

CALL_LABELS = ("provider", "model", "operation")


class LabelCap:
    """Passes the first ``max_values`` distinct values of a label through; maps later ones to "other"."""

    def __init__(self, name: str, max_values: int, overflow: Counter) -> None:
        self.max_values = max_values
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._overflow = overflow.labels(name)

    def __call__(self, value: str | None) -> str:
        if not value:
            return UNKNOWN
        value = value[:MAX_LABEL_LENGTH]
        if not value.isascii():  # lone surrogates (from ingested JSON) would break every scrape
            value = value.encode("utf-8", "replace").decode("utf-8")
        if value in self._seen:
            return value
        with self._lock:
            if len(self._seen) < self.max_values:
                self._seen.add(value)
                return value
        self._overflow.inc()
        return OTHER


class Metrics:
    """The metrics of one monitor. Feed it with :meth:`observe` and :meth:`observe_anomalies`
    (e.g. from a ``Monitor`` listener); ``status`` is read at each scrape for the health metrics."""

    def __init__(
        self,
        status: Callable[[], MonitorStatus] | None = None,
        *,
        max_models: int = 200,
        max_providers: int = 50,
        max_operations: int = 20,
        max_anomaly_types: int = 50,
    ) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        capped = Counter(
            "agentwatch_metric_label_overflow",
            "Observations whose label value was replaced by 'other' because the label has too many values",
            ["label"],
            registry=r,
        )
        self._provider = LabelCap("provider", max_providers, capped)
        self._model = LabelCap("model", max_models, capped)
        self._operation = LabelCap("operation", max_operations, capped)
        self._anomaly_type = LabelCap("type", max_anomaly_types, capped)
        self.token_usage = Histogram(
            "gen_ai_client_token_usage",
            "Tokens used per call (input includes cache reads and writes, output includes reasoning)",
            [*CALL_LABELS, "token_type"],
            buckets=TOKEN_BUCKETS,
            registry=r,
        )
        self.duration = Histogram(
            "gen_ai_client_operation_duration_seconds",
            "Duration of each call, as the client saw it",
            [*CALL_LABELS, "status"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.requests = Counter("agentwatch_requests", "Calls recorded", [*CALL_LABELS, "status"], registry=r)
        self.errors = Counter("agentwatch_errors", "Calls that failed", list(CALL_LABELS), registry=r)
        self.cost = Counter(
            "agentwatch_cost_usd", "Cost of priced calls, in USD", list(CALL_LABELS), registry=r
        )
        self.unpriced = Counter(
            "agentwatch_unpriced_requests",
            "Calls with no known price (not in the cost)",
            list(CALL_LABELS),
            registry=r,
        )
        self.anomalies = Counter("agentwatch_anomalies", "Anomalies found", ["type", "severity"], registry=r)
        if status is not None:
            r.register(_Health(status))

    def observe(self, event: LLMCall) -> None:
        labels = (
            self._provider(event.provider),
            self._model(event.request_model or event.response_model),
            self._operation(event.operation),
        )
        self.requests.labels(*labels, event.status.value).inc()
        self.duration.labels(*labels, event.status.value).observe(max(event.latency_ms, 0.0) / 1000)
        if event.status is Status.ERROR:
            self.errors.labels(*labels).inc()
        for token_type, tokens in (
            ("input", event.usage.input_tokens),
            ("output", event.usage.output_tokens),
        ):
            if tokens is not None and tokens >= 0:
                self.token_usage.labels(*labels, token_type).observe(tokens)
        total = event.cost.total_usd if event.cost is not None else None
        if total is not None and total >= 0:
            self.cost.labels(*labels).inc(total)
        else:
            self.unpriced.labels(*labels).inc()

    def on_event(self, event: LLMCall, anomalies: list[Anomaly]) -> None:
        """A ``Monitor`` listener: ``monitor.listeners.append(metrics.on_event)``."""
        self.observe(event)
        self.observe_anomalies(anomalies)

    def observe_anomalies(self, anomalies: Iterable[Anomaly]) -> None:
        for anomaly in anomalies:
            self.anomalies.labels(self._anomaly_type(anomaly.type), anomaly.severity.value).inc()


class _Health(Collector):
    """agentwatch's own counters, read from the monitor at scrape time."""

    def __init__(self, status: Callable[[], MonitorStatus]) -> None:
        self._status = status

    def describe(self) -> Iterable[Metric]:
        return ()  # do not read the status when registering

    def collect(self) -> Iterator[Metric]:
        try:
            s = self._status()
        except Exception:
            log.exception("agentwatch: could not read the monitor's status for /metrics")
            return
        yield GaugeMetricFamily(
            "agentwatch_queue_depth", "Records waiting in the in-process queue", s.queue_depth
        )
        yield GaugeMetricFamily(
            "agentwatch_pending_events", "Events kept back while the store fails", s.pending
        )
        yield GaugeMetricFamily(
            "agentwatch_spool_events", "Remote mode: events waiting in the spool", s.spooled
        )
        for name, text, value in (
            ("agentwatch_events_submitted", "Records handed to the queue", s.submitted),
            (
                "agentwatch_events_written",
                "Events committed to the store (remote mode: the spool)",
                s.written,
            ),
            ("agentwatch_events_sent", "Remote mode: events the server acknowledged", s.sent),
            (
                "agentwatch_events_dropped",
                "Events lost: queue full, store overflow, spool full, refused",
                s.dropped,
            ),
            (
                "agentwatch_internal_errors",
                "Failures inside agentwatch (store, pipeline, delivery)",
                s.errors,
            ),
        ):
            yield CounterMetricFamily(name, text, value)
