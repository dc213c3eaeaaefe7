"""NAB's scoring rules, written from the benchmark's published description.

Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms — the Numenta Anomaly Benchmark",
IEEE ICMLA 2015 (arXiv:1510.03336), and the NAB README / wiki (github.com/numenta/NAB). No NAB code
is copied here. Per data file:

- the first 15% of the rows (at most 750) are probationary: detections there are not scored;
- a detection inside a labelled window scores ``tpWeight * sigma(y) / sigma(-1)`` for its relative
  position ``y`` in the window (-1 at the window's first row, ~0 at its last), where
  ``sigma(y) = 2 / (1 + exp(5y)) - 1``; only the first detection in a window counts;
- a detection outside every window scores ``fpWeight * sigma(y)``: ``y`` is the distance past the
  end of the previous window in window widths (so a detection just after a window costs almost
  nothing and one far after costs ``fpWeight``), or -1 (full cost) before the first window;
- a window without a detection scores ``-fnWeight``.

Raw scores are summed over the corpus and normalised: ``100 * (raw - null) / (perfect - null)``,
where the null detector never detects and the perfect one detects each window at its first row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    tp: float
    fp: float
    fn: float


STANDARD = Profile(tp=1.0, fp=0.11, fn=1.0)


def sigma(y: float) -> float:
    return -1.0 if y >= 3.0 else 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0  # NAB: ">= 3.0"


def probation(rows: int) -> int:
    return min(math.floor(0.15 * rows), 750)


def file_score(
    detections: list[bool], windows: list[tuple[int, int]], profile: Profile
) -> tuple[float, int, int, int]:
    """(raw score, true positives, false positives, missed windows) of one file.

    ``windows``: [first row, last row] of each labelled window, in order.
    """
    max_tp = sigma(-1.0)
    score = 0.0
    tp = fp = 0
    start = probation(len(detections))
    hit = [False] * len(windows)
    w = 0  # the window at or after the current row
    for i, detected in enumerate(detections):
        while w < len(windows) and i > windows[w][1]:
            w += 1
        if not detected or i < start:
            continue
        if w < len(windows) and windows[w][0] <= i <= windows[w][1]:
            if not hit[w]:
                first, last = windows[w]
                width = last - first + 1
                y = -(last - i + 1) / width
                score += profile.tp * sigma(y) / max_tp
                hit[w] = True
                tp += 1
            continue
        if w == 0:
            score -= profile.fp  # sigma(-1) scaled: full cost before any window
        else:
            first, last = windows[w - 1]
            y = (i - last) / max(last - first, 1)
            score += profile.fp * sigma(y)
        fp += 1
    missed = hit.count(False)
    return score - profile.fn * missed, tp, fp, missed


def normalised(raw: float, windows: int, profile: Profile) -> float:
    null = -profile.fn * windows
    perfect = profile.tp * windows
    return 100.0 * (raw - null) / (perfect - null)
