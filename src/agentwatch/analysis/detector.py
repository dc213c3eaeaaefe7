"""``AnomalyDetector``: every rule in one place, for the monitor's worker and for direct use.

Two ways in:

- ``analyze_batch(events, spent)`` (the worker): per-event rules, per-scope baselines, sliding
  windows, repeats and budgets, with state kept between calls. Returns what was raised and
  which open window anomalies are over.
- ``analyze_event(event, recent_events)`` (the seed's API): per-event rules, and spikes against
  the mean of ``recent_events``; stateless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agentwatch.analysis.budgets import BudgetRule, SpendLookup
from agentwatch.analysis.evidence import Evidence
from agentwatch.analysis.repeats import RepeatRule
from agentwatch.analysis.rules import Baseline, EventRules
from agentwatch.analysis.settings import AnomalySettings, BudgetSettings
from agentwatch.analysis.spikes import SpikeRules
from agentwatch.analysis.windows import WindowRules
from agentwatch.model import Anomaly, LLMCall

log = logging.getLogger(__name__)


@dataclass
class Findings:
    """What one batch raised, per event, and the window anomalies it resolved."""

    per_event: list[tuple[LLMCall, list[Anomaly]]] = field(default_factory=list)
    resolved: list[Anomaly] = field(default_factory=list)

    @property
    def raised(self) -> list[Anomaly]:
        return [a for _, found in self.per_event for a in found]


class AnomalyDetector:
    """All anomaly rules. ``config``: an :class:`AnomalySettings` or a mapping of its fields."""

    def __init__(
        self,
        config: AnomalySettings | Mapping[str, Any] | None = None,
        *,
        budgets: BudgetSettings | None = None,
        id_factory: Callable[[], str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        settings = config if isinstance(config, AnomalySettings) else AnomalySettings(**dict(config or {}))
        self.settings = settings
        evidence = Evidence(id_factory, clock)
        self.rules = EventRules(settings, evidence)
        self.spikes = SpikeRules(settings, evidence)
        self.windows = WindowRules(settings, evidence, clock=clock)
        self.clock = clock
        self.repeats = RepeatRule(settings, evidence)
        self.budgets = BudgetRule(settings, budgets or BudgetSettings(), evidence)
        self.failures = 0  # events the rules failed on (counted, logged once)

    def analyze_event(self, event: LLMCall, recent_events: list[LLMCall] | None = None) -> list[Anomaly]:
        """The seed's call: per-event rules, and spikes against the mean of ``recent_events``."""
        if not self.settings.enabled:
            return []
        return [
            *self.rules.analyze(event),
            *self.rules.spikes_against(event, Baseline.of(recent_events or [])),
        ]

    def observe(self, event: LLMCall) -> tuple[list[Anomaly], list[Anomaly]]:
        """Stateful analysis of one event: (raised, resolved). Budgets need :meth:`analyze_batch`."""
        if not self.settings.enabled:
            return [], []
        found = [*self.rules.analyze(event), *self.spikes.observe(event), *self.repeats.observe(event)]
        raised, resolved = self.windows.observe(event)
        return [*found, *raised], resolved

    def expire(self, now: datetime | None = None) -> list[Anomaly]:
        """Window anomalies that time alone has resolved (no event needed): call it now and then."""
        if not self.settings.enabled:
            return []
        at = now or (self.clock() if self.clock is not None else datetime.now(UTC))
        return self.windows.expire(at.timestamp())

    def analyze_batch(self, events: list[LLMCall], spent: SpendLookup | None = None) -> Findings:
        """Analyse a stored batch in order; ``spent`` reads a budget period's spend from the store."""
        result = Findings()
        for event in events:
            try:
                raised, resolved = self.observe(event)
            except Exception:
                self.failures += 1
                if self.failures == 1:
                    log.exception("agentwatch: anomaly rules failed on event %s", event.event_id)
                raised, resolved = [], []
            result.per_event.append((event, raised))
            result.resolved.extend(resolved)
        if self.settings.enabled:
            by_id = {event.event_id: found for event, found in result.per_event}
            try:
                over = self.budgets.observe_batch(events, spent)
            except Exception:  # the store could not say what was spent: only the budgets wait
                self.failures += 1
                log.warning("agentwatch: budgets not checked for this batch", exc_info=True)
                over = []
            for anomaly in over:
                by_id[anomaly.event_ids[0]].append(anomaly)
        return result
