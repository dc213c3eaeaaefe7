"""The robust baseline and the sliding windows, checked against brute force."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from agentwatch.analysis import RobustEwma, ScopedBaselines
from agentwatch.analysis.baseline import CLIP
from agentwatch.analysis.windows import BUCKETS, SlidingWindow


def test_warm_up_is_the_plain_mean_and_variance() -> None:
    rng = random.Random(1)
    values = [rng.gauss(10, 2) for _ in range(20)]
    ewma = RobustEwma(alpha=0.01, warmup=50, floor=0.0)
    for x in values:
        ewma.update(x)
    assert not ewma.warm and ewma.n == 20
    assert ewma.mean == pytest.approx(statistics.fmean(values))
    assert ewma.var == pytest.approx(statistics.pvariance(values))


def test_after_the_warm_up_one_outlier_moves_the_baseline_by_at_most_alpha_clip_deviations() -> None:
    ewma = RobustEwma(alpha=0.05, warmup=30, floor=0.0)
    rng = random.Random(2)
    for _ in range(200):
        ewma.update(rng.gauss(0, 1))
    mean, std = ewma.mean, ewma.std()
    assert ewma.z(1000.0) > 100
    ewma.update(1000.0)
    assert ewma.mean - mean == pytest.approx(0.05 * CLIP * std)


def test_the_floor_keeps_a_constant_series_finite() -> None:
    ewma = RobustEwma(alpha=0.05, warmup=5)
    for _ in range(10):
        ewma.update(math.log(0.002))
    assert ewma.z(math.log(0.002)) == 0.0
    assert ewma.z(math.log(0.0022)) == pytest.approx(1.0)  # +10%: one floor deviation


def test_sliding_window_equals_brute_force_at_bucket_resolution() -> None:
    rng = random.Random(3)
    span = 60.0
    window = SlidingWindow(span)
    seen: list[tuple[float, bool, float]] = []
    ts = 0.0
    for _ in range(5000):
        ts += rng.expovariate(2.0)
        error, cost = rng.random() < 0.2, rng.random()
        window.add(ts, error=error, cost=cost, event_id="e", note=True)
        seen.append((ts, error, cost))
        newest = int(ts // (span / BUCKETS))
        inside = [s for s in seen if int(s[0] // (span / BUCKETS)) > newest - BUCKETS]
        assert window.requests == len(inside)
        assert window.errors == sum(e for _, e, _ in inside)
        assert window.cost == pytest.approx(sum(c for _, _, c in inside), abs=1e-6)


@pytest.mark.parametrize(
    ("sides", "shifted", "restarted"),
    [
        ([0, 0, 0, 0], [False] * 4, False),
        ([1, 1, 0, 0], [False] * 4, False),  # broken by a usual value
        ([1, -1, -1, 0], [False] * 4, False),  # broken by the other side, then by a usual value
        ([1, 1, 1, 0], [False, False, True, False], True),
        ([0, -1, -1, -1], [False, False, False, True], True),
    ],
)
def test_runs_of_unusual_values(sides: list[int], shifted: list[bool], restarted: bool) -> None:
    """A run of ``shift_run`` on one side restarts the baseline from it; a shorter run is folded in
    afterwards, in order, so the baseline ends as if it had seen every value in turn."""
    values = [1.0, 2.0, 3.0, 4.0]
    scoped = ScopedBaselines(alpha=0.1, warmup=3, shift_run=3)
    plain = RobustEwma(alpha=0.1, warmup=3)
    for x in (10.0, 11.0, 9.0):
        scoped.get("k").update(x)
        plain.update(x)
    assert [scoped.observe("k", side, x) for side, x in zip(sides, values, strict=True)] == shifted
    for x in values:
        plain.update(x)
    if restarted:
        assert scoped.get("k").n < plain.n
    else:
        assert (scoped.get("k").mean, scoped.get("k").var) == pytest.approx((plain.mean, plain.var))
