"""A real SQLite database of known events and anomalies, and ways to run the command on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from agentwatch.cli.app import app
from agentwatch.model import Anomaly, Cost, ErrorInfo, Finding, LLMCall, Risk, Severity, Status, Usage
from agentwatch.storage import ProcessReport, SQLiteStorage

AGENTWATCH = Path(sys.executable).with_name("agentwatch")  # the installed console script
NOW = datetime.now(UTC).replace(microsecond=0)


def make_call(n: int, *, ago: timedelta, **fields: Any) -> LLMCall:
    start = NOW - ago
    latency = fields.pop("latency_ms", 100.0)
    values: dict[str, Any] = {
        "event_id": f"ev-{n}",
        "trace_id": f"trace-{n}",
        "span_id": f"span-{n}",
        "provider": "openai",
        "operation": "chat",
        "api": "chat.completions",
        "request_model": "gpt-4o-mini",
        "start_time": start,
        "end_time": start + timedelta(milliseconds=latency),
        "latency_ms": latency,
    }
    values.update(fields)
    return LLMCall(**values)


#: Newest first, as ``events`` lists them. In the last 24h: 3 ok + 1 error.
CALLS = [
    make_call(
        4,
        ago=timedelta(minutes=5),
        user_id="bob",
        agent="research",
        status=Status.ERROR,
        error=ErrorInfo(type="RateLimitError", message="slow down", http_status=429),
        latency_ms=100.0,
    ),
    make_call(
        3,
        ago=timedelta(minutes=10),
        provider="anthropic",
        operation="chat",
        api="messages",
        request_model="claude-haiku-4-5",
        user_id="bob",
        agent="research",
        usage=Usage(input_tokens=300, output_tokens=150),
        cost=Cost(unpriced=True),
        latency_ms=600.0,
        findings=[Finding(kind="pii", type="email", detector="regex")],
        risk=Risk(score=80, level=Severity.HIGH, reasons=["email address in the prompt"]),
        metadata={"note": "café ☕"},
    ),
    make_call(
        2,
        ago=timedelta(minutes=20),
        user_id="alice",
        agent="support",
        stream=True,
        time_to_first_token_ms=50.0,
        usage=Usage(input_tokens=200, output_tokens=100),
        cost=Cost(input_usd=0.0005, output_usd=0.0015, total_usd=0.002, price_source="test"),
        latency_ms=400.0,
    ),
    make_call(
        1,
        ago=timedelta(minutes=30),
        user_id="alice",
        agent="support",
        usage=Usage(input_tokens=100, output_tokens=50),
        cost=Cost(input_usd=0.0004, output_usd=0.0006, total_usd=0.001, price_source="test"),
        latency_ms=200.0,
    ),
]
#: Three days old: outside the default 24h window.
OLD_CALL = make_call(
    0,
    ago=timedelta(days=3),
    request_model="ft:gpt-4o:acme:[support]",  # brackets: data, never Rich markup
    user_id="carol",
    usage=Usage(input_tokens=1000, output_tokens=1000),
    cost=Cost(total_usd=1.0, price_source="test"),
    latency_ms=1000.0,
    risk=Risk(score=90, level=Severity.CRITICAL, reasons=["instruction override"]),
)
ANOMALIES = [
    Anomaly(
        anomaly_id="an-recent",
        type="high_latency",
        severity=Severity.MEDIUM,
        description="Latency 6000 ms exceeds 5000 ms",
        detected_at=NOW - timedelta(minutes=10),
        observed=6000.0,
        threshold=5000.0,
        window="event",
        scope={"provider": "openai", "model": "gpt-4o-mini"},
        event_ids=["ev-2"],
        recommended_action="Consider streaming",
    ),
    Anomaly(
        anomaly_id="an-old",
        type="request_failure",
        severity=Severity.HIGH,
        description="Request failed: RateLimitError (HTTP 429)",
        detected_at=NOW - timedelta(days=2),
        observed=429.0,
        scope={"provider": "openai"},
        event_ids=["ev-0"],
    ),
]

#: What two monitored processes reported: one a few minutes ago, one three days ago.
REPORTS = [
    ProcessReport(
        host="app-1",
        pid=4242,
        started_at=NOW - timedelta(hours=1),
        updated_at=NOW - timedelta(minutes=5),
        queue_depth=3,
        submitted=120,
        written=115,
        pending=0,
        dropped=2,
        errors=1,
    ),
    ProcessReport(
        host="app-0",
        pid=17,
        started_at=NOW - timedelta(days=3, hours=1),
        updated_at=NOW - timedelta(days=3),
        queue_depth=0,
        submitted=10,
        written=10,
        pending=0,
        dropped=0,
        errors=0,
    ),
]


@dataclass(frozen=True)
class Database:
    path: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AGENTWATCH_* variable or agentwatch.toml from the developer's machine leaks in."""
    for name in list(os.environ):
        if name.startswith("AGENTWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "data" / "agentwatch.db"
    store = SQLiteStorage(path)
    try:
        store.write_events([*reversed(CALLS), OLD_CALL])
        store.write_anomalies(ANOMALIES)
        for report in REPORTS:
            store.write_report(report)
    finally:
        store.close()
    yield Database(path)


def invoke(*args: str, input: str | None = None) -> Result:
    """Run the command in this process; Rich gets a wide terminal so no cell wraps."""
    return CliRunner().invoke(app, list(args), input=input, env={"COLUMNS": "200"})


def invoke_json(*args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def run_script(
    *args: str, cwd: Path, input: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``agentwatch`` console script in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTWATCH_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(AGENTWATCH), *args],
        cwd=cwd,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def row(output: str, containing: str) -> list[str]:
    """The cells of the first Rich table row (or header) that contains ``containing``."""
    for line in output.replace("┃", "│").splitlines():
        if containing in line and "│" in line:
            return [c.strip() for c in line.split("│")[1:-1]]
    raise AssertionError(f"no row with {containing!r} in:\n{output}")


def cell(output: str, label: str) -> str:
    """The value next to ``label`` in a two-column Rich table."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1] == label:
            return cells[2]
    raise AssertionError(f"no row {label!r} in:\n{output}")
