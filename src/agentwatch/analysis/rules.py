"""Per-event rules: thresholds, detector findings, and the seed's spike check against recent events.

Each rule looks at one event alone (or, for the seed's ``analyze_event(event, recent)``, at the
mean of the recent events it is given). The stateful rules — per-scope baselines, sliding
windows, budgets, repeats — live in their own modules and run in :class:`AnomalyDetector`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from agentwatch.analysis.evidence import Evidence, event_scope, model_scope
from agentwatch.analysis.settings import AnomalySettings
from agentwatch.model import Anomaly, LLMCall, Status

#: Where a secret counts as leaked: what the model or a tool sent back, not what the user typed.
LEAK_LOCATIONS = ("response", "tool_output", "tool_arguments")


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def cost_of(event: LLMCall) -> float | None:
    return event.cost.total_usd if event.cost else None


@dataclass(frozen=True, slots=True)
class Baseline:
    """The seed's spike baseline: the mean of the recent events it is handed."""

    samples: int = 0
    mean_latency_ms: float | None = None  # successful events only
    mean_cost_usd: float | None = None  # priced events only

    @classmethod
    def of(cls, events: Iterable[LLMCall]) -> Baseline:
        items = list(events)
        return cls(
            samples=len(items),
            mean_latency_ms=_mean(e.latency_ms for e in items if e.status is Status.OK),
            mean_cost_usd=_mean(c for e in items if (c := cost_of(e)) is not None),
        )


def _has(event: LLMCall, kind: str, type_: str) -> bool:
    return any(f.kind == kind and f.type == type_ for f in event.findings)


def stream_without_usage(event: LLMCall) -> bool:
    """The cost stage's finding, or (before it runs) a finished stream that reported no tokens."""
    if _has(event, "usage", "stream_usage_missing"):
        return True
    if not event.stream or event.status is not Status.OK or event.operation == "embeddings":
        return False
    usage = event.usage
    return usage.estimated or (usage.input_tokens is None and usage.output_tokens is None)


class EventRules:
    """The rules that need nothing but the event."""

    def __init__(self, settings: AnomalySettings, evidence: Evidence) -> None:
        self.settings = settings
        self.evidence = evidence

    def analyze(self, event: LLMCall) -> list[Anomaly]:
        s = self.settings
        found: list[Anomaly] = []
        ids = [event.event_id]

        def add(type_: str, description: str, observed: float | None, threshold: float | None = None) -> None:
            if s.enabled_type(type_):
                found.append(
                    self.evidence.anomaly(
                        type_,
                        description,
                        scope=event_scope(event),
                        event_ids=ids,
                        observed=observed,
                        threshold=threshold,
                    )
                )

        cost = cost_of(event)
        if cost is not None and cost > s.cost_threshold_usd:
            add(
                "high_cost",
                f"Request cost ${cost:.4f} exceeds ${s.cost_threshold_usd:.2f}",
                observed=cost,
                threshold=s.cost_threshold_usd,
            )
        if event.latency_ms > s.latency_threshold_ms:
            add(
                "high_latency",
                f"Latency {event.latency_ms:.0f} ms exceeds {s.latency_threshold_ms:.0f} ms",
                observed=event.latency_ms,
                threshold=s.latency_threshold_ms,
            )
        if event.total_tokens > s.token_threshold:
            add(
                "high_token_usage",
                f"{event.total_tokens} tokens exceed {s.token_threshold}",
                observed=event.total_tokens,
                threshold=s.token_threshold,
            )
        if event.status is Status.ERROR:
            err = event.error
            what = "error"
            if err is not None:
                what = err.type + (f" (HTTP {err.http_status})" if err.http_status else "")
            add(
                "request_failure",
                f"Request failed: {what}",
                observed=err.http_status if err and err.http_status else None,
            )
        if event.findings or event.stream or (event.cost is not None and event.cost.unpriced):
            found.extend(self._findings(event, ids))
        return found

    def _findings(self, event: LLMCall, ids: list[str]) -> list[Anomaly]:
        s = self.settings
        found: list[Anomaly] = []
        scope = event_scope(event)
        counted = s.finding_locations
        injections = [
            f
            for f in event.findings
            if f.kind == "injection" and f.score >= s.injection_min_score and f.location in counted
        ]
        if injections and s.enabled_type("prompt_injection"):
            types = ", ".join(sorted({f.type for f in injections}))
            top = max(f.score for f in injections)
            found.append(
                self.evidence.anomaly(
                    "prompt_injection",
                    f"Prompt injection attempt detected ({types})",
                    scope=scope,
                    event_ids=ids,
                    observed=top,
                    threshold=s.injection_min_score,
                )
            )
        pii = [f for f in event.findings if f.kind == "pii" and f.location in counted]
        if pii and s.enabled_type("pii_detected"):
            types = ", ".join(sorted({f"{f.type} in {f.location}" for f in pii}))
            found.append(
                self.evidence.anomaly(
                    "pii_detected",
                    f"Personally identifiable information (PII) detected: {types}",
                    scope=scope,
                    event_ids=ids,
                    observed=len(pii),
                )
            )
        secrets = [f for f in event.findings if f.kind == "secret"]
        if secrets and s.enabled_type("secret_leaked"):
            where = sorted({f.location for f in secrets})
            leaked = any(loc in LEAK_LOCATIONS for loc in where)
            types = ", ".join(sorted({f.type for f in secrets}))
            found.append(
                self.evidence.anomaly(
                    "secret_leaked",
                    f"Secret ({types}) {'returned' if leaked else 'sent'} in the {' and '.join(where)}",
                    scope=scope,
                    event_ids=ids,
                    observed=len(secrets),
                    key=(types,),
                )
            )
        # the model has no price (not: the usage is unknown, which stream_without_usage reports)
        unpriced = _has(event, "cost", "unpriced_model") or (
            event.cost is not None and event.cost.unpriced and event.usage.total_tokens > 0
        )
        if unpriced and s.enabled_type("unpriced_model"):
            found.append(
                self.evidence.anomaly(
                    "unpriced_model",
                    f"No price known for {event.provider} model {scope.get('model', '?')}: its cost is not counted",
                    scope=model_scope(event),
                    event_ids=ids,
                )
            )
        if stream_without_usage(event) and s.enabled_type("stream_without_usage"):
            found.append(
                self.evidence.anomaly(
                    "stream_without_usage",
                    "A stream ended without reporting token usage",
                    scope=model_scope(event),
                    event_ids=ids,
                )
            )
        return found

    def spikes_against(self, event: LLMCall, baseline: Baseline) -> list[Anomaly]:
        """The seed's spike rules: above ``spike_multiplier`` x the mean of the recent events."""
        s = self.settings
        if baseline.samples < s.spike_min_samples:
            return []
        found = []
        window = f"last {baseline.samples} events"
        mean_latency = baseline.mean_latency_ms
        if (
            mean_latency
            and event.status is Status.OK
            and event.latency_ms > s.spike_multiplier * mean_latency
        ):
            found.append(
                self.evidence.anomaly(
                    "latency_spike",
                    f"Latency {event.latency_ms:.0f} ms is {event.latency_ms / mean_latency:.1f}x the recent mean",
                    scope=event_scope(event),
                    event_ids=[event.event_id],
                    observed=event.latency_ms,
                    threshold=s.spike_multiplier * mean_latency,
                    baseline=mean_latency,
                    window=window,
                )
            )
        cost = cost_of(event)
        mean_cost = baseline.mean_cost_usd
        if cost is not None and mean_cost and cost > s.spike_multiplier * mean_cost:
            found.append(
                self.evidence.anomaly(
                    "cost_spike",
                    f"Cost ${cost:.4f} is {cost / mean_cost:.1f}x the recent mean",
                    scope=event_scope(event),
                    event_ids=[event.event_id],
                    observed=cost,
                    threshold=s.spike_multiplier * mean_cost,
                    baseline=mean_cost,
                    window=window,
                )
            )
        return [a for a in found if s.enabled_type(a.type)]
