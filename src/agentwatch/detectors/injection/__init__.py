"""Prompt injection and jailbreak detection: rules for the known families and a small classifier.

Both score in [0, 1] and report findings of ``kind="injection"`` at or above one threshold, by
default the one chosen on validation data when the shipped weights were trained
(``injection_threshold`` overrides it). Texts longer than 12,000 characters are scanned in part:
their first 8,000 and last 4,000 characters.
"""

from __future__ import annotations

from agentwatch.detectors.injection.classifier import InjectionClassifier, shipped_weights
from agentwatch.detectors.injection.heuristics import InjectionHeuristics

FAMILIES = ("instruction_override", "prompt_extraction", "jailbreak", "indirect_injection", "obfuscation")


def default_threshold() -> float:
    """The threshold chosen on validation data (out-of-fold scores), shipped with the weights."""
    return shipped_weights().threshold


def detectors(injection_threshold: float | None = None) -> list[InjectionHeuristics | InjectionClassifier]:
    """The injection detectors, flagging at ``injection_threshold`` (default: :func:`default_threshold`)."""
    threshold = default_threshold() if injection_threshold is None else injection_threshold
    return [InjectionHeuristics(threshold), InjectionClassifier(threshold)]


__all__ = ["FAMILIES", "InjectionClassifier", "InjectionHeuristics", "default_threshold", "detectors"]
