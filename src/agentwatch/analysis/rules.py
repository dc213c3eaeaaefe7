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

    def analyze(self, event: LLMCall, recent: Iterable[LLMCall] = ()) -> list[Anomaly]:
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
        found.extend(self._spikes(event, list(recent)))
        return found

    def _spikes(self, event: LLMCall, recent: list[LLMCall]) -> list[Anomaly]:
        c = self.config
        if len(recent) < c.spike_min_samples:
            return []
        found = []
        mean_latency = _mean(e.latency_ms for e in recent if e.status is Status.OK)
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
                    f"last {len(recent)} events",
                )
            )
        cost = event.cost.total_usd if event.cost else None
        mean_cost = _mean(e.cost.total_usd for e in recent if e.cost and e.cost.total_usd is not None)
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
                    f"last {len(recent)} events",
                )
            )
        return found


class RecentEvents:
    """The last N events per model, the baseline the spike rules compare with."""

    def __init__(self, size: int = 50) -> None:
        self._by_model: defaultdict[str, deque[LLMCall]] = defaultdict(lambda: deque(maxlen=size))

    def of(self, event: LLMCall) -> list[LLMCall]:
        return list(self._by_model[event.request_model or event.response_model or ""])

    def add(self, event: LLMCall) -> None:
        self._by_model[event.request_model or event.response_model or ""].append(event)
