"""Capture for the ``anthropic`` SDK: ``Anthropic`` and ``AsyncAnthropic``."""

from __future__ import annotations

from typing import Any

from agentwatch.capture import stainless
from agentwatch.capture.providers import provider_for
from agentwatch.capture.record import ClientDefaults

#: Request path -> the API it belongs to; other paths pass through unrecorded.
ROUTES = {
    "/v1/messages": "messages",
    "/v1/messages?beta=true": "messages",
}


def matches(client: Any) -> bool:
    try:
        import anthropic
    except ImportError:
        return False
    return isinstance(client, anthropic.Anthropic | anthropic.AsyncAnthropic)


def default_provider(client: Any) -> str:
    return provider_for(client.base_url, "anthropic")


def instrument(client: Any, defaults: ClientDefaults, submit: stainless.Submit) -> None:
    import anthropic

    stainless.wrap_client(
        client,
        routes=ROUTES,
        defaults=defaults,
        submit=submit,
        is_async=isinstance(client, anthropic.AsyncAnthropic),
    )
