"""Robust baselines: an EWMA of the mean and variance that a spike cannot drag along.

The spike rules track values on a log scale (latency and cost are positive and skewed: a 3x spike is the
same distance from any baseline). The first samples average equally (``alpha = 1/n``) until the
EWMA weight takes over; during the warm-up nothing is judged. After it, each sample's deviation
is clipped to ``clip`` standard deviations before it updates the baseline (a Huber-style update),
so one spike moves the mean by at most ``alpha * clip`` deviations and a run of spikes is
still reported as unusual for a while instead of becoming the new normal at once.

"""

from __future__ import annotations

import math
from collections import OrderedDict

#: Deviations a sample may move the baseline by, at most (after the warm-up).
CLIP = 3.0
#: Relative floor of the deviation on the log scale: 10% (a series of identical values).
LOG_FLOOR = math.log(1.1)


class RobustEwma:
    """Mean and variance of a series, robust to outliers after the warm-up.

    ``floor`` is the smallest deviation used (so a series of identical values has a finite
    z-score); :class:`ScopedBaselines` feeds it log values with a floor of 10%.
    """

    __slots__ = ("alpha", "floor", "mean", "n", "var", "warmup")

    def __init__(self, alpha: float, warmup: int, floor: float = LOG_FLOOR) -> None:
        self.alpha = alpha
        self.warmup = warmup
        self.floor = floor
        self.n = 0
        self.mean = 0.0
        self.var = 0.0

    @property
    def warm(self) -> bool:
        return self.n >= self.warmup

    def std(self) -> float:
        return math.sqrt(self.var + self.floor * self.floor)

    def z(self, x: float) -> float:
        """How many deviations ``x`` is from the mean (before ``x`` is added)."""
        return (x - self.mean) / self.std()

    def update(self, x: float) -> None:
        n = self.n = self.n + 1
        a = self.alpha if n * self.alpha >= 1.0 else 1.0 / n
        d = x - self.mean
        if n > self.warmup:
            limit = CLIP * math.sqrt(self.var + self.floor * self.floor)
            d = limit if d > limit else -limit if d < -limit else d
        self.mean += a * d
        self.var = (1 - a) * (self.var + a * d * d)


class ScopedBaselines:
    """One :class:`RobustEwma` per scope key (``model:openai/gpt-4o``, ``user:alice``, ...).

    At most ``max_scopes`` are kept; the least recently used goes first. :meth:`track` follows runs
    of unusual values per scope (:meth:`observe`): ``shift_run`` of them in a row on the same side
    are a level shift, and the scope learns the new level from them.
    """

    def __init__(self, alpha: float, warmup: int, max_scopes: int = 10_000, shift_run: int = 5) -> None:
        self.alpha = alpha
        self.warmup = warmup
        self.max_scopes = max_scopes
        self.shift_run = shift_run
        self._scopes: OrderedDict[str, RobustEwma] = OrderedDict()
        self._runs: dict[str, tuple[int, list[float]]] = {}  # key -> (side, values of the run)

    def get(self, key: str) -> RobustEwma:
        found = self._scopes.get(key)
        if found is None:
            found = self._scopes[key] = RobustEwma(self.alpha, self.warmup)
            if len(self._scopes) > self.max_scopes:
                evicted, _ = self._scopes.popitem(last=False)
                self._runs.pop(evicted, None)
        else:
            self._scopes.move_to_end(key)
        return found

    def observe(self, key: str, side: int, x: float) -> bool:
        """Fold ``x`` into the scope's baseline; ``side`` says where the caller found it (+1 above the
        usual, -1 below, 0 usual). True when ``x`` completed a level shift.

        Unusual values are held back while their run lasts, so the run is judged against the
        baseline from before it. A run that ends early (a usual value, or one on the other side)
        is folded in then, in order; one that reaches ``shift_run`` values is a level shift and
        becomes the start of a fresh baseline, which learns the new level over its warm-up.
        """
        baseline = self.get(key)
        run = self._runs.get(key)
        if run is not None and run[0] != side:
            del self._runs[key]
            for held in run[1]:
                baseline.update(held)
            run = None
        if side == 0:
            baseline.update(x)
            return False
        if run is None:
            run = self._runs[key] = (side, [])
        run[1].append(x)
        if len(run[1]) < self.shift_run:
            return False
        del self._runs[key]
        fresh = self._scopes[key] = RobustEwma(self.alpha, self.warmup)
        for held in run[1]:
            fresh.update(held)
        return True
