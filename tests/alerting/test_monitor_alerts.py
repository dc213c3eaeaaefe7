"""Alerts that reach people: SDK traffic -> worker -> anomaly -> channel, with every attempt stored."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

import agentwatch
from agentwatch.model import AnomalyStatus
from agentwatch.storage import AnomalyFilter, EventFilter, SQLiteStorage
from agentwatch.testing import Emulator
from tests.alerting.conftest import Receiver


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "aw.db"
    agentwatch.shutdown()


def fail_call(client: openai.OpenAI, n: int, status: str = "500") -> None:
    with contextlib.suppress(openai.APIStatusError):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"q{n}"}],
            extra_headers={"x-emulator-status": status} if status else {},
        )


def test_a_failed_call_reaches_the_webhook_and_pagerduty_resolves_a_window(
    db: Path, emulator: Emulator, receiver: Receiver, second_receiver: Receiver
) -> None:
    agentwatch.configure(
        database=f"sqlite:///{db}",
        flush_interval=0.05,
        anomalies={"error_rate_min_requests": 4, "model_errors_min": 100},
        alerts={
            "channels": {
                "hook": {"type": "webhook", "url": receiver.url, "secret": "k", "types": ["request_failure"]},
                "pd": {
                    "type": "pagerduty",
                    "routing_key": "R",
                    "url": second_receiver.url,
                    "types": ["high_error_rate"],
                },
            }
        },
    )
    client = agentwatch.instrument(
        openai.OpenAI(api_key="k", base_url=emulator.openai_base_url, max_retries=0)
    )
    for n in range(3):
        fail_call(client, n, status="")
    fail_call(client, 3)  # 1 of 4 failed: request_failure, and an error rate of 25%
    assert agentwatch.flush(10)
    for n in range(4, 14):
        fail_call(client, n, status="")  # 1 of 14: the error rate is back under 10%
    assert agentwatch.shutdown(10)

    [hook] = receiver.requests
    assert hook.json["anomaly"]["type"] == "request_failure" and "x-agentwatch-signature" in hook.headers
    assert [(r.json["event_action"], r.json["dedup_key"]) for r in second_receiver.requests] == [
        ("trigger", second_receiver.requests[0].json["dedup_key"]),
        ("resolve", second_receiver.requests[0].json["dedup_key"]),
    ]
    store = SQLiteStorage(db)
    try:
        [rate] = store.find_anomalies(AnomalyFilter(type="high_error_rate"))
        deliveries = store.deliveries(limit=10)
    finally:
        store.close()
    assert rate.status is AnomalyStatus.RESOLVED
    assert sorted((d.channel, d.action, d.outcome) for d in deliveries) == [
        ("hook", "trigger", "ok"),
        ("pd", "resolve", "ok"),
        ("pd", "trigger", "ok"),
    ]


def test_a_hanging_channel_does_not_hold_up_the_events(
    db: Path, emulator: Emulator, receiver: Receiver
) -> None:
    receiver.hang = 5.0
    agentwatch.configure(
        database=f"sqlite:///{db}",
        flush_interval=0.05,
        alerts={
            "channels": {"slow": {"type": "webhook", "url": receiver.url, "timeout": 3, "max_attempts": 1}}
        },
    )
    client = agentwatch.instrument(
        openai.OpenAI(api_key="k", base_url=emulator.openai_base_url, max_retries=0)
    )
    fail_call(client, 0)
    assert receiver.got.wait(10)  # the channel is now stuck in its request
    for n in range(1, 6):
        fail_call(client, n, status="")
    assert agentwatch.flush(10)  # events are stored while the channel hangs
    store = SQLiteStorage(db)
    try:
        assert store.stats(EventFilter()).requests == 6
        assert store.deliveries() == []  # the one attempt has not finished
    finally:
        store.close()


def _open_files(path: Path) -> int:
    """How many of this process's file descriptors are ``path`` (Linux)."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            found += os.readlink(f"/proc/self/fd/{fd}") == str(path)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts file descriptors in /proc")
def test_a_delivery_finishing_after_shutdown_is_recorded_without_leaking_a_connection(
    db: Path, emulator: Emulator, receiver: Receiver
) -> None:
    # A channel still busy at shutdown (a slow receiver, retries) records its attempt afterwards: on a
    # connection it must close, or each configure()/shutdown() cycle leaves one open for good.
    receiver.hang = 1.0
    client = agentwatch.instrument(
        openai.OpenAI(api_key="k", base_url=emulator.openai_base_url, max_retries=0)
    )
    for n in range(3):
        agentwatch.configure(
            database=f"sqlite:///{db}",
            flush_interval=0.05,
            shutdown_timeout=0.2,
            alerts={"channels": {"slow": {"type": "webhook", "url": receiver.url, "max_attempts": 1}}},
        )
        receiver.got.clear()
        fail_call(client, n)
        assert agentwatch.flush(10) and receiver.got.wait(10)
        agentwatch.shutdown()  # the channel is still waiting for its answer
    deadline = time.monotonic() + 10
    while any(t.name == "agentwatch-alert-slow" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the channel threads did not finish"
        time.sleep(0.05)
    store = SQLiteStorage(db)
    try:
        assert [d.outcome for d in store.deliveries()] == ["ok"] * 3
    finally:
        store.close()
    assert _open_files(db) == 0
