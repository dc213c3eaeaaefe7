"""The spike rules' baseline: running sums over a window equal the mean of the window."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from agentwatch.analysis import Baseline, RecentEvents
from agentwatch.model import Cost, LLMCall, Status


def call(i: int, model: str, latency: float, cost: float | None, ok: bool) -> LLMCall:
    now = datetime.now(UTC)
    return LLMCall(
        event_id=f"e{i}",
        trace_id="t",
        span_id="s",
        provider="openai",
        operation="chat",
        request_model=model,
        start_time=now,
        end_time=now,
        latency_ms=latency,
        status=Status.OK if ok else Status.ERROR,
        cost=None if cost is None else Cost(total_usd=cost),
    )


def test_running_window_matches_the_mean_of_the_last_events() -> None:
    rng = random.Random(7)
    recent = RecentEvents(size=10)
    history: dict[str, list[LLMCall]] = {"a": [], "b": []}
    for i in range(300):
        model = rng.choice("ab")
        event = call(
            i, model, rng.uniform(1, 1000), rng.choice([None, rng.uniform(0, 1)]), rng.random() > 0.2
        )
        expected = Baseline.of(history[model][-10:])
        got = recent.baseline(event)
        assert got.samples == expected.samples
        for name in ("mean_latency_ms", "mean_cost_usd"):
            want, have = getattr(expected, name), getattr(got, name)
            assert (want is None) == (have is None)
            if want is not None:
                assert have == pytest.approx(want, rel=1e-9)
        recent.add(event)
        history[model].append(event)
