"""The seed's names and its README's "Example 1" keep working with only the imports changed."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anthropic
import openai

from agentwatch import AnomalyDetector, AnthropicCollector, EventAggregator, EventStorage, OpenAICollector
from agentwatch.model import Cost, LLMCall, Status
from agentwatch.storage import EventFilter, SQLiteStorage
from agentwatch.testing import Emulator

# The seed README's Example 1, verbatim except for the import lines.
EXAMPLE_1 = """
import asyncio
from openai import OpenAI
from agentwatch import OpenAICollector
from agentwatch import EventProcessor
from agentwatch import AnomalyDetector
from agentwatch import EventStorage

# Inicjalizacja
storage = EventStorage()
processor = EventProcessor()
analyzer = AnomalyDetector()

# Handler dla zdarzeń
async def handle_event(event):
    # Przetwórz
    event = processor.process_event(event)

    # Zapisz
    storage.store_event(event)

    # Analizuj
    anomalies = analyzer.analyze_event(event, [])
    for anomaly in anomalies:
        storage.store_anomaly(anomaly)
        print(f"🚨 {anomaly.description}")

# Użyj monitorowanego klienta
client = OpenAI()
monitored_client = OpenAICollector(
    client,
    event_handler=handle_event,
    user_id="user123"
)

# Normalne wywołania - automatycznie monitorowane!
response = monitored_client.client.chat.completions.create(
    model="gpt-3.5-turbo",
    messages=[{"role": "user", "content": "Hello!"}]
)
"""


def test_seed_example_1_runs_unchanged(emulator: Emulator, tmp_path: Path) -> None:
    db = tmp_path / "seed.db"
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": emulator.openai_base_url,
        "AGENTWATCH_DATABASE": f"sqlite:///{db}",
    }
    result = subprocess.run(
        [sys.executable, "-c", EXAMPLE_1],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (event,) = SQLiteStorage(db).events(EventFilter(), 10)
    assert (event.user_id, event.request_model, event.status) == ("user123", "gpt-3.5-turbo", Status.OK)
    assert event.usage.input_tokens and event.usage.output_tokens


def test_collector_without_handler_uses_the_default_monitor(emulator: Emulator, recorder: object) -> None:
    collector = AnthropicCollector(
        anthropic.Anthropic(api_key="k", base_url=emulator.anthropic_base_url), user_id="u9"
    )
    collector.client.messages.create(
        model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "x"}]
    )
    assert collector.flush(5)
    assert [e.user_id for e in recorder.events()] == ["u9"]  # type: ignore[attr-defined]


def test_sync_handler_sees_failures(emulator: Emulator) -> None:
    seen: list[LLMCall] = []
    collector = OpenAICollector(
        openai.OpenAI(api_key="k", base_url=emulator.openai_base_url, max_retries=0),
        event_handler=seen.append,
    )
    with contextlib.suppress(openai.InternalServerError):
        collector.client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-emulator-status": "500"},
        )
    assert collector.flush(5)
    assert [e.status for e in seen] == [Status.ERROR]
    assert [a.type for a in AnomalyDetector().analyze_event(seen[0], [])] == ["request_failure"]


def test_anomaly_detector_config_and_spikes() -> None:
    now = datetime.now(UTC)

    def call(i: int, latency: float, cost: float) -> LLMCall:
        return LLMCall(
            event_id=f"e{i}", trace_id="t", span_id="s", provider="openai", operation="chat",
            request_model="gpt-4o", start_time=now, end_time=now, latency_ms=latency, cost=Cost(total_usd=cost),
        )  # fmt: skip

    detector = AnomalyDetector(
        config={"latency_threshold_ms": 1000, "cost_threshold_usd": 0.1, "spike_multiplier": 2}
    )
    recent = [call(i, 100, 0.01) for i in range(5)]
    found = {a.type: a for a in detector.analyze_event(call(9, 1500, 0.2), recent)}
    assert set(found) == {"high_latency", "high_cost", "latency_spike", "cost_spike"}
    assert found["high_latency"].observed == 1500 and found["high_latency"].threshold == 1000
    assert found["latency_spike"].threshold == 200
    assert found["cost_spike"].event_ids == ["e9"] and found["cost_spike"].scope["model"] == "gpt-4o"
    assert detector.analyze_event(call(10, 150, 0.01), recent) == []


def test_aggregator_clear_old_events(tmp_path: Path) -> None:
    storage = EventStorage(tmp_path / "agg.db")
    now = datetime.now(UTC)
    for i, age in enumerate((timedelta(days=9), timedelta(hours=1))):
        start = now - age
        storage.store_event(
            LLMCall(
                event_id=f"e{i}",
                trace_id="t",
                span_id="s",
                provider="openai",
                operation="chat",
                start_time=start,
                end_time=start,
                latency_ms=5,
            )
        )
    aggregator = EventAggregator(storage)
    assert aggregator.get_metrics(window_minutes=24 * 60 * 30).requests == 2
    assert aggregator.clear_old_events(days=7) == 1
    assert [e.event_id for e in storage.get_recent_events()] == ["e1"]
