"""latency_spike and cost_spike against per-scope baselines: provider+model, user, agent.

An event is judged against each scope it belongs to, then folded into their baselines. Besides
the baseline's own test, a spike must be an absolute step above it (``latency_spike_min_ms``,
``cost_spike_min_usd``): a 3 ms call taking 12 ms is not worth an alert. The
first scope that finds it unusual (model, then agent, then user) names the anomaly, so one
slow call raises one ``latency_spike``, not three.

A level shift — a model that got slower or pricier, or faster and cheaper — is
``level_shift_calls`` unusual calls in a row on the same side of a scope's baseline (held back from
it while the run lasts). The baseline then restarts from those calls and learns the new level over
its warm-up. Without this, the robust baseline absorbs a shift by inflating its variance, and is
blind to spikes on the new level for tens of calls (``benchmarks/anomaly/synthetic.py`` measures
both). The call that completes an upward run says so in its description.
"""

from __future__ import annotations

import math

from agentwatch.analysis.baseline import ScopedBaselines
from agentwatch.analysis.evidence import Evidence, model_of
from agentwatch.analysis.rules import cost_of
from agentwatch.analysis.settings import AnomalySettings
from agentwatch.model import Anomaly, LLMCall, Status


def scopes(event: LLMCall) -> list[tuple[str, str, str]]:
    """(baseline key, scope kind, scope name) of an event, most specific first."""
    model = f"{event.provider}/{model_of(event)}"
    found = [("model:" + model, "model", model)]
    if event.agent:
        found.append(("agent:" + event.agent, "agent", event.agent))
    if event.user_id:
        found.append(("user:" + event.user_id, "user", event.user_id))
    return found


class SpikeRules:
    """A value is a spike for a scope when, after the scope's warm-up, it is above both
    ``spike_multiplier`` x the baseline (the seed's rule, which decides for steady series) and
    ``spike_sigmas`` deviations above it (which decides for noisy ones), and the step is at least
    the rule's absolute minimum."""

    def __init__(self, settings: AnomalySettings, evidence: Evidence) -> None:
        self.settings = settings
        self.evidence = evidence
        self.latency = ScopedBaselines(
            settings.baseline_alpha, settings.baseline_warmup, shift_run=settings.level_shift_calls
        )
        self.cost = ScopedBaselines(
            settings.baseline_alpha, settings.baseline_warmup, shift_run=settings.level_shift_calls
        )
        self._log_multiplier = math.log(settings.spike_multiplier)

    def observe(self, event: LLMCall) -> list[Anomaly]:
        s = self.settings
        found: list[Anomaly] = []
        keys = scopes(event)
        if event.status is Status.OK and event.latency_ms > 0:
            found += self._check(
                "latency_spike", self.latency, keys, event, event.latency_ms, s.latency_spike_min_ms
            )
        cost = cost_of(event)
        if cost is not None and cost > 0:
            found += self._check("cost_spike", self.cost, keys, event, cost, s.cost_spike_min_usd)
        return found

    def _check(
        self,
        type_: str,
        baselines: ScopedBaselines,
        keys: list[tuple[str, str, str]],
        event: LLMCall,
        value: float,
        min_delta: float,
    ) -> list[Anomaly]:
        s = self.settings
        found: list[Anomaly] = []
        x = math.log(value)
        for key, kind, name in keys:
            baseline = baselines.get(key)
            if not baseline.warm:
                baseline.update(x)
                continue
            deviation = max(self._log_multiplier, s.spike_sigmas * baseline.std())
            limit = baseline.mean + deviation
            side = 1 if x > limit else -1 if x < baseline.mean - deviation else 0
            shift = baselines.observe(key, side, x)
            if not found and side > 0:
                typical = math.exp(baseline.mean)
                threshold = max(math.exp(limit), typical + min_delta)
                if value > threshold and s.enabled_type(type_):
                    found.append(
                        self._anomaly(type_, event, value, typical, threshold, kind, name, baseline.n, shift)
                    )
        return found

    def _anomaly(
        self,
        type_: str,
        event: LLMCall,
        value: float,
        typical: float,
        threshold: float,
        kind: str,
        name: str,
        samples: int,
        shift: bool,
    ) -> Anomaly:
        scope = {"provider": event.provider, "model": model_of(event)} if kind == "model" else {kind: name}
        what = f"Latency {value:.0f} ms" if type_ == "latency_spike" else f"Cost ${value:.4f}"
        description = f"{what} is {value / typical:.1f}x the usual for {name}"
        if shift:
            description += (
                f"; {self.settings.level_shift_calls} calls in a row: a level shift,"
                " the baseline now learns the new level"
            )
        return self.evidence.anomaly(
            type_,
            description,
            scope=scope,
            event_ids=[event.event_id],
            observed=value,
            threshold=threshold,
            baseline=typical,
            window=f"EWMA of {samples} events",
        )
