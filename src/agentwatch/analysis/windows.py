"""Window rules on sliding windows: high_error_rate, model_errors, high_request_rate, high_cost_rate.

A window is 60 buckets of ``span / 60`` seconds, keyed by the events' own end times, so memory
and work per event are constant however busy the process is. A rule fires once when its window
crosses the threshold and is *resolved* when a later event finds it back under, or when the clock
moves its window past the events that breached it (:meth:`WindowRules.expire`, which the monitor
calls while idle: a burst of errors followed by silence does not stay open forever); the monitor
marks the anomaly resolved and tells the channels that can close an incident (PagerDuty).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from agentwatch.analysis.catalogue import fingerprint
from agentwatch.analysis.evidence import Evidence, model_scope
from agentwatch.analysis.rules import cost_of
from agentwatch.analysis.settings import AnomalySettings
from agentwatch.model import Anomaly, LLMCall, Status

BUCKETS = 60
#: How far past the clock an event's time may move the windows (client clocks drift).
MAX_AHEAD_S = 300.0
EVIDENCE_IDS = 10


class SlidingWindow:
    """Requests, errors and cost over the last ``span`` seconds, in buckets."""

    __slots__ = ("buckets", "cost", "errors", "fingerprint", "ids", "requests", "width")

    def __init__(self, span: float) -> None:
        self.width = span / BUCKETS
        self.buckets: deque[list[float]] = deque()  # [index, requests, errors, cost]
        self.requests = 0
        self.errors = 0
        self.cost = 0.0
        self.ids: deque[str] = deque(maxlen=EVIDENCE_IDS)  # recent (error) events: the evidence
        self.fingerprint = ""  # of the anomaly this window raises

    def add(self, ts: float, *, error: bool, cost: float, event_id: str, note: bool) -> None:
        index = int(ts // self.width)
        if self.buckets and index <= self.buckets[-1][0]:
            if index <= self.buckets[-1][0] - BUCKETS:
                return  # older than the window
            bucket = self.buckets[-1]  # a late event counts in the newest bucket
        else:
            bucket = [index, 0, 0, 0.0]
            self.buckets.append(bucket)
            self._expire(index)
        bucket[1] += 1
        bucket[2] += error
        bucket[3] += cost
        self.requests += 1
        self.errors += error
        self.cost += cost
        if note:
            self.ids.append(event_id)

    def advance(self, ts: float) -> None:
        """Drop what lies more than ``span`` seconds before ``ts`` (no event added)."""
        self._expire(int(ts // self.width))

    def _expire(self, newest: int) -> None:
        while self.buckets and self.buckets[0][0] <= newest - BUCKETS:
            _, requests, errors, cost = self.buckets.popleft()
            self.requests -= int(requests)
            self.errors -= int(errors)
            self.cost -= cost
        if not self.buckets or self.requests == 0:
            self.cost = 0.0  # no float residue once empty

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def _span(seconds: float) -> str:
    """A window's length as people write it: 30s, 5m, 1h, 1d."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


@dataclass
class _Rule:
    type: str
    span: float
    breached: Callable[[SlidingWindow], bool]
    describe: Callable[[SlidingWindow], str]
    observed: Callable[[SlidingWindow], float]
    threshold: float
    windows: OrderedDict[str, SlidingWindow] = field(default_factory=OrderedDict)


class WindowRules:
    def __init__(
        self,
        settings: AnomalySettings,
        evidence: Evidence,
        max_scopes: int = 10_000,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        s = self.settings = settings
        self.evidence = evidence
        self.clock = clock  # given, no event counts as later than it by more than MAX_AHEAD_S
        self.max_scopes = max_scopes
        self.active: dict[str, Anomaly] = {}  # fingerprint -> the open anomaly
        er = s.error_rate_threshold
        self._global = [
            _Rule(
                "high_error_rate",
                s.error_rate_window_s,
                lambda w: w.requests >= s.error_rate_min_requests and w.error_rate > er,
                lambda w: f"Error rate {w.error_rate:.0%} ({w.errors}/{w.requests}) above {er:.0%}",
                lambda w: w.error_rate,
                er,
            ),
            _Rule(
                "high_request_rate",
                s.request_rate_window_s,
                lambda w: w.requests > s.request_rate_threshold,
                lambda w: (
                    f"{w.requests} requests in {_span(s.request_rate_window_s)}, above {s.request_rate_threshold}"
                ),
                lambda w: w.requests,
                s.request_rate_threshold,
            ),
            _Rule(
                "high_cost_rate",
                s.cost_rate_window_s,
                lambda w: w.cost > s.cost_rate_threshold_usd,
                lambda w: (
                    f"${w.cost:.2f} spent in {_span(s.cost_rate_window_s)}, above ${s.cost_rate_threshold_usd:.2f}"
                ),
                lambda w: w.cost,
                s.cost_rate_threshold_usd,
            ),
        ]
        self._per_model = _Rule(
            "model_errors",
            s.error_rate_window_s,
            lambda w: w.errors >= s.model_errors_min and w.error_rate > er,
            lambda w: f"{w.errors} of {w.requests} calls to this model failed ({w.error_rate:.0%})",
            lambda w: w.errors,
            s.model_errors_min,
        )
        self._global = [r for r in self._global if s.enabled_type(r.type)]

    def observe(self, event: LLMCall) -> tuple[list[Anomaly], list[Anomaly]]:
        """(anomalies raised, anomalies resolved) after counting ``event``."""
        raised: list[Anomaly] = []
        resolved: list[Anomaly] = []
        ts = event.end_time.timestamp()
        if self.clock is not None:
            # one event from a client whose clock runs ahead must not push every window past
            # the events of everyone else
            ts = min(ts, self.clock().timestamp() + MAX_AHEAD_S)
        error = event.status is Status.ERROR
        cost = cost_of(event) or 0.0
        checks: list[tuple[_Rule, str, dict[str, str]]] = [(r, "", {}) for r in self._global]
        if self.settings.enabled_type("model_errors"):
            scope = model_scope(event)
            checks.append((self._per_model, "/".join(scope.values()), scope))
        for rule, key, scope in checks:
            window = self._window(rule, key)
            note = error if rule.type in ("high_error_rate", "model_errors") else True
            window.add(ts, error=error, cost=cost, event_id=event.event_id, note=note)
            self._judge(rule, window, scope, raised, resolved)
        return raised, resolved

    def expire(self, now: float) -> list[Anomaly]:
        """The open anomalies whose windows, moved on to ``now`` (epoch seconds), are back under
        their thresholds; they are closed."""
        resolved: list[Anomaly] = []
        if not self.active:
            return resolved
        for rule in (*self._global, self._per_model):
            for window in rule.windows.values():
                if window.fingerprint in self.active:
                    window.advance(now)
                    if not rule.breached(window):
                        resolved.append(self.active.pop(window.fingerprint))
        return resolved

    def _window(self, rule: _Rule, key: str) -> SlidingWindow:
        window = rule.windows.get(key)
        if window is None:
            window = rule.windows[key] = SlidingWindow(rule.span)
            if len(rule.windows) > self.max_scopes:
                rule.windows.popitem(last=False)
        else:
            rule.windows.move_to_end(key)
        return window

    def _judge(
        self,
        rule: _Rule,
        window: SlidingWindow,
        scope: dict[str, str],
        raised: list[Anomaly],
        resolved: list[Anomaly],
    ) -> None:
        fp = window.fingerprint or fingerprint(rule.type, scope)
        window.fingerprint = fp
        open_one = self.active.get(fp)
        if rule.breached(window):
            if open_one is None:
                anomaly = self.evidence.anomaly(
                    rule.type,
                    rule.describe(window),
                    scope=scope,
                    event_ids=list(window.ids),
                    observed=rule.observed(window),
                    threshold=rule.threshold,
                    window=_span(rule.span),
                )
                self.active[fp] = anomaly
                raised.append(anomaly)
        elif open_one is not None:
            del self.active[fp]
            resolved.append(open_one)
