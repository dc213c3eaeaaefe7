"""The cost-driven anomaly types, end to end: the real SDK, the emulator returning a given usage,
the cost stage pricing it from the price table, and the worker's rules on the stored cost.

gpt-4o costs $2.50 per million input tokens and $10 per million output tokens; gpt-4o-mini $0.15
and $0.60 (openai.com/api/pricing, as in genai-prices' table).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import agentwatch
from agentwatch.model import Anomaly
from agentwatch.testing import Emulator
from tests.analysis.stored import stored_anomalies, stored_events


def _usage(prompt: int, completion: int) -> str:
    return json.dumps(
        {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    )


class Traffic:
    """A monitored OpenAI client on a fresh database; ``anomalies()`` flushes and reads them back."""

    def __init__(self, db: Path, emulator: Emulator, **settings: Any) -> None:
        self.db = db
        # these calls are large on purpose: high_token_usage is not what is under test
        settings["anomalies"] = {"token_threshold": 10**9, **settings.get("anomalies", {})}
        agentwatch.configure(database=f"sqlite:///{db}", flush_interval=0.05, **settings)
        self.client = agentwatch.instrument(
            openai.OpenAI(api_key="k", base_url=emulator.openai_base_url, max_retries=0)
        )
        self.serial = 0

    def call(self, model: str, prompt: int, completion: int) -> None:
        self.serial += 1  # a new question each time: no repeated_calls
        self.client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": f"question {self.serial}"}],
            extra_headers={"x-emulator-usage": _usage(prompt, completion)},
        )

    def anomalies(self) -> list[Anomaly]:
        return stored_anomalies(self.db)

    def costs(self) -> list[float | None]:
        return [e.cost.total_usd if e.cost else None for e in stored_events(self.db)]


@pytest.fixture
def traffic(tmp_path: Path, emulator: Emulator) -> Iterator[Any]:
    yield lambda **settings: Traffic(tmp_path / "aw.db", emulator, **settings)
    agentwatch.shutdown()


def test_high_cost_fires_on_the_priced_call_over_the_threshold(traffic: Any) -> None:
    t = traffic()
    t.call("gpt-4o", 10_000, 1_000)  # $0.025 + $0.01
    assert t.anomalies() == []
    t.call("gpt-4o", 100_000, 30_000)  # $0.25 + $0.30 = $0.55 > $0.50
    [anomaly] = t.anomalies()
    assert anomaly.type == "high_cost"
    assert anomaly.observed == pytest.approx(0.55, abs=1e-9) and anomaly.threshold == 0.5
    assert t.costs() == pytest.approx([0.035, 0.55], abs=1e-9)


def test_cost_spike_against_the_models_own_baseline(traffic: Any) -> None:
    t = traffic(anomalies={"baseline_warmup": 5})
    for _ in range(8):
        t.call("gpt-4o-mini", 1_000, 200)  # $0.00027 each
        t.call("gpt-4o", 10_000, 2_000)  # $0.045 each: usual for this model
    assert t.anomalies() == []
    t.call("gpt-4o-mini", 100_000, 20_000)  # $0.027: 100x this model's usual
    [anomaly] = t.anomalies()
    assert anomaly.type == "cost_spike" and anomaly.scope["model"] == "gpt-4o-mini"
    assert anomaly.observed == pytest.approx(0.027, abs=1e-9)
    assert anomaly.baseline == pytest.approx(0.00027, rel=0.01)


def test_high_cost_rate_over_the_window(traffic: Any) -> None:
    t = traffic(anomalies={"cost_rate_threshold_usd": 0.05})
    t.call("gpt-4o", 10_000, 1_000)  # $0.035 this hour
    assert t.anomalies() == []
    t.call("gpt-4o", 10_000, 1_000)  # $0.07 this hour
    [anomaly] = t.anomalies()
    assert anomaly.type == "high_cost_rate" and anomaly.window == "1h"
    assert anomaly.observed == pytest.approx(0.07, abs=1e-9) and anomaly.threshold == 0.05


def test_budget_exceeded_for_a_user(traffic: Any) -> None:
    t = traffic(budgets={"users": {"alice": {"daily_usd": 0.05}}})
    with agentwatch.trace("chat", user_id="alice"):
        t.call("gpt-4o", 10_000, 1_000)  # $0.035 of $0.05
    with agentwatch.trace("chat", user_id="bob"):  # no budget
        t.call("gpt-4o", 10_000, 1_000)
        t.call("gpt-4o", 10_000, 1_000)
    assert t.anomalies() == []
    with agentwatch.trace("chat", user_id="alice"):
        t.call("gpt-4o", 10_000, 1_000)  # $0.07 of $0.05
    [anomaly] = t.anomalies()
    assert anomaly.type == "budget_exceeded" and anomaly.scope.get("user") == "alice"
    assert anomaly.observed == pytest.approx(0.07, abs=1e-9) and anomaly.threshold == 0.05


def test_unpriced_model_is_flagged_not_costed_zero(traffic: Any) -> None:
    t = traffic()
    t.call("gpt-4o-mini", 1_000, 200)
    assert t.anomalies() == []
    t.call("acme-private-llm-7b", 1_000, 200)
    [anomaly] = t.anomalies()
    assert anomaly.type == "unpriced_model" and anomaly.scope["model"] == "acme-private-llm-7b"
    assert t.costs() == [pytest.approx(0.00027, abs=1e-9), None]
