"""The NAB scorer (benchmarks/anomaly/nab_score.py) against NAB's published rules (nab/sweeper.py)."""

from __future__ import annotations

import math

import pytest
from benchmarks.anomaly.nab_score import STANDARD, file_score, normalised, probation, sigma


def test_scaled_sigmoid() -> None:
    assert sigma(-1.0) == pytest.approx(2 / (1 + math.exp(-5)) - 1)  # 0.98661
    assert sigma(0.0) == 0.0
    assert sigma(3.0) == -1.0  # NAB: relative position >= 3.0 is -1 exactly (was 2*s(-15)-1 here)
    assert sigma(2.999) > -1.0


def test_probation_is_15_percent_capped_at_750_rows() -> None:
    assert (probation(1000), probation(4032), probation(10_000)) == (150, 604, 750)


@pytest.mark.parametrize(
    ("detections", "expected"),
    [
        pytest.param([], (-1.0, 0, 0, 1), id="a missed window costs fnWeight"),
        pytest.param([300], (1.0, 1, 0, 0), id="a detection at the window's first row scores tpWeight"),
        pytest.param([300, 301, 399], (1.0, 1, 0, 0), id="only the first detection in a window counts"),
        pytest.param([100], (-1.0, 0, 0, 1), id="detections in the probationary period are not scored"),
        pytest.param(
            [200, 300], (1.0 - 0.11, 1, 1, 0), id="a false positive before any window costs fpWeight"
        ),
        pytest.param(
            [300, 399 + 99 * 3],
            (1.0 - 0.11, 1, 1, 0),
            id="three window widths after the window a false positive costs fpWeight",
        ),
    ],
)
def test_file_score(detections: list[int], expected: tuple[float, int, int, int]) -> None:
    rows = [i in detections for i in range(1000)]
    score, tp, fp, missed = file_score(rows, [(300, 399)], STANDARD)
    assert (score, tp, fp, missed) == pytest.approx(expected)


def test_normalised_score_runs_from_null_to_perfect() -> None:
    assert normalised(-49.0, 49, STANDARD) == 0.0
    assert normalised(49.0, 49, STANDARD) == 100.0
