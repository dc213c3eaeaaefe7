"""The anomaly catalogue: every type agentwatch raises, its severity and its recommended action."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from agentwatch.model import Severity


@dataclass(frozen=True, slots=True)
class AnomalyType:
    severity: Severity
    action: str  # the seed's "Action:" line


ANOMALY_TYPES: dict[str, AnomalyType] = {
    # per event (the seed's)
    "high_cost": AnomalyType(Severity.HIGH, "Check prompt size and model choice; set a per-request budget"),
    "high_latency": AnomalyType(
        Severity.MEDIUM,
        "Check provider status, prompt length and max_tokens; consider streaming or a faster model",
    ),
    "high_token_usage": AnomalyType(
        Severity.MEDIUM, "Trim the context (history, retrieved documents) or cap max_tokens"
    ),
    "request_failure": AnomalyType(
        Severity.HIGH, "Check the error, API key, quota and provider status; add retries with backoff"
    ),
    "prompt_injection": AnomalyType(
        Severity.CRITICAL, "Review the input source; isolate untrusted content from instructions"
    ),
    "pii_detected": AnomalyType(Severity.HIGH, "Implement PII scrubbing and review data handling policies"),
    # spikes against a per-scope baseline (the seed's)
    "cost_spike": AnomalyType(Severity.HIGH, "Look for a prompt or loop that grew; set a budget"),
    "latency_spike": AnomalyType(
        Severity.MEDIUM, "Compare with the provider's status and recent prompt sizes"
    ),
    # sliding windows (the seed's)
    "high_error_rate": AnomalyType(
        Severity.HIGH, "Check provider status, rate limits and API keys; add retries with backoff"
    ),
    "model_errors": AnomalyType(
        Severity.HIGH, "Check this model's availability and name; fall back to another model"
    ),
    "high_request_rate": AnomalyType(
        Severity.MEDIUM, "Look for a retry storm or a runaway agent; add rate limiting"
    ),
    "high_cost_rate": AnomalyType(Severity.HIGH, "Find the users and agents spending most; set budgets"),
    # new
    "budget_exceeded": AnomalyType(
        Severity.HIGH, "Review this scope's usage; raise the budget or throttle its calls"
    ),
    "unpriced_model": AnomalyType(
        Severity.LOW, "Add a price for this model in [agentwatch.prices] so its cost is counted"
    ),
    "stream_without_usage": AnomalyType(
        Severity.LOW,
        'Pass stream_options={"include_usage": True} so the provider reports usage; tokens are estimated',
    ),
    "secret_leaked": AnomalyType(
        Severity.CRITICAL, "Rotate the exposed credential now; keep secrets out of prompts and tool output"
    ),
    "repeated_calls": AnomalyType(
        Severity.HIGH, "The agent may be stuck in a loop: add a step limit or change its stop condition"
    ),
}


def fingerprint(anomaly_type: str, scope: dict[str, str], *extra: str) -> str:
    """Same type, same scope (and same ``extra``, e.g. a budget period) -> same fingerprint."""
    parts = [anomaly_type, *(f"{k}={v}" for k, v in sorted(scope.items())), *extra]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=10).hexdigest()
