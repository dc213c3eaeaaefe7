"""An app instrumented with OpenTelemetry, exporting OTLP/HTTP to agentwatch serve.

Run in its own process by the tests: the instrumentations patch the ``openai`` module globally,
and OpenLLMetry's ``uninstrument()`` leaves its wrapper in place, so they must not share the
test process. ``python -m tests.server.otel_app openllmetry|openinference ENDPOINT KEY BASE_URL [--stream]``
"""

from __future__ import annotations

import importlib
import json
import sys

import openai
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

INSTRUMENTATIONS = {
    "openllmetry": "opentelemetry.instrumentation.openai",
    "openinference": "openinference.instrumentation.openai",
}
USAGE = json.dumps({"prompt_tokens": 33, "completion_tokens": 8, "total_tokens": 41})


def main(name: str, endpoint: str, key: str, base_url: str, stream: bool) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-app"}))
    exporter = OTLPSpanExporter(endpoint=endpoint, headers={"Authorization": f"Bearer {key}"})
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    importlib.import_module(INSTRUMENTATIONS[name]).OpenAIInstrumentor().instrument(tracer_provider=provider)
    client = openai.OpenAI(api_key="test", base_url=base_url, max_retries=0)
    request = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "extra_headers": {"x-emulator-usage": USAGE},
    }
    if stream:
        for _ in client.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        ):
            pass
    else:
        client.chat.completions.create(**request)
    provider.shutdown()  # exports what is left, synchronously


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], "--stream" in sys.argv[5:])
