"""Online change detection for one series: spikes, level shifts and changes of distribution.

:class:`ChangeDetector` takes one value at a time, never looks ahead, and costs a few
microseconds per value. It combines two tests and one rule:

- **spike** (fast): the value is more than ``spike_sigmas`` deviations from a
  :class:`~agentwatch.analysis.baseline.RobustEwma` baseline, either way, and (``calibrate``)
  further than any value of the warm-up was from the same baseline: heavy-tailed series (bursty
  network or disk counters) set their own limit instead of alerting on their ordinary bursts;
- **distribution change** (slow): the relative-entropy test of Wang et al., *Statistical techniques
  for online anomaly detection in data centers* (IFIP/IEEE IM 2011), see :class:`EntropyTest`;
- **after an alert**, ``refractory`` values raise nothing, and the spike baseline learns again from
  the next value on (a plain mean and variance over ``refractory`` values, then the EWMA): a level
  shift — a model that suddenly got slower or pricier — raises one alert, and the new level is the
  new normal instead of an alert storm while a robust baseline creeps towards it.

During the first ``warmup`` values nothing is judged: they set the entropy test's bins (their range)
and its first normal histograms, and the spike baseline.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Literal

from agentwatch.analysis.baseline import RobustEwma

Alert = Literal["spike", "change"]


def chi2_isf(p: float, dof: int) -> float:
    """The value a chi-squared variable with ``dof`` degrees of freedom exceeds with probability ``p``."""

    def survival(x: float) -> float:  # 1 - P(dof/2, x/2), the regularised lower gamma by its series
        s, h = dof / 2.0, x / 2.0
        term = total = 1.0 / s
        k = 1
        while term > total * 1e-15:
            term *= h / (s + k)
            total += term
            k += 1
        return 1.0 - total * math.exp(s * math.log(h) - h - math.lgamma(s))

    lo, hi = 0.0, 10.0 * dof + 100.0
    for _ in range(100):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if survival(mid) > p else (lo, mid)
    return (lo + hi) / 2.0


class _Hypothesis:
    __slots__ = ("counts", "last", "support")

    def __init__(self, counts: tuple[int, ...], step: int) -> None:
        self.counts = counts
        self.support = 1
        self.last = step


class EntropyTest:
    """Relative entropy of the last ``window`` values against the histograms seen before.

    Values are quantised into ``bins`` equal-width bins over ``[lo, hi]`` (values outside fall in
    the edge bins). The histogram ``p`` of the current window is compared with each stored
    hypothesis ``q`` by ``2 * window * KL(p || q)``, which under ``q`` tends to a chi-squared variable
    with ``bins - 1`` degrees of freedom; ``q`` agrees when it is below that distribution's
    ``1 - significance`` quantile. The window is unusual when no hypothesis agrees (it becomes a
    new one) or when the closest one that agrees has agreed at most ``min_support`` times. At most
    ``max_hypotheses`` are kept; the one matched least recently goes first.
    """

    __slots__ = (
        "_hypotheses",
        "_last",
        "_log",
        "_step",
        "bins",
        "counts",
        "lo",
        "max_hypotheses",
        "min_support",
        "threshold",
        "values",
        "window",
    )

    def __init__(
        self,
        lo: float,
        hi: float,
        *,
        window: int = 52,
        bins: int = 5,
        significance: float = 0.01,
        min_support: int = 1,
        max_hypotheses: int = 128,
    ) -> None:
        self.lo = lo
        self.window = window
        self.bins = bins
        self._step = (hi - lo) / bins if hi > lo else 1.0
        self.threshold = chi2_isf(significance, bins - 1)
        self.min_support = min_support
        self.max_hypotheses = max_hypotheses
        self.values: deque[int] = deque()
        self.counts = [0] * bins
        # log(n / window) for n = 0..window, so 2 * window * KL is 2 * sum(n * (log[n] - log[m]))
        self._log = [-math.inf] + [math.log(n / window) for n in range(1, window + 1)]
        self._hypotheses: list[_Hypothesis] = []
        self._last: tuple[tuple[int, ...], bool] | None = None

    def bin_of(self, x: float) -> int:
        b = int((x - self.lo) // self._step)
        return 0 if b < 0 else self.bins - 1 if b >= self.bins else b

    def push(self, x: float, step: int) -> bool:
        """Add ``x`` (the value at ``step``); whether the window ending at it is unusual."""
        b = self.bin_of(x)
        self.values.append(b)
        self.counts[b] += 1
        if len(self.values) > self.window:
            self.counts[self.values.popleft()] -= 1
        elif len(self.values) < self.window:
            return False
        counts = tuple(self.counts)
        if self._last is not None and self._last[0] == counts and not self._last[1]:
            return False  # the same histogram as the last value, which matched a well-supported one
        unusual = self._judge(counts, step)
        self._last = (counts, unusual)
        return unusual

    def _judge(self, counts: tuple[int, ...], step: int) -> bool:
        log = self._log
        best: _Hypothesis | None = None
        best_stat = self.threshold
        for h in self._hypotheses:
            stat = 0.0
            for n, m in zip(counts, h.counts, strict=True):
                if n:
                    stat += n * (log[n] - log[m])
            stat *= 2.0
            if stat < best_stat:
                best, best_stat = h, stat
        if best is None:
            if len(self._hypotheses) >= self.max_hypotheses:
                self._hypotheses.remove(min(self._hypotheses, key=lambda h: h.last))
            self._hypotheses.append(_Hypothesis(counts, step))
            return True
        best.support += 1
        best.last = step
        return best.support <= self.min_support

    @property
    def hypotheses(self) -> int:
        return len(self._hypotheses)


class ChangeDetector:
    """Spikes, level shifts and distribution changes of one series, one value at a time.

    ``update(x)`` returns ``"spike"``, ``"change"`` or ``None``. ``relative_floor``: the smallest
    deviation of the spike baseline, as a fraction of its mean when it is (re)learnt, so a flat
    series has finite z-scores (0 for series already on a log scale: pass an absolute ``floor``).
    """

    def __init__(
        self,
        warmup: int,
        *,
        alpha: float = 0.05,
        spike_sigmas: float = 4.0,
        relative_floor: float = 0.1,
        floor: float = 0.0,
        window: int = 52,
        bins: int = 5,
        significance: float = 0.01,
        min_support: int = 1,
        max_hypotheses: int = 128,
        refractory: int | None = None,
        calibrate: bool = True,
    ) -> None:
        self.warmup = max(warmup, window)
        self.alpha = alpha
        self.spike_sigmas = spike_sigmas
        self.relative_floor = relative_floor
        self.floor = floor
        self.refractory = window if refractory is None else refractory
        self.window = window
        self.bins = bins
        self.significance = significance
        self.min_support = min_support
        self.max_hypotheses = max_hypotheses
        self.calibrate = calibrate
        self.spike_limit = spike_sigmas
        self.n = 0
        self.quiet = 0  # values left in the refractory period
        self.baseline = self._baseline(self.warmup)
        self.entropy: EntropyTest | None = None
        self._early: list[float] = []

    def _baseline(self, warmup: int) -> RobustEwma:
        return RobustEwma(self.alpha, warmup, floor=0.0)

    def update(self, x: float) -> Alert | None:
        step = self.n
        self.n += 1
        baseline = self.baseline
        if self.entropy is None:
            self._early.append(x)
            baseline.update(x)
            if self.n == self.warmup:
                self._start()
            return None
        if baseline.n == baseline.warmup and baseline.floor == 0.0:
            baseline.floor = self.floor or self.relative_floor * abs(baseline.mean) or 1e-9
        spike = baseline.warm and abs(baseline.z(x)) > self.spike_limit
        change = self.entropy.push(x, step)
        if self.quiet:
            self.quiet -= 1
            baseline.update(x)
            return None
        if spike or change:
            self.quiet = self.refractory
            self.baseline = self._baseline(max(self.refractory, 2))  # learn the level that follows
            return "spike" if spike else "change"
        baseline.update(x)
        return None

    def _start(self) -> None:
        early, self._early = self._early, []
        self.entropy = EntropyTest(
            min(early),
            max(early),
            window=self.window,
            bins=self.bins,
            significance=self.significance,
            min_support=self.min_support,
            max_hypotheses=self.max_hypotheses,
        )
        for i, x in enumerate(early):
            self.entropy.push(x, i)
        if self.calibrate:  # the spike test's limit: no lower than the warm-up's largest deviation
            replay = self._baseline(max(self.refractory, 2))
            for x in early:
                if replay.n == replay.warmup:
                    replay.floor = self.floor or self.relative_floor * abs(replay.mean) or 1e-9
                if replay.warm:
                    self.spike_limit = max(self.spike_limit, abs(replay.z(x)))
                replay.update(x)
