"""Channels built from ``[agentwatch.alerts]``: one constructor per ``type``, as a plugin would add one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentwatch.alerting.channel import Channel
from agentwatch.alerting.delivery import Record
from agentwatch.alerting.dispatcher import AlertDispatcher
from agentwatch.alerting.settings import AlertSettings, Route

# Each channel's module is imported when a channel of its type is configured, not with agentwatch:
# the console needs Rich, email smtplib, and an app with no channels needs neither.


def _console(name: str, _settings: Any) -> Channel:
    from agentwatch.alerting.console import ConsoleChannel

    return ConsoleChannel(name)


def _webhook(name: str, settings: Any) -> Channel:
    from agentwatch.alerting.webhook import WebhookChannel

    return WebhookChannel(name, settings)


def _slack(name: str, settings: Any) -> Channel:
    from agentwatch.alerting.slack import SlackChannel

    return SlackChannel(name, settings)


def _pagerduty(name: str, settings: Any) -> Channel:
    from agentwatch.alerting.pagerduty import PagerDutyChannel

    return PagerDutyChannel(name, settings)


def _email(name: str, settings: Any) -> Channel:
    from agentwatch.alerting.email import EmailChannel

    return EmailChannel(name, settings)


CHANNEL_TYPES: dict[str, Callable[[str, Any], Channel]] = {
    "console": _console,
    "webhook": _webhook,
    "slack": _slack,
    "pagerduty": _pagerduty,
    "email": _email,
}


def build_channels(settings: AlertSettings) -> list[tuple[Channel, Route]]:
    return [(CHANNEL_TYPES[spec.type](name, spec), spec) for name, spec in settings.channels.items()]


def build_dispatcher(settings: AlertSettings, record: Record | None = None) -> AlertDispatcher | None:
    """The dispatcher for the configured channels; None when there are none."""
    if not settings.channels:
        return None
    return AlertDispatcher(build_channels(settings), settings, record=record)
