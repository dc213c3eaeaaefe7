"""Analysis: rules, per-scope baselines and sliding windows that turn events into anomalies."""

from __future__ import annotations

from agentwatch.analysis.baseline import RobustEwma, ScopedBaselines
from agentwatch.analysis.catalogue import ANOMALY_TYPES, AnomalyType
from agentwatch.analysis.changes import ChangeDetector, EntropyTest
from agentwatch.analysis.detector import AnomalyDetector, Findings
from agentwatch.analysis.fingerprint import CallFingerprints
from agentwatch.analysis.rules import Baseline, EventRules
from agentwatch.analysis.settings import AnomalySettings, Budget, BudgetSettings

__all__ = [
    "ANOMALY_TYPES",
    "AnomalyDetector",
    "AnomalySettings",
    "AnomalyType",
    "Baseline",
    "Budget",
    "BudgetSettings",
    "CallFingerprints",
    "ChangeDetector",
    "EntropyTest",
    "EventRules",
    "Findings",
    "RobustEwma",
    "ScopedBaselines",
]
