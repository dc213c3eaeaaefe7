"""SQLite storage: migrations, idempotent batches, rollup-backed stats, filters, retention."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentwatch.model import Anomaly, Cost, ErrorInfo, Finding, LLMCall, Risk, Severity, Status, Usage
from agentwatch.storage import EventFilter, SQLiteStorage
from agentwatch.storage.migrations import MIGRATIONS

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def event(n: int, **changes: object) -> LLMCall:
    base: dict[str, object] = {
        "event_id": f"e{n}",
        "trace_id": "t",
        "span_id": f"s{n}",
        "provider": "openai",
        "operation": "chat",
        "request_model": "gpt-4o-mini",
        "start_time": NOW - timedelta(seconds=n),
        "end_time": NOW - timedelta(seconds=n) + timedelta(milliseconds=100),
        "latency_ms": 100.0 * (n + 1),
        "usage": Usage(input_tokens=10 * n, output_tokens=n),
        "cost": Cost(total_usd=0.001 * n),
    }
    base.update(changes)
    return LLMCall.model_validate(base)


def test_migrations_are_recorded_and_idempotent(tmp_path: Path) -> None:
    SQLiteStorage(tmp_path / "a.db").close()
    SQLiteStorage(tmp_path / "a.db").close()
    conn = sqlite3.connect(tmp_path / "a.db")
    rows = conn.execute("SELECT version, name FROM schema_migrations").fetchall()
    assert rows == [(v, name) for v, name, _ in MIGRATIONS]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"idx_events_ts", "idx_events_user_ts", "idx_events_model_ts", "idx_anomalies_ts"} <= indexes


def test_round_trip_and_idempotent_writes(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "a.db")
    original = event(
        1,
        status=Status.ERROR,
        error=ErrorInfo(type="RateLimitError", http_status=429, message="slow down"),
        findings=[Finding(kind="pii", type="email", detector="regex", start=0, end=5)],
        risk=Risk(score=70, level=Severity.HIGH, reasons=["pii: email"]),
        tags=["a"],
    )
    store.write_events([original, event(2), original])
    store.write_events([original])  # a retried batch
    assert store.events(EventFilter(), 10)[0] == original
    stats = store.stats(EventFilter())
    assert stats.requests == 2 and stats.errors == 1 and stats.pii_events == 1


def test_stats_from_rollups(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "a.db")
    store.write_events(
        [
            event(1),
            event(2, user_id="bob"),
            event(3, status=Status.ERROR, usage=Usage(), cost=None),
            event(4, status=Status.INCOMPLETE, provider="anthropic", request_model="claude-haiku-4-5"),
        ]
    )
    store.write_anomalies(
        [
            Anomaly(
                anomaly_id="a1",
                type="high_latency",
                severity=Severity.MEDIUM,
                description="slow",
                detected_at=NOW,
                scope={"provider": "anthropic", "model": "claude-haiku-4-5"},
            )
        ]
    )
    s = store.stats(EventFilter())
    assert (s.requests, s.ok, s.errors, s.incomplete) == (4, 2, 1, 1)
    assert s.success_rate == 0.5
    assert (s.input_tokens, s.output_tokens) == (10 + 20 + 40, 1 + 2 + 4)
    assert abs(s.cost_usd - 0.007) < 1e-12
    assert s.unpriced_requests == 1
    assert s.avg_latency_ms == (200 + 300 + 400 + 500) / 4
    assert s.max_latency_ms == 500
    assert s.anomalies == 1
    assert store.stats(EventFilter(provider="anthropic")).requests == 1
    assert store.stats(EventFilter(provider="anthropic")).anomalies == 1
    assert store.stats(EventFilter(provider="openai")).anomalies == 0
    assert store.stats(EventFilter(since=NOW + timedelta(minutes=1))).anomalies == 0
    assert store.stats(EventFilter(user_id="bob")).requests == 1
    assert store.stats(EventFilter(status="error")).requests == 1
    assert store.stats(EventFilter(model="claude-haiku-4-5")).requests == 1
    # stats reads rollups, not events: the raw table can be emptied and the numbers stay
    store._conn.execute("DELETE FROM events")
    assert store.stats(EventFilter()).requests == 4


def test_filters_since_and_risk(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "a.db")
    old = event(9, start_time=NOW - timedelta(days=2), end_time=NOW - timedelta(days=2))
    risky = event(1, risk=Risk(score=80, level=Severity.CRITICAL, reasons=["injection"]))
    store.write_events([old, risky, event(2, user_id="ann")])
    since = NOW - timedelta(hours=1)
    assert [e.event_id for e in store.events(EventFilter(since=since), 10)] == ["e1", "e2"]
    assert [e.event_id for e in store.events(EventFilter(), 10, min_risk=50)] == ["e1"]
    assert [e.event_id for e in store.events(EventFilter(user_id="ann"), 10)] == ["e2"]
    assert store.stats(EventFilter(since=since)).requests == 2


def test_delete_before(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "a.db")
    store.write_events(
        [event(1), event(2, start_time=NOW - timedelta(days=10), end_time=NOW - timedelta(days=10))]
    )
    assert store.delete_before(NOW - timedelta(days=7)) == 1
    assert [e.event_id for e in store.events(EventFilter(), 10)] == ["e1"]
    assert store.stats(EventFilter()).requests == 1


def test_text_with_lone_surrogates_is_stored_not_dropped(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "a.db")
    store.write_events([event(1, output_text="ok \udcff end", metadata={"k": "\ud800"}), event(2)])
    stored = {e.event_id: e for e in store.events(EventFilter(), 10)}
    assert set(stored) == {"e1", "e2"}
    assert stored["e1"].output_text is not None and stored["e1"].output_text.startswith("ok ")
    assert stored["e1"].output_text.endswith(" end") and "\udcff" not in stored["e1"].output_text


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        SQLiteStorage(path)
