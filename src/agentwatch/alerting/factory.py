"""Channels built from ``[agentwatch.alerts]``: one constructor per ``type``, as a plugin would add one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentwatch.alerting.channel import Channel
from agentwatch.alerting.console import ConsoleChannel
from agentwatch.alerting.delivery import Record
from agentwatch.alerting.dispatcher import AlertDispatcher
from agentwatch.alerting.email import EmailChannel
from agentwatch.alerting.pagerduty import PagerDutyChannel
from agentwatch.alerting.settings import AlertSettings, Route
from agentwatch.alerting.slack import SlackChannel
from agentwatch.alerting.webhook import WebhookChannel

CHANNEL_TYPES: dict[str, Callable[[str, Any], Channel]] = {
    "console": lambda name, _settings: ConsoleChannel(name),
    "webhook": WebhookChannel,
    "slack": SlackChannel,
    "pagerduty": PagerDutyChannel,
    "email": EmailChannel,
}


def build_channels(settings: AlertSettings) -> list[tuple[Channel, Route]]:
    return [(CHANNEL_TYPES[spec.type](name, spec), spec) for name, spec in settings.channels.items()]


def build_dispatcher(settings: AlertSettings, record: Record | None = None) -> AlertDispatcher | None:
    """The dispatcher for the configured channels; None when there are none."""
    if not settings.channels:
        return None
    return AlertDispatcher(build_channels(settings), settings, record=record)
