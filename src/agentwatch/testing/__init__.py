"""A local OpenAI- and Anthropic-compatible provider emulator.

Point the real ``openai`` and ``anthropic`` SDKs at it (``base_url``) to exercise
code that calls LLMs without a network, deterministically and fast::

    from agentwatch.testing import Emulator

    with Emulator() as emulator:
        client = openai.OpenAI(api_key="test", base_url=emulator.openai_base_url)
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

Endpoints: ``POST /v1/chat/completions``, ``/v1/responses``, ``/v1/embeddings``
(OpenAI), ``POST /v1/messages`` (Anthropic), ``GET /v1/models``, ``GET /health``.
Per-request behaviour (errors, latency, usage, tool calls, content, stream
errors, ...) is steered with ``x-emulator-*`` headers: see
:mod:`agentwatch.testing.controls`.
"""

from agentwatch.testing.app import create_app
from agentwatch.testing.server import Emulator, serve

__all__ = ["Emulator", "create_app", "serve"]
