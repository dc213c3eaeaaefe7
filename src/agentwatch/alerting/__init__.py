"""Alerting: where anomalies go once found.

The monitor hands every anomaly to each :class:`AlertSink` on its worker thread: the log
(:class:`LogAlerts`, the default) and, when ``[agentwatch.alerts]`` names channels, the
:class:`AlertDispatcher`, which routes, deduplicates and delivers off the worker.
"""

from __future__ import annotations

import logging
from typing import Protocol

from agentwatch.alerting.channel import Channel, DeliveryError, Notice
from agentwatch.alerting.delivery import Sender
from agentwatch.alerting.dispatcher import AlertDispatcher
from agentwatch.alerting.factory import build_channels, build_dispatcher
from agentwatch.alerting.settings import AlertSettings
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


__all__ = [
    "AlertDispatcher",
    "AlertSettings",
    "AlertSink",
    "Channel",
    "DeliveryError",
    "LogAlerts",
    "Notice",
    "Sender",
    "build_channels",
    "build_dispatcher",
]
