"""PagerDuty Events API v2: ``trigger`` with the anomaly's fingerprint as ``dedup_key``, ``resolve``
with the same key when the anomaly is over (a window back under its threshold, or resolved by hand).
"""

from __future__ import annotations

from typing import Any

from agentwatch.alerting.channel import Notice, evidence
from agentwatch.alerting.http import post_json
from agentwatch.alerting.settings import PagerDutyChannelSettings
from agentwatch.model import Severity

#: PagerDuty's severities are critical, error, warning and info.
PD_SEVERITY = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "info",
}


class PagerDutyChannel:
    resolves = True

    def __init__(self, name: str, settings: PagerDutyChannelSettings) -> None:
        self.name = name
        self.settings = settings

    def event(self, notice: Notice) -> dict[str, Any]:
        anomaly = notice.anomaly
        event: dict[str, Any] = {
            "routing_key": self.settings.routing_key,
            "event_action": notice.action,
            "dedup_key": anomaly.fingerprint or anomaly.anomaly_id,
        }
        if notice.action == "trigger":
            payload = {
                "summary": f"{anomaly.type}: {anomaly.description}"[:1024],
                "source": self.settings.source,
                "severity": PD_SEVERITY[anomaly.severity],
                "timestamp": anomaly.detected_at.isoformat(),
                "component": anomaly.scope.get("model")
                or anomaly.scope.get("agent")
                or anomaly.scope.get("user"),
                "class": anomaly.type,
                "custom_details": evidence(anomaly),
            }
            event["payload"] = {k: v for k, v in payload.items() if v is not None}
        return event

    def deliver(self, notice: Notice) -> int | None:
        return post_json(self.settings.url, self.event(notice), self.settings.timeout)
