"""Capture: instrument provider SDK clients so each call leaves a :class:`RawCall`.

One module per SDK; each offers ``matches``, ``default_provider`` and ``instrument``
(the :class:`Integration` protocol), and is looked up in :data:`INTEGRATIONS` in order.
"""

from __future__ import annotations

from typing import Any, Protocol

from agentwatch.capture import anthropic as _anthropic
from agentwatch.capture import openai as _openai
from agentwatch.capture import stainless
from agentwatch.capture.record import ClientDefaults, RawCall
from agentwatch.capture.stainless import Submit


class Integration(Protocol):
    def matches(self, client: Any) -> bool: ...
    def default_provider(self, client: Any) -> str: ...
    def instrument(self, client: Any, defaults: ClientDefaults, submit: Submit) -> None: ...


INTEGRATIONS: list[Integration] = [_openai, _anthropic]


class UnsupportedClientError(TypeError):
    """``instrument()`` was given an object no integration knows."""


def find_integration(client: Any) -> Integration:
    for integration in INTEGRATIONS:
        if integration.matches(client):
            return integration
    raise UnsupportedClientError(
        f"agentwatch cannot instrument {type(client).__module__}.{type(client).__qualname__}: "
        "supported are openai.OpenAI/AsyncOpenAI (and Azure) and anthropic.Anthropic/AsyncAnthropic"
    )


__all__ = [
    "INTEGRATIONS",
    "ClientDefaults",
    "Integration",
    "RawCall",
    "UnsupportedClientError",
    "find_integration",
    "stainless",
]
