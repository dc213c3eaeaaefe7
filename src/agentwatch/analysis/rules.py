"""Per-event rules: the thresholds and spike checks the seed proof of concept raised.

Each rule compares one event with a fixed limit, or with the mean of the recent events of the
same model (spikes). Every anomaly carries its evidence: observed value, threshold, scope,
event id and a recommended action.
"""

from __future__ import annotations

import os
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from agentwatch.model import Anomaly, LLMCall, Severity, Status


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """The seed's ``AnomalyDetector(config={...})`` keys, with its defaults."""

    cost_threshold_usd: float = 0.5
    latency_threshold_ms: float = 5000.0
    error_rate_threshold: float = 0.1
    token_threshold: int = 8000
    spike_multiplier: float = 3.0
    spike_min_samples: int = 5

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> RuleConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values or {}) - known)
        if unknown:
            raise ValueError(f"unknown anomaly rule setting(s): {', '.join(unknown)}")
        return cls(**dict(values or {}))


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def _cost(event: LLMCall) -> float | None:
    return event.cost.total_usd if event.cost else None


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the spike rules compare an event with: the recent events of its model."""

    samples: int = 0
    mean_latency_ms: float | None = None  # successful events only
    mean_cost_usd: float | None = None  # priced events only

    @classmethod
    def of(cls, events: Iterable[LLMCall]) -> Baseline:
        items = list(events)
        return cls(
            samples=len(items),
            mean_latency_ms=_mean(e.latency_ms for e in items if e.status is Status.OK),
            mean_cost_usd=_mean(c for e in items if (c := _cost(e)) is not None),
        )


class EventRules:
    """Seed rules for one event, given the recent events it is compared with."""

    def __init__(self, config: RuleConfig | None = None, id_factory: Callable[[], str] | None = None) -> None:
        self.config = config or RuleConfig()
        self._new_id = id_factory or (lambda: os.urandom(12).hex())

    def _anomaly(
        self,
        event: LLMCall,
        type_: str,
        severity: Severity,
        description: str,
        action: str,
        observed: float | None = None,
        threshold: float | None = None,
        window: str = "event",
    ) -> Anomaly:
        scope = {"provider": event.provider}
        model = event.request_model or event.response_model
        for key, value in (("model", model), ("user", event.user_id), ("agent", event.agent)):
            if value:
                scope[key] = value
        return Anomaly(
            anomaly_id=self._new_id(),
            type=type_,
            severity=severity,
            description=description,
            observed=observed,
            threshold=threshold,
            window=window,
            scope=scope,
            event_ids=[event.event_id],
            recommended_action=action,
        )

    def analyze(self, event: LLMCall, baseline: Baseline | None = None) -> list[Anomaly]:
        c = self.config
        found: list[Anomaly] = []
        cost = event.cost.total_usd if event.cost else None
        if cost is not None and cost > c.cost_threshold_usd:
            found.append(
                self._anomaly(
                    event,
                    "high_cost",
                    Severity.HIGH,
                    f"Request cost ${cost:.4f} exceeds ${c.cost_threshold_usd:.2f}",
                    "Check prompt size and model choice; set a per-request budget",
                    cost,
                    c.cost_threshold_usd,
                )
            )
        if event.latency_ms > c.latency_threshold_ms:
            found.append(
                self._anomaly(
                    event,
                    "high_latency",
                    Severity.MEDIUM,
                    f"Latency {event.latency_ms:.0f} ms exceeds {c.latency_threshold_ms:.0f} ms",
                    "Check provider status, prompt length and max_tokens; consider streaming or a faster model",
                    event.latency_ms,
                    c.latency_threshold_ms,
                )
            )
        if event.total_tokens > c.token_threshold:
            found.append(
                self._anomaly(
                    event,
                    "high_token_usage",
                    Severity.MEDIUM,
                    f"{event.total_tokens} tokens exceed {c.token_threshold}",
                    "Trim the context (history, retrieved documents) or cap max_tokens",
                    event.total_tokens,
                    c.token_threshold,
                )
            )
        if event.status is Status.ERROR:
            err = event.error
            what = (
                f"{err.type}" + (f" (HTTP {err.http_status})" if err and err.http_status else "")
                if err
                else "error"
            )
            found.append(
                self._anomaly(
                    event,
                    "request_failure",
                    Severity.HIGH,
                    f"Request failed: {what}",
                    "Check the error, API key, quota and provider status; add retries with backoff",
                    err.http_status if err and err.http_status else None,
                )
            )
        kinds = {f.kind for f in event.findings}
        if "injection" in kinds:
            found.append(
                self._anomaly(
                    event,
                    "prompt_injection",
                    Severity.CRITICAL,
                    "Prompt injection attempt detected",
                    "Review the input source; isolate untrusted content from instructions",
                )
            )
        if "pii" in kinds:
            found.append(
                self._anomaly(
                    event,
                    "pii_detected",
                    Severity.HIGH,
                    "Personally identifiable information (PII) detected",
                    "Implement PII scrubbing and review data handling policies",
                )
            )
        if baseline is not None:
            found.extend(self._spikes(event, baseline))
        return found

    def _spikes(self, event: LLMCall, baseline: Baseline) -> list[Anomaly]:
        c = self.config
        if baseline.samples < c.spike_min_samples:
            return []
        found = []
        mean_latency = baseline.mean_latency_ms
        if (
            mean_latency
            and event.status is Status.OK
            and event.latency_ms > c.spike_multiplier * mean_latency
        ):
            found.append(
                self._anomaly(
                    event,
                    "latency_spike",
                    Severity.MEDIUM,
                    f"Latency {event.latency_ms:.0f} ms is {event.latency_ms / mean_latency:.1f}x the recent mean",
                    "Compare with the provider's status and recent prompt sizes",
                    event.latency_ms,
                    c.spike_multiplier * mean_latency,
                    f"last {baseline.samples} events",
                )
            )
        cost = event.cost.total_usd if event.cost else None
        mean_cost = baseline.mean_cost_usd
        if cost is not None and mean_cost and cost > c.spike_multiplier * mean_cost:
            found.append(
                self._anomaly(
                    event,
                    "cost_spike",
                    Severity.HIGH,
                    f"Cost ${cost:.4f} is {cost / mean_cost:.1f}x the recent mean",
                    "Look for a prompt or loop that grew; set a budget",
                    cost,
                    c.spike_multiplier * mean_cost,
                    f"last {baseline.samples} events",
                )
            )
        return found


class _Window:
    """Running sums over the last ``size`` events of one model."""

    __slots__ = ("costs", "latencies", "n_cost", "n_latency", "samples", "sum_cost", "sum_latency")

    def __init__(self, size: int) -> None:
        self.samples: deque[tuple[float | None, float | None]] = deque(maxlen=size)
        self.sum_latency = self.sum_cost = 0.0
        self.n_latency = self.n_cost = 0

    def add(self, latency: float | None, cost: float | None) -> None:
        if len(self.samples) == self.samples.maxlen:
            self._count(*self.samples[0], sign=-1)
        self.samples.append((latency, cost))
        self._count(latency, cost, sign=1)

    def _count(self, latency: float | None, cost: float | None, *, sign: int) -> None:
        if latency is not None:
            self.sum_latency += sign * latency
            self.n_latency += sign
        if cost is not None:
            self.sum_cost += sign * cost
            self.n_cost += sign

    def baseline(self) -> Baseline:
        return Baseline(
            samples=len(self.samples),
            mean_latency_ms=self.sum_latency / self.n_latency if self.n_latency else None,
            mean_cost_usd=self.sum_cost / self.n_cost if self.n_cost else None,
        )


class RecentEvents:
    """The last N events per model, kept as running sums: the baseline of the spike rules."""

    def __init__(self, size: int = 50) -> None:
        self._by_model: defaultdict[str, _Window] = defaultdict(lambda: _Window(size))

    def baseline(self, event: LLMCall) -> Baseline:
        return self._by_model[event.request_model or event.response_model or ""].baseline()

    def add(self, event: LLMCall) -> None:
        latency = event.latency_ms if event.status is Status.OK else None
        self._by_model[event.request_model or event.response_model or ""].add(latency, _cost(event))
