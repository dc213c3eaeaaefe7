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


if __name__ == "__main__":
    main()
