"""Precision, recall, false alerts and detection delay of the spike rules on a synthetic call stream.

Usage: python -m benchmarks.anomaly.synthetic  (the stream is described in README.md)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from agentwatch.analysis import AnomalyDetector
from agentwatch.model import Cost, LLMCall, Usage

NORMAL_CALLS = 100_000
SPIKES = 200
BURSTS = 50
#: model -> (median cost USD, median latency ms)
MODELS = {
    "gpt-4o-mini": (0.0005, 400.0),
    "gpt-4o": (0.008, 1200.0),
    "claude-sonnet": (0.012, 1800.0),
    "o3": (0.03, 2500.0),
}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Injected:
    kind: str  # spike | burst
    metric: str  # cost | latency
    indexes: list[int]


def build(rng: random.Random) -> tuple[list[LLMCall], list[Injected], set[int]]:
    """The stream, what was injected where, and the indexes of the injected calls."""
    plan: dict[int, tuple[str, float]] = {}  # index -> (metric, factor)
    injected: list[Injected] = []
    total = NORMAL_CALLS + SPIKES + BURSTS * 20
    taken: set[int] = set()
    while len(injected) < BURSTS:
        start, length = rng.randrange(1000, total - 30), rng.randint(5, 20)
        span = range(start, start + length * 5)
        if taken.intersection(span):
            continue
        taken.update(span)
        metric, factor = rng.choice(("cost", "latency")), rng.uniform(4, 10)
        injected.append(Injected("burst", metric, [start + 4 * k for k in range(length)]))  # every 4th call:
        for i in injected[-1].indexes:  # one model's calls among the others' traffic
            plan[i] = (metric, factor)
    while len(injected) < BURSTS + SPIKES:
        i = rng.randrange(1000, total)
        if i in taken:
            continue
        taken.add(i)
        metric = rng.choice(("cost", "latency"))
        plan[i] = (metric, rng.uniform(5, 20))
        injected.append(Injected("spike", metric, [i]))
    names = list(MODELS)
    burst_model = {
        i: names[(inj.indexes[0] // 7) % len(names)]
        for inj in injected
        if inj.kind == "burst"
        for i in inj.indexes
    }
    events = []
    for i in range(total):
        model = burst_model.get(i) or rng.choice(names)
        cost, latency = MODELS[model]
        cost *= rng.lognormvariate(0, 0.3)
        latency *= rng.lognormvariate(0, 0.25)
        metric, factor = plan.get(i, ("", 1.0))
        if metric == "cost":
            cost *= factor
        elif metric == "latency":
            latency *= factor
        start = T0 + timedelta(seconds=i * 2)  # 30 calls a minute: the window rules stay quiet
        events.append(
            LLMCall(
                event_id=str(i),
                trace_id=str(i),
                span_id="s",
                provider="synthetic",
                operation="chat",
                request_model=model,
                start_time=start,
                end_time=start + timedelta(milliseconds=latency),
                latency_ms=latency,
                usage=Usage(input_tokens=500, output_tokens=200),
                cost=Cost(total_usd=cost, price_source="synthetic"),
            )
        )
    return events, injected, set(plan)


def after_shift(factor: float, shift_calls: int, spike_at: int | None, seed: int) -> list[bool]:
    """Which calls raise ``latency_spike`` when one model's latency moves to ``factor`` x for good
    at call 1,000, with one x6 spike on the new level ``spike_at`` calls after the shift."""
    rng = random.Random(seed)
    detector = AnomalyDetector({"level_shift_calls": shift_calls})
    events = []
    end = 1100 if spike_at is None else 1001 + spike_at
    for i in range(end):
        latency = 1200.0 * rng.lognormvariate(0, 0.25) * (factor if i >= 1000 else 1.0)
        if spike_at is not None and i == 1000 + spike_at:
            latency *= 6.0
        start = T0 + timedelta(seconds=i * 2)
        events.append(
            LLMCall(
                event_id=str(i),
                trace_id=str(i),
                span_id="s",
                provider="synthetic",
                operation="chat",
                request_model="gpt-4o",
                start_time=start,
                end_time=start + timedelta(milliseconds=latency),
                latency_ms=latency,
            )
        )
    return [
        any(a.type == "latency_spike" for a in found)
        for _, found in detector.analyze_batch(events).per_event[1000:]
    ]


def level_shifts() -> None:
    """Alerts on a level shift, and how soon a spike on the new level is found again."""
    shift_calls = AnomalyDetector().settings.level_shift_calls
    for factor in (5.0, 0.2):
        alerts = sum(after_shift(factor, shift_calls, None, 1))
        caught = [
            after_shift(factor, shift_calls, k, seed)[-1] for k in (20, 30, 40, 50) for seed in range(5)
        ]
        print(
            f"level shift: latency x{factor:g} for good: {alerts} alerts in the 100 calls after it; "
            f"a x6 spike on the new level 20-50 calls after it found {sum(caught)}/{len(caught)} times"
        )


def main() -> None:
    rng = random.Random(2026)
    events, injected, positives = build(rng)
    detector = AnomalyDetector({"cost_rate_threshold_usd": 1e9})  # only the spike rules are scored
    alerts: set[int] = set()
    for start in range(0, len(events), 512):
        for event, found in detector.analyze_batch(events[start : start + 512]).per_event:
            if any(a.type in ("cost_spike", "latency_spike") for a in found):
                alerts.add(int(event.event_id))
    normal = len(events) - len(positives)
    false_alerts = len(alerts - positives)
    print(
        f"{len(events):,} calls: {normal:,} normal, {SPIKES} spikes, {BURSTS} bursts ({len(positives) - SPIKES} calls)"
    )
    for kind in ("spike", "burst"):
        items = [inj for inj in injected if inj.kind == kind]
        found = [inj for inj in items if alerts.intersection(inj.indexes)]
        delays = sorted(next(k for k, i in enumerate(inj.indexes) if i in alerts) for inj in found)
        median = delays[len(delays) // 2] if delays else None
        delay = f", delay (calls into the burst before the first alert): median {median}, max {max(delays)}"
        print(
            f"{kind}s: recall {len(found) / len(items):.3f} ({len(found)}/{len(items)})"
            + (delay if kind == "burst" else "")
        )
    true_alerts = len(alerts & positives)
    print(
        f"precision {true_alerts / len(alerts):.4f} ({true_alerts} of {len(alerts)} alerts on injected calls)"
    )
    print(
        f"false alerts: {false_alerts} in {normal:,} normal calls = {false_alerts / normal * 10_000:.2f} per 10,000"
    )
    level_shifts()


if __name__ == "__main__":
    main()
