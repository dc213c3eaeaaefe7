"""``[agentwatch.anomalies]`` and ``[agentwatch.budgets]``: the rules' thresholds, windows and budgets.

The seed's ``AnomalyDetector(config={...})`` keys (``cost_threshold_usd``, ``latency_threshold_ms``,
``error_rate_threshold``, ``token_threshold``, ``spike_multiplier``, ...) are fields here with the
seed's defaults; the rest are new. Unknown keys and bad values fail when settings are loaded.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentwatch.analysis.catalogue import ANOMALY_TYPES


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnomalySettings(_Frozen):
    """Thresholds, baselines and windows of the anomaly rules."""

    enabled: bool = Field(default=True, description="Run the anomaly rules in the worker")
    disabled_types: frozenset[str] = Field(default=frozenset(), description="Anomaly types never raised")
    # per event (the seed's)
    cost_threshold_usd: float = Field(default=0.5, ge=0, description="high_cost: one request costs more")
    latency_threshold_ms: float = Field(default=5000.0, ge=0, description="high_latency")
    token_threshold: int = Field(default=8000, ge=0, description="high_token_usage: input + output tokens")
    injection_min_score: float = Field(default=0.5, ge=0, le=1, description="prompt_injection: lowest score")
    finding_locations: frozenset[str] = Field(
        default=frozenset({"prompt", "response", "tool_arguments", "tool_output"}),
        description="pii_detected, prompt_injection: where a finding counts (not the developer's own "
        "system prompt by default, which would fire on every call); secrets count everywhere",
    )
    # spikes: per-scope robust baselines
    spike_multiplier: float = Field(default=3.0, gt=1, description="A spike is at least this x the baseline")
    spike_sigmas: float = Field(default=4.0, gt=0, description="... and this many deviations above it")
    latency_spike_min_ms: float = Field(
        default=250.0, ge=0, description="... and at least this much above it"
    )
    cost_spike_min_usd: float = Field(default=0.001, ge=0, description="... and at least this much above it")
    spike_min_samples: int = Field(default=5, ge=1, description="analyze_event(event, recent): fewest recent")
    baseline_warmup: int = Field(default=20, ge=2, description="Samples a scope needs before it can spike")
    baseline_alpha: float = Field(default=0.05, gt=0, lt=1, description="EWMA weight of a new sample")
    level_shift_calls: int = Field(
        default=3,
        ge=2,
        le=100,
        description="Unusual calls in a row that are a level shift: the baseline re-learns",
    )
    # windows
    error_rate_threshold: float = Field(default=0.1, ge=0, le=1, description="high_error_rate, model_errors")
    error_rate_window_s: float = Field(default=300.0, gt=0)
    error_rate_min_requests: int = Field(default=10, ge=1, description="Fewest requests to judge a rate")
    model_errors_min: int = Field(default=5, ge=1, description="model_errors: fewest errors of one model")
    request_rate_threshold: int = Field(
        default=50, ge=1, description="high_request_rate: requests per window"
    )
    request_rate_window_s: float = Field(default=60.0, gt=0)
    cost_rate_threshold_usd: float = Field(default=10.0, ge=0, description="high_cost_rate: USD per window")
    cost_rate_window_s: float = Field(default=3600.0, gt=0)
    repeat_threshold: int = Field(default=5, ge=2, description="repeated_calls: identical calls in a window")
    repeat_window_s: float = Field(default=300.0, gt=0)

    def enabled_type(self, anomaly_type: str) -> bool:
        return self.enabled and anomaly_type not in self.disabled_types

    @field_validator("disabled_types")
    @classmethod
    def _known_types(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = sorted(value - set(ANOMALY_TYPES))
        if unknown:
            raise ValueError(f"unknown anomaly type(s): {', '.join(unknown)}")
        return value


class Budget(_Frozen):
    daily_usd: float | None = Field(default=None, ge=0)
    monthly_usd: float | None = Field(default=None, ge=0)


class BudgetSettings(_Frozen):
    """Spending limits (UTC days and months). ``user``/``agent`` apply to every user/agent without
    an entry of its own in ``users``/``agents``."""

    user: Budget = Budget()
    agent: Budget = Budget()
    users: dict[str, Budget] = Field(default_factory=dict)
    agents: dict[str, Budget] = Field(default_factory=dict)

    def limit(self, kind: str, name: str) -> Budget:
        own = (self.users if kind == "user" else self.agents).get(name)
        return own if own is not None else (self.user if kind == "user" else self.agent)

    @property
    def any(self) -> bool:
        budgets = [self.user, self.agent, *self.users.values(), *self.agents.values()]
        return any(b.daily_usd is not None or b.monthly_usd is not None for b in budgets)
