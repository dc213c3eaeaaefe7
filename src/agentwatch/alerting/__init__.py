"""Alerting: where anomalies go once found. Each destination implements :class:`AlertSink`."""

from __future__ import annotations

import logging
from typing import Protocol

from agentwatch.model import Anomaly

log = logging.getLogger("agentwatch.alerts")


class AlertSink(Protocol):
    def send(self, anomaly: Anomaly) -> None: ...


class LogAlerts:
    """The default: one warning per anomaly on the ``agentwatch.alerts`` logger."""

    def send(self, anomaly: Anomaly) -> None:
        log.warning(
            "%s [%s] %s (%s)",
            anomaly.type,
            anomaly.severity.value,
            anomaly.description,
            ", ".join(f"{k}={v}" for k, v in anomaly.scope.items()),
        )


__all__ = ["AlertSink", "LogAlerts"]
