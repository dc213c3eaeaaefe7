"""Analysis: rules that turn events into anomalies with evidence."""

from __future__ import annotations

from agentwatch.analysis.rules import Baseline, EventRules, RecentEvents, RuleConfig

__all__ = ["Baseline", "EventRules", "RecentEvents", "RuleConfig"]
