"""ChangeDetector (the NAB detector) and its relative-entropy test, on seeded series."""

from __future__ import annotations

import math
import random

import pytest

from agentwatch.analysis import ChangeDetector, EntropyTest
from agentwatch.analysis.changes import chi2_isf

WARMUP = 500


def wave(n: int, level: float = 10.0, amp: float = 2.0, seed: int = 0) -> list[float]:
    """A daily-like cycle of period 100 with a little noise."""
    rng = random.Random(seed)
    return [level + amp * math.sin(2 * math.pi * i / 100) + rng.gauss(0, 0.1) for i in range(n)]


def with_spike(values: list[float], at: int, by: float) -> list[float]:
    values = list(values)
    values[at] += by
    return values


def alerts(values: list[float]) -> list[tuple[int, str]]:
    detector = ChangeDetector(WARMUP)
    return [(i, found) for i, x in enumerate(values) if (found := detector.update(x))]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([5.0] * 3000, [], id="a constant series stays quiet"),
        pytest.param(wave(5000), [], id="a steady cycle stays quiet"),
        pytest.param(with_spike(wave(3000), 2000, 10.0), [(2000, "spike")], id="a single spike alerts once"),
        pytest.param(with_spike(wave(3000), 2000, -10.0), [(2000, "spike")], id="a single drop alerts once"),
        pytest.param(
            wave(1500) + wave(1500, level=20.0, seed=9),
            [(1500, "spike")],
            id="a level shift alerts once and its new level is normal",
        ),
        pytest.param(
            with_spike(wave(1500) + wave(1500, level=20.0, seed=9), 1800, 10.0),
            [(1500, "spike"), (1800, "spike")],
            id="after a level shift a spike on the new level alerts",
        ),
        pytest.param(
            wave(1500) + [10.0 + (1.5 if i % 2 else -1.5) for i in range(1500)],
            [(1501, "change")],
            id="a new distribution inside the usual range is a change",
        ),
        pytest.param(with_spike(wave(400), 300, 50.0), [], id="nothing is judged during the warm-up"),
    ],
)
def test_change_detector(values: list[float], expected: list[tuple[int, str]]) -> None:
    assert alerts(values) == expected


def test_after_an_alert_the_refractory_period_is_quiet() -> None:
    values = with_spike(with_spike(wave(3000), 2000, 10.0), 2030, 10.0)  # 30 values later: suppressed
    assert alerts(values) == [(2000, "spike")]
    values = with_spike(with_spike(wave(3000), 2000, 10.0), 2060, 10.0)  # after the 52: alerts again
    assert alerts(values) == [(2000, "spike"), (2060, "spike")]


def test_a_heavy_tailed_warm_up_raises_the_spike_limit() -> None:
    rng = random.Random(3)
    bursty = [rng.paretovariate(1.5) for _ in range(WARMUP)]
    detector = ChangeDetector(WARMUP)
    for x in bursty:
        detector.update(x)
    assert detector.spike_limit > 10  # its own bursts are far beyond 4 deviations
    steady = ChangeDetector(WARMUP)
    for x in wave(WARMUP):
        steady.update(x)
    assert steady.spike_limit == 4.0


def test_gaussian_noise_raises_few_false_changes() -> None:
    """At a 1% significance per window the entropy test has false alarms on pure noise, mostly while
    its library of normal histograms fills: the measured rate, not zero."""
    for seed in range(3):
        rng = random.Random(seed)
        found = alerts([rng.gauss(10, 1) for _ in range(10_000)])
        assert len(found) <= 10
        assert all(kind == "change" for _, kind in found)


# ---------------------------------------------------------------------- the relative-entropy test


def fill(test: EntropyTest, values: list[float], start: int = 0) -> list[bool]:
    return [test.push(x, start + i) for i, x in enumerate(values)]


def test_a_window_like_one_seen_before_is_usual_and_a_new_one_alerts_once() -> None:
    test = EntropyTest(0.0, 5.0, window=10, bins=5)
    low = [0.5, 1.5] * 5  # bins 0 and 1
    high = [3.5, 4.5] * 5  # bins 3 and 4
    assert fill(test, low) == [False] * 9 + [True]  # the first full window is the first hypothesis
    assert not any(fill(test, low * 3, 10))
    found = fill(test, high * 2, 40)
    assert found.count(True) >= 1 and not any(found[-5:])  # the new regime alerts, then is known
    assert not any(fill(test, low * 2, 60)[-10:])  # back to the first regime: remembered
    assert test.hypotheses >= 2


def test_the_least_recently_matched_hypothesis_goes_first() -> None:
    test = EntropyTest(0.0, 5.0, window=10, bins=5, max_hypotheses=2)
    low, mid, high = (10, 0, 0, 0, 0), (0, 0, 10, 0, 0), (0, 0, 0, 0, 10)
    judged = [test._judge(counts, step) for step, counts in enumerate([low, high, low, mid, high, low])]
    # new, new, known, new (high dropped: matched longest ago), new again (low dropped), new again
    assert judged == [True, True, False, True, True, True]
    assert test.hypotheses == 2


def test_values_outside_the_range_fall_in_the_edge_bins() -> None:
    test = EntropyTest(0.0, 10.0, bins=5)
    assert [test.bin_of(x) for x in (-100.0, 0.0, 1.99, 2.0, 9.99, 10.0, 1e9)] == [0, 0, 0, 1, 4, 4, 4]


@pytest.mark.parametrize(
    ("p", "dof", "quantile"),
    [(0.01, 4, 13.2767), (0.05, 1, 3.8415), (0.01, 3, 11.3449), (0.05, 10, 18.3070)],
)
def test_chi2_quantiles(p: float, dof: int, quantile: float) -> None:
    assert chi2_isf(p, dof) == pytest.approx(quantile, abs=1e-3)
