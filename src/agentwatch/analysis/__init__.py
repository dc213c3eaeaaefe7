"""Analysis: rules that turn events into anomalies with evidence."""

from __future__ import annotations

from agentwatch.analysis.rules import EventRules, RecentEvents, RuleConfig

__all__ = ["EventRules", "RecentEvents", "RuleConfig"]
