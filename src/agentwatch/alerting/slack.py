"""Slack incoming webhook: a Block Kit message (header, evidence fields, the recommended action)."""

from __future__ import annotations

from typing import Any

from agentwatch.alerting.channel import Notice, summary
from agentwatch.alerting.http import post_json
from agentwatch.alerting.settings import SlackChannelSettings
from agentwatch.model import Anomaly

_EMOJI = {
    "low": ":large_green_circle:",
    "medium": ":large_yellow_circle:",
    "high": ":red_circle:",
    "critical": ":rotating_light:",
}


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.4g}"


def blocks(anomaly: Anomaly) -> list[dict[str, Any]]:
    fields = [
        ("Severity", anomaly.severity.value),
        ("Scope", ", ".join(f"{k}={v}" for k, v in anomaly.scope.items()) or "—"),
        ("Observed", _number(anomaly.observed)),
        ("Threshold", _number(anomaly.threshold)),
        ("Window", anomaly.window or "—"),
        ("Events", ", ".join(anomaly.event_ids[:5]) or "—"),
    ]
    return [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{_EMOJI[anomaly.severity.value]} {anomaly.type}"[:150]},
        },
        {"type": "section", "text": {"type": "plain_text", "text": anomaly.description[:3000]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields]},
        {
            "type": "context",
            "elements": [
                {"type": "plain_text", "text": f"Action: {anomaly.recommended_action or '—'}"[:3000]}
            ],
        },
    ]


class SlackChannel:
    resolves = False

    def __init__(self, name: str, settings: SlackChannelSettings) -> None:
        self.name = name
        self.settings = settings

    def deliver(self, notice: Notice) -> int | None:
        message = {"text": summary(notice.anomaly), "blocks": blocks(notice.anomaly)}
        return post_json(self.settings.url, message, self.settings.timeout)
