"""Which provider a client talks to, from its class and ``base_url``.

Names are OpenTelemetry's ``gen_ai.provider.name`` values where one exists. An OpenAI client
pointed at another vendor's OpenAI-compatible endpoint is recorded under that vendor.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: Host suffix -> provider name, for OpenAI-compatible endpoints.
OPENAI_COMPATIBLE_HOSTS: dict[str, str] = {
    "api.openai.com": "openai",
    "openai.azure.com": "azure.ai.openai",
    "services.ai.azure.com": "azure.ai.inference",
    "openrouter.ai": "openrouter",
    "api.groq.com": "groq",
    "api.deepseek.com": "deepseek",
    "api.mistral.ai": "mistral_ai",
    "api.x.ai": "x_ai",
    "api.together.xyz": "together_ai",
    "api.fireworks.ai": "fireworks",
    "generativelanguage.googleapis.com": "gcp.gemini",
    "api.perplexity.ai": "perplexity",
    "api.cerebras.ai": "cerebras",
    "api.anthropic.com": "anthropic",
}

#: Well-known local ports of self-hosted OpenAI-compatible servers.
LOCAL_PORTS: dict[int, str] = {11434: "ollama", 8000: "vllm", 1234: "lmstudio"}

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def server_address(base_url: object) -> str | None:
    return urlsplit(str(base_url)).hostname


def provider_for(base_url: object, default: str) -> str:
    """The provider behind ``base_url``; ``default`` when the host says nothing more."""
    parts = urlsplit(str(base_url))
    host = (parts.hostname or "").lower()
    for suffix, name in OPENAI_COMPATIBLE_HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return name
    if host in _LOCAL_HOSTS and parts.port in LOCAL_PORTS:
        return LOCAL_PORTS[parts.port]
    return default
