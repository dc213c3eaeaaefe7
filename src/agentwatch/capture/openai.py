"""Capture for the ``openai`` SDK: ``OpenAI``, ``AsyncOpenAI`` and their Azure variants."""

from __future__ import annotations

from typing import Any

from agentwatch.capture import stainless
from agentwatch.capture.providers import provider_for
from agentwatch.capture.record import ClientDefaults

#: Request path -> the API it belongs to; other paths pass through unrecorded.
ROUTES = {
    "/chat/completions": "chat.completions",
    "/responses": "responses",
    "/embeddings": "embeddings",
    "/completions": "completions",
}


def matches(client: Any) -> bool:
    try:
        import openai
    except ImportError:
        return False
    return isinstance(client, openai.OpenAI | openai.AsyncOpenAI)


def default_provider(client: Any) -> str:
    import openai

    if isinstance(client, openai.AzureOpenAI | openai.AsyncAzureOpenAI):
        return "azure.ai.openai"
    return provider_for(client.base_url, "openai")


def instrument(client: Any, defaults: ClientDefaults, submit: stainless.Submit) -> None:
    import openai

    stainless.wrap_client(
        client,
        routes=ROUTES,
        defaults=defaults,
        submit=submit,
        is_async=isinstance(client, openai.AsyncOpenAI),
    )
