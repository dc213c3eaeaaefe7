"""Anomaly types raised by real SDK traffic against the emulator, through the monitor's worker.

Each test sends crafted calls (thresholds lowered through ``configure(anomalies=...)`` so a test
needs no 5-second calls) and the same number of ordinary calls, and reads what was stored.
The types that need a cost or a detector finding are in ``test_detector.py``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

import agentwatch
from agentwatch.model import Anomaly, AnomalyStatus
from agentwatch.storage import EventFilter, SQLiteStorage
from agentwatch.testing import Emulator
from tests.analysis.stored import stored_anomalies


class Watched:
    """The default monitor on a fresh database; calling it flushes and returns the stored anomalies."""

    def __init__(self, db: Path, **anomalies: Any) -> None:
        self.db = db
        agentwatch.configure(database=f"sqlite:///{db}", flush_interval=0.05, anomalies=anomalies)

    def __call__(self) -> list[Anomaly]:
        return stored_anomalies(self.db)


Watch = Callable[..., Watched]


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Watch]:
    """Configure the default monitor with these anomaly settings."""
    yield lambda **anomalies: Watched(tmp_path / "aw.db", **anomalies)
    agentwatch.shutdown()


@pytest.fixture
def oai(emulator: Emulator) -> openai.OpenAI:
    return agentwatch.instrument(openai.OpenAI(api_key="k", base_url=emulator.openai_base_url, max_retries=0))


_serial = itertools.count()


def chat(
    client: openai.OpenAI, content: str | None = None, model: str = "gpt-4o-mini", **headers: str
) -> None:
    """One chat call; without ``content`` each call asks something new (no repeated_calls)."""
    content = f"question {next(_serial)}" if content is None else content
    extra = {f"x-emulator-{k.replace('_', '-')}": v for k, v in headers.items()}
    with contextlib.suppress(openai.APIStatusError):
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": content}], extra_headers=extra
        )


def types(anomalies: list[Anomaly]) -> list[str]:
    return [a.type for a in anomalies]


def test_normal_traffic_raises_nothing_with_the_default_settings(watch: Watch, emulator: Emulator) -> None:
    found = watch()
    client = agentwatch.instrument(
        openai.OpenAI(api_key="k", base_url=emulator.openai_base_url, max_retries=0)
    )
    claude = agentwatch.instrument(
        anthropic.Anthropic(api_key="k", base_url=emulator.anthropic_base_url, max_retries=0)
    )
    with agentwatch.trace("support-agent", user_id="u1"):
        for i in range(16):  # 48 calls: under the 50 a minute of high_request_rate
            chat(client, f"question {i}")
            stream = client.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": f"stream {i}"}],
                stream=True,
                stream_options={"include_usage": True},
            )
            for _ in stream:
                pass
            claude.messages.create(
                model="claude-haiku-4-5", max_tokens=50, messages=[{"role": "user", "content": f"q {i}"}]
            )
    assert found() == []


def test_high_latency(watch: Watch, oai: openai.OpenAI) -> None:
    found = watch(latency_threshold_ms=150)
    chat(oai)
    assert found() == []
    chat(oai, latency_ms="300")
    [anomaly] = found()
    assert anomaly.type == "high_latency" and anomaly.observed is not None and anomaly.observed > 150
    assert anomaly.threshold == 150 and anomaly.window == "event"
    assert anomaly.scope == {"provider": "openai", "model": "gpt-4o-mini"}
    assert anomaly.recommended_action.startswith("Check provider status")


def test_high_token_usage(watch: Watch, oai: openai.OpenAI) -> None:
    found = watch()
    chat(oai, usage=json.dumps({"prompt_tokens": 7000, "completion_tokens": 900, "total_tokens": 7900}))
    assert found() == []
    chat(oai, usage=json.dumps({"prompt_tokens": 8000, "completion_tokens": 1, "total_tokens": 8001}))
    [anomaly] = found()
    assert (anomaly.type, anomaly.observed, anomaly.threshold) == ("high_token_usage", 8001, 8000)


def test_request_failure(watch: Watch, oai: openai.OpenAI) -> None:
    found = watch()
    chat(oai)
    assert found() == []
    chat(oai, status="503")
    [anomaly] = found()
    assert anomaly.type == "request_failure" and anomaly.observed == 503
    assert "HTTP 503" in anomaly.description


def test_latency_spike_against_the_models_own_baseline(watch: Watch, oai: openai.OpenAI) -> None:
    found = watch(baseline_warmup=5, latency_spike_min_ms=100)
    for _ in range(8):
        chat(oai, latency_ms="60")  # this model is usually ~60 ms
        chat(oai, model="gpt-4o", latency_ms="400")  # another model is usually ~400 ms
    assert found() == []
    chat(oai, latency_ms="400")  # usual for gpt-4o, not for gpt-4o-mini
    [anomaly] = found()
    assert anomaly.type == "latency_spike"
    assert anomaly.scope == {"provider": "openai", "model": "gpt-4o-mini"}
    assert anomaly.baseline is not None and anomaly.baseline < 200
    assert anomaly.observed is not None and anomaly.threshold is not None
    assert anomaly.observed > anomaly.threshold >= 3 * anomaly.baseline


def test_high_error_rate_fires_once_and_resolves(watch: Watch, oai: openai.OpenAI) -> None:
    found = watch(error_rate_min_requests=5, model_errors_min=100)
    for _ in range(9):
        chat(oai)
    chat(oai, status="500")  # 1 in 10: not above 10%
    assert types(found()) == ["request_failure"]
    chat(oai, status="500")
    chat(oai, status="500")
    got = found()
    assert types(got) == ["request_failure", "request_failure", "high_error_rate", "request_failure"]
    rate = got[2]
    assert rate.observed == pytest.approx(2 / 11) and rate.threshold == 0.1 and rate.window == "5m"
    assert len(rate.event_ids) == 2 and rate.scope == {}
    for _ in range(20):
        chat(oai)  # 3 in 32: back under 10%
    statuses = {a.type: a.status for a in found()}
    assert statuses["high_error_rate"] is AnomalyStatus.RESOLVED


def test_model_errors(watch: Watch, oai: openai.OpenAI) -> None:
    found = watch(model_errors_min=3)
    for _ in range(2):
        chat(oai, model="gpt-4o-broken", status="404")
    chat(oai)
    assert types(found()) == ["request_failure"] * 2
    chat(oai, model="gpt-4o-broken", status="404")
    [anomaly] = [a for a in found() if a.type == "model_errors"]
    assert anomaly.scope == {"provider": "openai", "model": "gpt-4o-broken"} and anomaly.observed == 3


def test_high_request_rate(watch: Watch, oai: openai.OpenAI) -> None:
    found = watch(request_rate_threshold=5)
    for _ in range(5):
        chat(oai)
    assert found() == []
    chat(oai)
    [anomaly] = found()
    assert (anomaly.type, anomaly.observed, anomaly.threshold, anomaly.window) == (
        "high_request_rate",
        6,
        5,
        "1m",
    )


def test_repeated_calls_in_a_trace(watch: Watch, oai: openai.OpenAI) -> None:
    found = watch(repeat_threshold=3)
    with agentwatch.trace("planner"):
        for i in range(3):
            chat(oai, f"step {i}")  # progress: different requests
        chat(oai, "same again")
        chat(oai, "same again")
    assert found() == []
    with agentwatch.trace("planner"):
        for _ in range(3):
            chat(oai, "what next?")
    [anomaly] = found()
    assert anomaly.type == "repeated_calls" and anomaly.observed == 3 and len(anomaly.event_ids) == 3
    assert anomaly.scope["trace_name"] == "planner"
    store = SQLiteStorage(found.db)
    try:
        stored = [e for e in store.events(EventFilter(), 100) if e.event_id in anomaly.event_ids]
    finally:
        store.close()
    assert len({e.prompt_fingerprint for e in stored}) == 1  # the same request: one keyed hash
    assert all(e.input_messages is None for e in stored)  # and no prompt stored


def test_repeated_tool_calls_of_an_agent(watch: Watch, oai: openai.OpenAI) -> None:
    found = watch(repeat_threshold=3)
    tool = json.dumps([{"name": "search", "arguments": {"q": "weather"}}])
    with agentwatch.trace("loop", agent="researcher"):
        for i in range(3):
            chat(oai, f"turn {i}", tool_calls=json.dumps([{"name": "search", "arguments": {"q": str(i)}}]))
    assert found() == []
    with agentwatch.trace("loop", agent="researcher"):
        for i in range(3):
            chat(oai, f"turn {i}", tool_calls=tool)  # the prompt moves on, the tool call does not
    [anomaly] = found()
    assert anomaly.type == "repeated_calls" and "tool call" in anomaly.description
    assert anomaly.scope["agent"] == "researcher"


def test_stream_without_usage(watch: Watch, oai: openai.OpenAI) -> None:
    found = watch()
    for include in (True, False):
        stream = oai.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": include},
        )
        for _ in stream:
            pass
        if include:
            assert found() == []
    [anomaly] = found()
    assert anomaly.type == "stream_without_usage" and anomaly.scope["model"] == "gpt-4o-mini"
    assert "include_usage" in anomaly.recommended_action


def test_a_window_anomaly_is_resolved_by_quiet_without_a_later_event(
    watch: Watch, oai: openai.OpenAI
) -> None:
    """Errors, then no traffic at all: once the window has moved past the errors the anomaly is
    resolved by the idle worker (it used to wait for the next event, which may never come)."""
    found = watch(error_rate_min_requests=3, error_rate_window_s=3, model_errors_min=100)
    for _ in range(3):
        chat(oai, status="500")
    assert "high_error_rate" in types(found())
    deadline = time.monotonic() + 30  # a bound on the wait, not a timing assertion
    while time.monotonic() < deadline:
        statuses = {a.type: a.status for a in found()}
        if statuses["high_error_rate"] is AnomalyStatus.RESOLVED:
            break
        time.sleep(0.2)
    assert statuses["high_error_rate"] is AnomalyStatus.RESOLVED
    assert len(found()) == 4  # three request_failure and the one high_error_rate: no new event
