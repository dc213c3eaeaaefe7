"""What the anomaly rules add to the worker per event, next to storing the same events.

Usage: python -m benchmarks.anomaly.worker_cost. Medians of 7 runs of 20,000 events in batches of
512 (the worker's default), in one process: ``AnomalyDetector.analyze_batch`` with the default
settings plus budgets, against ``SQLiteStorage.write_events`` (WAL, one transaction per batch); and
:class:`ChangeDetector` (the NAB detector) per value on the same calls' log latencies.
"""

from __future__ import annotations

import math
import random
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.anomaly.synthetic import build

from agentwatch.analysis import AnomalyDetector, BudgetSettings, ChangeDetector
from agentwatch.storage import SQLiteStorage

RUNS = 7
EVENTS = 20_000
BATCH = 512


def main() -> None:
    events = build(random.Random(7))[0][:EVENTS]
    for n, event in enumerate(events):
        event.user_id = f"user{n % 50}"
        event.agent = f"agent{n % 5}"
        event.prompt_fingerprint = f"{n % 3000:x}"
    budgets = BudgetSettings.model_validate({"user": {"daily_usd": 1000.0}, "agent": {"monthly_usd": 1e6}})
    analyse: list[float] = []
    store: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(RUNS):
            detector = AnomalyDetector(budgets=budgets)
            db = SQLiteStorage(Path(tmp) / f"run{run}.db")
            a = s = 0.0
            for start in range(0, EVENTS, BATCH):
                batch = events[start : start + BATCH]
                t0 = time.perf_counter()
                db.write_events(batch)
                t1 = time.perf_counter()
                detector.analyze_batch(batch)
                t2 = time.perf_counter()
                s += t1 - t0
                a += t2 - t1
            db.close()
            analyse.append(a / EVENTS * 1e6)
            store.append(s / EVENTS * 1e6)
    a_med, s_med = statistics.median(analyse), statistics.median(store)
    print(f"anomaly rules: {a_med:.1f} us/event (runs: {', '.join(f'{x:.1f}' for x in analyse)})")
    print(f"SQLite write:  {s_med:.1f} us/event (runs: {', '.join(f'{x:.1f}' for x in store)})")
    print(f"ratio rules / store: {a_med / s_med:.2f}")
    change = change_detector_cost([math.log(e.latency_ms) for e in events])
    print(
        f"ChangeDetector.update (one series, NAB settings): {change:.2f} us/value = {change / s_med:.2f} x store"
    )


def change_detector_cost(values: list[float]) -> float:
    """Median us per value of :class:`ChangeDetector` (warm-up 750, as on NAB) over ``values``."""
    runs = []
    for _ in range(RUNS):
        detector = ChangeDetector(750, floor=math.log(1.1))
        t0 = time.perf_counter()
        for x in values:
            detector.update(x)
        runs.append((time.perf_counter() - t0) / len(values) * 1e6)
    return statistics.median(runs)


if __name__ == "__main__":
    main()
