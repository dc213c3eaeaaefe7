"""Detectors: PII, secrets and prompt injection, each family a plugin of :mod:`.base`."""

from __future__ import annotations

from agentwatch.detectors.base import Detector, DetectorFactory, DetectorRegistry, default_registry, scan

__all__ = ["Detector", "DetectorFactory", "DetectorRegistry", "default_registry", "scan"]
