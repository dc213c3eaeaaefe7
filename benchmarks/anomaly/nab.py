"""Score agentwatch's spike detector on NAB's realAWSCloudwatch and realKnownCause series.

Usage: python benchmarks/anomaly/nab.py [--data ../shared/datasets/nab]

Runs 1-2: :class:`agentwatch.analysis.RobustEwma`; run 3: :class:`agentwatch.analysis.ChangeDetector`.
Each run's hyperparameters are in README.md, fixed before that run and not tuned on the labels.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from benchmarks.anomaly.nab_score import STANDARD, file_score, normalised, probation

from agentwatch.analysis import AnomalySettings, ChangeDetector, RobustEwma

FOLDERS = ("realAWSCloudwatch", "realKnownCause")
DEFAULTS = AnomalySettings()
#: Fixed before scoring (README.md): the production defaults, on raw values, two-sided.
ALPHA = DEFAULTS.baseline_alpha  # 0.05
SIGMAS = DEFAULTS.spike_sigmas  # 4.0
RELATIVE_FLOOR = 0.1  # the smallest deviation: 10% of the first mean, as the log-scale floor
#: Run 3 (README.md, fixed before run 3): the relative-entropy test as Wang et al. / NAB set it.
WINDOW = 52
BINS = 5
SIGNIFICANCE = 0.01
MIN_SUPPORT = 1
MAX_HYPOTHESES = 128


def detect(values: list[float], *, relearn: bool) -> list[bool]:
    """Alert when a value is more than SIGMAS deviations from the EWMA baseline, either way.

    ``relearn=False`` (run 1, fixed before scoring): after an alert, the next needs the series back
    within SIGMAS first (as the window rules re-arm). ``relearn=True`` (run 2, chosen after run 1's
    result, see README): an alert starts a new regime — the baseline restarts from that value and
    warms up again for the same number of rows, alerting on nothing meanwhile.
    """
    warmup = probation(len(values))
    ewma = RobustEwma(ALPHA, warmup, floor=0.0)
    out: list[bool] = []
    armed = True
    for i, x in enumerate(values):
        if i == warmup or (relearn and ewma.n == warmup and ewma.floor == 0.0):
            ewma.floor = RELATIVE_FLOOR * abs(ewma.mean) or 1e-9
        unusual = ewma.warm and abs(ewma.z(x)) > SIGMAS
        alert = unusual and armed
        out.append(alert)
        armed = not unusual
        if alert and relearn:
            ewma = RobustEwma(ALPHA, warmup, floor=0.0)
            armed = True
        ewma.update(x)
    return out


def detect_changes(values: list[float]) -> list[bool]:
    """Run 3: :class:`ChangeDetector` (spike test + relative-entropy test + refractory re-learning)."""
    detector = ChangeDetector(
        probation(len(values)),
        alpha=ALPHA,
        spike_sigmas=SIGMAS,
        relative_floor=RELATIVE_FLOOR,
        window=WINDOW,
        bins=BINS,
        significance=SIGNIFICANCE,
        min_support=MIN_SUPPORT,
        max_hypotheses=MAX_HYPOTHESES,
        refractory=WINDOW,
    )
    return [detector.update(x) is not None for x in values]


def load(path: Path) -> tuple[list[datetime], list[float]]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return [datetime.fromisoformat(r["timestamp"]) for r in rows], [float(r["value"]) for r in rows]


def rows_of(times: list[datetime], window: list[str]) -> tuple[int, int]:
    start, end = (datetime.fromisoformat(t.replace(".000000", "")) for t in window)
    first = next(i for i, t in enumerate(times) if t >= start)
    last = max(i for i, t in enumerate(times) if t <= end)
    return first, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets/nab"))
    args = parser.parse_args()
    labels = json.loads((args.data / "labels" / "combined_windows.json").read_text())
    files = [
        (f"{folder}/{path.name}", *load(path))
        for folder in FOLDERS
        for path in sorted((args.data / "data" / folder).glob("*.csv"))
    ]
    runs: list[tuple[str, Callable[[list[float]], list[bool]]]] = [
        ("run 1: re-arm (fixed before scoring)", lambda v: detect(v, relearn=False)),
        ("run 2: re-learn after an alert", lambda v: detect(v, relearn=True)),
        ("run 3: ChangeDetector (fixed before scoring)", detect_changes),
    ]
    for name, detector in runs:
        raw = 0.0
        total_windows = tp = fp = missed = 0
        print(f"\n{name}\n{'file':58} {'windows':>7} {'tp':>3} {'fp':>4} {'score':>7}")
        for key, times, values in files:
            windows = [rows_of(times, w) for w in labels[key]]
            score, t, f, m = file_score(detector(values), windows, STANDARD)
            raw += score
            total_windows += len(windows)
            tp, fp, missed = tp + t, fp + f, missed + m
            print(f"{key:58} {len(windows):7} {t:3} {f:4} {score:7.2f}")
        print(f"{total_windows} windows: {tp} detected, {missed} missed, {fp} false positives; raw {raw:.2f}")
        print(f"NAB score (standard profile, normalised): {normalised(raw, total_windows, STANDARD):.2f}")
    print("\nNAB's own detectors on this subset: windowed Gaussian 25.65, Bayes changepoint 29.05")


if __name__ == "__main__":
    main()
