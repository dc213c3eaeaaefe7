"""Spike rules on one model's latency: single spikes, bursts, and level shifts that re-baseline."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from agentwatch import AnomalyDetector
from agentwatch.model import Cost, LLMCall, Usage

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SHIFT = 100  # the call where a level shift starts


def latencies(n: int, factors: dict[int, float] | None = None, shift: float = 1.0) -> list[float]:
    """800 ms with 10% log-normal noise; ``shift`` x from call SHIFT on; ``factors`` x at single calls."""
    rng = random.Random(5)
    factors = factors or {}
    return [
        800.0 * rng.lognormvariate(0, 0.1) * (shift if i >= SHIFT else 1.0) * factors.get(i, 1.0)
        for i in range(n)
    ]


def spikes(values: list[float]) -> list[tuple[int, bool]]:
    """(call index, says "level shift") of each latency_spike."""
    events = []
    for i, latency in enumerate(values):
        start = T0 + timedelta(seconds=5 * i)
        events.append(
            LLMCall(
                event_id=str(i),
                trace_id=str(i),
                span_id="s",
                provider="openai",
                operation="chat",
                request_model="gpt-4o-mini",
                start_time=start,
                end_time=start + timedelta(milliseconds=latency),
                latency_ms=latency,
                usage=Usage(input_tokens=100, output_tokens=50),
                cost=Cost(total_usd=0.002, price_source="test"),
            )
        )
    return [
        (int(event.event_id), "level shift" in a.description)
        for event, found in AnomalyDetector().analyze_batch(events).per_event
        for a in found
        if a.type == "latency_spike"
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(latencies(300), [], id="a steady series stays quiet"),
        pytest.param(latencies(300, {150: 6.0}), [(150, False)], id="a single spike alerts once"),
        pytest.param(
            latencies(300, {150: 6.0, 151: 6.0, 153: 6.0, 154: 6.0}),
            [(150, False), (151, False), (153, False), (154, False)],
            id="a run broken by a usual call is not a shift",
        ),
        pytest.param(
            latencies(300, shift=5.0),
            [(SHIFT, False), (SHIFT + 1, False), (SHIFT + 2, True)],
            id="a level shift up alerts for 3 calls, then re-baselines",
        ),
        pytest.param(
            latencies(300, {SHIFT + 40: 6.0}, shift=5.0),
            [(SHIFT, False), (SHIFT + 1, False), (SHIFT + 2, True), (SHIFT + 40, False)],
            id="after a shift up a spike on the new level alerts",
        ),
        pytest.param(latencies(300, shift=0.2), [], id="a level shift down alerts nothing"),
        pytest.param(
            latencies(300, {SHIFT + 40: 6.0}, shift=0.2),
            [(SHIFT + 40, False)],
            id="after a shift down a spike on the new level alerts, though below the old level",
        ),
    ],
)
def test_spike_rules(values: list[float], expected: list[tuple[int, bool]]) -> None:
    assert spikes(values) == expected
