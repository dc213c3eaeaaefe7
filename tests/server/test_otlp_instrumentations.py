"""Real OpenTelemetry SDKs exporting OTLP/HTTP to the server: OpenLLMetry's and OpenInference's
instrumentations of a real openai client calling the emulator, each in an app process of its own
(:mod:`tests.server.otel_app`). The stored events carry the model and the tokens the emulator
reported, priced by the server's pipeline like an SDK-captured call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentwatch.testing import Emulator
from tests.server.conftest import Served

ROOT = Path(__file__).parent.parent.parent


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("instrumentation", ["openllmetry", "openinference"])
def test_instrumented_apps_spans_become_events(
    served: Served, emulator: Emulator, instrumentation: str, stream: bool
) -> None:
    args = [instrumentation, f"{served.url}/v1/traces", served.ingest_key, emulator.openai_base_url]
    subprocess.run(
        [sys.executable, "-m", "tests.server.otel_app", *args, *(["--stream"] if stream else [])],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    [event] = served.events()
    assert event.provider == "openai"
    assert event.operation == "chat"
    assert event.request_model == "gpt-4o-mini"
    assert event.response_model is not None and event.response_model.startswith("gpt-4o-mini")
    assert (event.usage.input_tokens, event.usage.output_tokens) == (33, 8)
    # gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output (openai.com/api/pricing)
    assert event.cost is not None and event.cost.total_usd == pytest.approx(
        (33 * 0.15 + 8 * 0.60) / 1e6, abs=1e-12
    )
    assert event.stream is stream
    assert event.metadata["service.name"] == "otel-app"
    assert len(event.trace_id) == 32 and len(event.span_id) == 16
