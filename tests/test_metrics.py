"""The Prometheus metrics, fed by the real pipeline and scraped over HTTP."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from pathlib import Path

import openai
import pytest
from openai import OpenAI
from prometheus_client import REGISTRY

import agentwatch
from agentwatch.metrics import OTHER, Metrics
from agentwatch.model import Anomaly, LLMCall, Severity
from agentwatch.runtime import MonitorStatus
from agentwatch.storage import SQLiteStorage
from agentwatch.testing import Emulator
from tests.conftest import Recorder
from tests.metrics_scrape import scrape, serving, total, value


def event(model: str, **fields: object) -> LLMCall:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "event_id": f"e-{model}-{id(fields)}",
        "trace_id": "t",
        "span_id": "s",
        "provider": "openai",
        "operation": "chat",
        "request_model": model,
        "start_time": now,
        "end_time": now,
        "latency_ms": 250.0,
        **fields,
    }
    return LLMCall.model_validate(values)


def test_metrics_of_real_calls(emulator: Emulator, recorder: Recorder) -> None:
    monitor = agentwatch.get_monitor()
    metrics = Metrics(status=monitor.status)
    monitor.listeners.append(metrics.on_event)
    client = agentwatch.instrument(OpenAI(api_key="test", base_url=emulator.openai_base_url, max_retries=0))
    for i in range(5):
        usage = (
            f'{{"prompt_tokens": {10 + i}, "completion_tokens": {100 * i}, "total_tokens": {10 + 101 * i}}}'
        )
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-emulator-usage": usage},
        )
    client.embeddings.create(model="text-embedding-3-small", input="hello")
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-emulator-status": "500"},
        )
    events = recorder.events()
    store = SQLiteStorage(recorder.db_path)
    anomalies = store.anomalies(limit=100)
    store.close()

    with serving(metrics) as url:
        samples, content_type = scrape(url)

    assert content_type.startswith("text/plain; version=")  # the Prometheus text format
    chat = {"provider": "openai", "model": "gpt-4o-mini", "operation": "chat"}
    assert value(samples, "agentwatch_requests_total", **chat, status="ok") == 5
    assert value(samples, "agentwatch_requests_total", **chat, status="error") == 1
    assert value(samples, "agentwatch_errors_total", **chat) == 1
    embeddings = {"provider": "openai", "model": "text-embedding-3-small", "operation": "embeddings"}
    assert value(samples, "agentwatch_requests_total", **embeddings, status="ok") == 1
    ok_chat = [e for e in events if e.operation == "chat" and e.status == "ok"]
    assert value(samples, "gen_ai_client_token_usage_sum", **chat, token_type="input") == 60
    assert value(samples, "gen_ai_client_token_usage_sum", **chat, token_type="output") == 1000
    assert value(samples, "gen_ai_client_token_usage_count", **chat, token_type="output") == 5
    # one output count (the first call's 0) is at most 64 tokens
    assert value(samples, "gen_ai_client_token_usage_bucket", **chat, token_type="output", le="64.0") == 1
    assert value(samples, "gen_ai_client_operation_duration_seconds_count", **chat, status="ok") == 5
    assert value(
        samples, "gen_ai_client_operation_duration_seconds_sum", **chat, status="ok"
    ) == pytest.approx(sum(e.latency_ms for e in ok_chat) / 1000)
    priced = sum(e.cost.total_usd for e in events if e.cost is not None and e.cost.total_usd is not None)
    assert total(samples, "agentwatch_cost_usd_total") == pytest.approx(priced)
    assert total(samples, "agentwatch_unpriced_requests_total") == sum(
        1 for e in events if e.cost is None or e.cost.total_usd is None
    )
    assert anomalies, "the failed call raises a request_failure anomaly"
    for anomaly in anomalies:
        kind = {"type": anomaly.type, "severity": anomaly.severity.value}
        assert value(samples, "agentwatch_anomalies_total", **kind) == sum(
            1 for a in anomalies if (a.type, a.severity) == (anomaly.type, anomaly.severity)
        )
    assert value(samples, "agentwatch_events_written_total") == len(events) == 7
    assert value(samples, "agentwatch_events_submitted_total") == 7
    assert value(samples, "agentwatch_queue_depth") == 0
    assert value(samples, "agentwatch_events_dropped_total") == 0
    assert value(samples, "agentwatch_spool_events") == 0


def test_the_model_label_keeps_a_bounded_number_of_values() -> None:
    metrics = Metrics(max_models=3)
    for i in range(10):
        metrics.observe(event(f"model-{i}"))
    metrics.observe(event("model-1"))  # already known: keeps its own series
    metrics.observe(event("x" * 500))
    with serving(metrics) as url:
        samples, _ = scrape(url)
    models = {dict(labels)["model"] for (name, labels) in samples if name == "agentwatch_requests_total"}
    assert models == {"model-0", "model-1", "model-2", OTHER}
    ok_chat = {"provider": "openai", "operation": "chat", "status": "ok"}
    assert value(samples, "agentwatch_requests_total", **ok_chat, model=OTHER) == 8
    assert value(samples, "agentwatch_requests_total", **ok_chat, model="model-1") == 2
    assert value(samples, "agentwatch_metric_label_overflow_total", label="model") == 8


def test_long_label_values_are_cut() -> None:
    metrics = Metrics()
    metrics.observe(event("m" * 500))
    with serving(metrics) as url:
        samples, _ = scrape(url)
    [model] = {dict(labels)["model"] for (name, labels) in samples if name == "agentwatch_requests_total"}
    assert model == "m" * 100


def test_each_instance_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.observe(event("gpt-4o"))
    first.observe_anomalies(
        [Anomaly(anomaly_id="a", type="high_cost", severity=Severity.HIGH, description="")]
    )
    with serving(second) as url:
        samples, _ = scrape(url)
    assert total(samples, "agentwatch_requests_total") == 0
    assert total(samples, "agentwatch_anomalies_total") == 0
    assert REGISTRY.get_sample_value("agentwatch_requests_total") is None


def test_remote_mode_health_is_exported() -> None:
    status = MonitorStatus(
        queue_depth=3,
        submitted=10,
        written=7,
        pending=0,
        dropped=2,
        errors=1,
        stage_failures={},
        spooled=5,
        sent=4,
    )
    with serving(Metrics(status=lambda: status)) as url:
        samples, _ = scrape(url)
    assert value(samples, "agentwatch_queue_depth") == 3
    assert value(samples, "agentwatch_spool_events") == 5
    assert value(samples, "agentwatch_events_sent_total") == 4
    assert value(samples, "agentwatch_events_dropped_total") == 2
    assert value(samples, "agentwatch_internal_errors_total") == 1


def test_a_failing_status_leaves_the_other_metrics_scrapable(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> MonitorStatus:
        raise RuntimeError("gone")

    metrics = Metrics(status=broken)
    metrics.observe(event("gpt-4o"))
    with serving(metrics) as url:
        samples, _ = scrape(url)
    assert total(samples, "agentwatch_requests_total") == 1
    assert not any(name == "agentwatch_queue_depth" for name, _ in samples)
    assert "could not read the monitor's status" in caplog.text


def test_the_readme_example_exports_an_apps_own_metrics(emulator: Emulator, recorder: Recorder) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    [example] = [
        block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "start_http_server" in block
    ]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert "9464" in example
    namespace: dict[str, object] = {}
    exec(example.replace("9464", f"{port}, addr='127.0.0.1'"), namespace)  # the example, on a free port
    client = agentwatch.instrument(OpenAI(api_key="test", base_url=emulator.openai_base_url, max_retries=0))
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert agentwatch.flush(10)
    samples, _ = scrape(f"http://127.0.0.1:{port}/metrics")
    labels = {"provider": "openai", "model": "gpt-4o-mini", "operation": "chat", "status": "ok"}
    assert value(samples, "agentwatch_requests_total", **labels) == 1
    assert value(samples, "agentwatch_events_written_total") == 1
