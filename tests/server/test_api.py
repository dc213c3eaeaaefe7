"""Ingest and read API: idempotent batches, filters, cursor pagination, stats, anomalies, limits."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from agentwatch.config import Settings
from agentwatch.model import LLMCall, Usage
from agentwatch.server.app import create_app
from agentwatch.server.runner import ServerThread
from agentwatch.server.settings import ServerSettings
from agentwatch.storage.keys import KeyStore, Scope
from agentwatch.testing import Emulator
from tests.server.conftest import Served

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def event(n: int, **fields: Any) -> dict[str, Any]:
    start = T0 + timedelta(seconds=n)
    call = LLMCall(
        event_id=f"evt-{n:04d}",
        trace_id=f"{n:032x}",
        span_id=f"{n:016x}",
        provider="openai",
        operation="chat",
        request_model="gpt-4o-mini",
        start_time=start,
        end_time=start + timedelta(milliseconds=120),
        latency_ms=120.0,
        usage=Usage(input_tokens=10 * n, output_tokens=n),
        **fields,
    )
    return call.model_dump(mode="json")


def ingest(served: Served, events: list[dict[str, Any]], key: str | None = None, **headers: str) -> Any:
    with served.client() as client:
        return client.post(
            "/api/v1/events",
            json={"events": events},
            headers=served.headers(key or served.ingest_key, **headers),
        )


def get(served: Served, path: str, key: str | None = None, **params: Any) -> Any:
    with served.client() as client:
        return client.get(path, params=params, headers=served.headers(key or served.read_key))


def test_a_retried_batch_is_stored_once(served: Served) -> None:
    batch = [event(1), event(2)]
    first = ingest(served, batch)
    assert (first.status_code, first.json()) == (200, {"accepted": 2, "duplicates": 0, "rejected": 0})
    again = ingest(served, [*batch, event(3)])
    assert (again.status_code, again.json()) == (200, {"accepted": 1, "duplicates": 2, "rejected": 0})
    stored = served.events()
    assert [e.event_id for e in stored] == ["evt-0001", "evt-0002", "evt-0003"]
    # stored as sent, and priced by the server's pipeline: gpt-4o-mini, $0.15 and $0.60 per million
    assert stored[0].model_dump(exclude={"cost"}) == LLMCall.model_validate(event(1)).model_dump(
        exclude={"cost"}
    )
    assert stored[0].cost is not None and stored[0].cost.total_usd == pytest.approx(
        (10 * 0.15 + 1 * 0.60) / 1e6, abs=1e-12
    )


def test_gzip_batches_are_accepted(served: Served) -> None:
    body = gzip.compress(json.dumps({"events": [event(5)]}).encode())
    with served.client() as client:
        reply = client.post(
            "/api/v1/events",
            content=body,
            headers=served.headers(
                served.ingest_key, **{"Content-Type": "application/json", "Content-Encoding": "gzip"}
            ),
        )
    assert reply.json() == {"accepted": 1, "duplicates": 0, "rejected": 0}


def test_bad_batches_are_refused_and_nothing_is_stored(served: Served) -> None:
    nan_latency = {**event(1), "latency_ms": float("nan")}
    huge_tokens = {**event(2), "usage": {"input_tokens": 2**70}}
    small = json.loads(LLMCall.model_validate(event(3)).model_dump_json(exclude_defaults=True))
    for body, status in [
        (b"{not json", 422),
        (json.dumps({"events": [{"event_id": "x"}]}).encode(), 422),
        (json.dumps({"events": [nan_latency]}).encode(), 422),
        (json.dumps({"events": [huge_tokens]}).encode(), 422),
        (json.dumps({"events": [small] * 10_001}).encode(), 422),  # over the batch limit
        (b" " * (11 * 1024 * 1024), 413),  # over the body limit
    ]:
        with served.client() as client:
            reply = client.post(
                "/api/v1/events",
                content=body,
                headers=served.headers(served.ingest_key, **{"Content-Type": "application/json"}),
            )
        assert reply.status_code == status, (body[:60], reply.text[:300])
        assert len(reply.content) < 10_000  # errors do not echo the batch back
    assert served.events() == []


def test_events_filter_and_page_with_a_cursor(served: Served) -> None:
    batch = [event(n, user_id="ann" if n % 2 else "bob") for n in range(1, 8)]
    assert ingest(served, batch).status_code == 200
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "user": "ann"}
        if cursor:
            params["cursor"] = cursor
        page = get(served, "/api/v1/events", **params).json()
        seen += [e["event_id"] for e in page["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["evt-0007", "evt-0005", "evt-0003", "evt-0001"]
    since = get(served, "/api/v1/events", since=(T0 + timedelta(seconds=6)).isoformat()).json()
    assert [e["event_id"] for e in since["events"]] == ["evt-0007", "evt-0006"]
    assert get(served, "/api/v1/events", since="0001-01-01T00:00:00").status_code == 200  # no offset: UTC
    assert get(served, "/api/v1/events", cursor="not-a-cursor").status_code == 400
    assert get(served, "/api/v1/events", limit=0).status_code == 422
    assert get(served, "/api/v1/events", status="weird").status_code == 422


def test_stats_sum_the_stored_events(served: Served) -> None:
    assert ingest(served, [event(1), event(2, user_id="ann"), event(3, user_id="ann")]).status_code == 200
    stats = get(served, "/api/v1/stats").json()
    assert (stats["requests"], stats["input_tokens"], stats["output_tokens"], stats["total_tokens"]) == (
        3,
        60,
        6,
        66,
    )
    assert stats["success_rate"] == 1.0
    assert get(served, "/api/v1/stats", user="ann").json()["requests"] == 2


def test_anomalies_found_on_ingested_events_are_readable(served: Served) -> None:
    slow = {**event(1), "latency_ms": 9000.0, "status": "error", "error": {"type": "Timeout"}}
    assert ingest(served, [slow, event(2)]).status_code == 200
    page = get(served, "/api/v1/anomalies").json()
    types = sorted(a["type"] for a in page["anomalies"])
    assert "high_latency" in types and "request_failure" in types
    assert all(a["event_ids"] == ["evt-0001"] for a in page["anomalies"])
    only = get(served, "/api/v1/anomalies", type="high_latency", limit=1).json()
    assert [a["type"] for a in only["anomalies"]] == ["high_latency"]


def test_a_full_queue_is_a_503_with_retry_after(served: Served) -> None:
    served.app.state.monitor.queue.shutdown(5)  # a stopping queue refuses new work, as a full one does
    reply = ingest(served, [event(1)])
    assert reply.status_code == 503
    assert reply.headers["retry-after"] == "1"


def test_health_needs_no_key(served: Served) -> None:
    with served.client() as client:
        reply = client.get("/health")
    assert reply.status_code == 200 and reply.json()["status"] == "ok"


def test_metrics_count_what_was_stored(served: Served) -> None:
    assert ingest(served, [event(1), event(2), event(2)]).status_code == 200
    with served.client() as client:
        reply = client.get("/metrics", headers=served.headers(served.read_key))
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    lines = [line for line in reply.text.splitlines() if line.startswith("agentwatch_requests_total{")]
    assert len(lines) == 1 and 'model="gpt-4o-mini"' in lines[0] and lines[0].endswith(" 2.0"), lines


def test_labels_with_lone_surrogates_do_not_stop_the_store(served: Served) -> None:
    # JSON may carry lone surrogates (\ud800); a label with one must not poison the worker's batch
    # (sqlite3 cannot bind such text), which would hold back every later event and answer 503 forever.
    odd = event(1, user_id="ann\ud800", agent="bot\udcff")
    with served.client() as client:
        reply = client.post(
            "/api/v1/events",
            content=json.dumps({"events": [odd]}).encode(),
            headers=served.headers(served.ingest_key, **{"Content-Type": "application/json"}),
        )
    assert (reply.status_code, reply.json()) == (200, {"accepted": 1, "duplicates": 0, "rejected": 0})
    assert ingest(served, [event(2)]).json() == {"accepted": 1, "duplicates": 0, "rejected": 0}
    stored = served.events()
    assert [e.event_id for e in stored] == ["evt-0001", "evt-0002"]
    assert stored[0].user_id == "ann\ufffd" and stored[0].agent == "bot\ufffd"
    assert get(served, "/api/v1/stats", user="ann\ufffd").json()["requests"] == 1
    with served.client() as client:
        metrics = client.get("/metrics", headers=served.headers(served.read_key))
    assert metrics.status_code == 200


def admin_server(tmp_path: Path, emulator: Emulator, **settings: Any) -> tuple[FastAPI, str]:
    """An app on its own database with ``settings``, and an admin key for it."""
    db = tmp_path / "server.db"
    keys = KeyStore(db)
    try:
        key, _ = keys.create("admin", {Scope.ADMIN})
    finally:
        keys.close()
    config = ServerSettings(port=0, openai_upstream=emulator.url, anthropic_upstream=emulator.url)
    return create_app(
        Settings(database=f"sqlite:///{db}", flush_interval=0.05, server=config, **settings)
    ), key


def test_the_server_finds_anomalies_even_with_an_endpoint_in_its_environment(
    tmp_path: Path, emulator: Emulator
) -> None:
    # An app and its server often share one environment (AGENTWATCH_ENDPOINT for the app): the server
    # still stores locally, and so must analyse and alert there, not act as a remote-mode client.
    app, key = admin_server(
        tmp_path, emulator, endpoint="http://127.0.0.1:9", spool_path=str(tmp_path / "spool.db")
    )
    failed = {**event(1), "status": "error", "error": {"type": "RateLimitError", "http_status": 429}}
    with ServerThread(app) as thread, httpx2.Client(base_url=thread.url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {key}"}
        reply = client.post("/api/v1/events", json={"events": [failed]}, headers=headers)
        assert reply.json() == {"accepted": 1, "duplicates": 0, "rejected": 0}
        anomalies = client.get("/api/v1/anomalies", headers=headers).json()["anomalies"]
    assert [a["type"] for a in anomalies] == ["request_failure"]
    assert not (tmp_path / "spool.db").exists()


def test_a_late_event_is_held_against_its_own_days_budget_only(tmp_path: Path, emulator: Emulator) -> None:
    # A spool replayed after an outage brings yesterday's events: yesterday's spend must not include today's.
    app, key = admin_server(tmp_path, emulator, budgets={"users": {"ann": {"daily_usd": 1.0}}})
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    # gpt-4o-mini: $0.15 per million input tokens, so $1.50 today and $0.0000015 yesterday
    big = {**event(1), "user_id": "ann", "usage": {"input_tokens": 10_000_000, "output_tokens": 0}}
    big["start_time"] = big["end_time"] = today.isoformat()
    late = {**event(2), "user_id": "ann", "usage": {"input_tokens": 10, "output_tokens": 0}}
    late["start_time"] = late["end_time"] = (today - timedelta(days=1)).isoformat()
    with ServerThread(app) as thread, httpx2.Client(base_url=thread.url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {key}"}
        for batch in ([big], [late]):
            assert client.post("/api/v1/events", json={"events": batch}, headers=headers).status_code == 200
        anomalies = client.get("/api/v1/anomalies", headers=headers, params={"type": "budget_exceeded"})
    [anomaly] = anomalies.json()["anomalies"]
    assert anomaly["window"] == today.date().isoformat() and anomaly["event_ids"] == ["evt-0001"]


def test_stats_survive_token_counts_whose_sum_passes_64_bits(served: Served) -> None:
    # Each count fits in 64 bits (so the ingest API takes it), their sum across minutes does not:
    # SQL sum() raises "integer overflow", and every stats read was a 500 until the rows were purged.
    big = 2**62
    first = {**event(1), "usage": {"input_tokens": big, "output_tokens": 1}}
    later = {**event(120), "usage": {"input_tokens": big, "output_tokens": 1}}
    assert ingest(served, [first]).status_code == ingest(served, [later]).status_code == 200
    reply = get(served, "/api/v1/stats")
    assert reply.status_code == 200
    assert (reply.json()["requests"], reply.json()["input_tokens"]) == (2, 2 * big)
    # in one batch and one minute, their rollup passes 64 bits too: the batch must still be stored
    same_minute = [{**event(n), "usage": {"input_tokens": big, "output_tokens": 1}} for n in (2, 3)]
    assert ingest(served, same_minute).json() == {"accepted": 2, "duplicates": 0, "rejected": 0}
    assert ingest(served, [event(4)]).json() == {"accepted": 1, "duplicates": 0, "rejected": 0}
    assert get(served, "/api/v1/stats").json()["requests"] == 5


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="needs time.tzset")
def test_times_without_an_offset_are_utc_on_ingest_as_on_read(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The read API takes times without an offset as UTC; events sent that way must be stored as UTC
    # too, not as the server's local time (then they vanish from the window they belong to).
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        naive = {**event(1), "start_time": "2026-11-01T12:00:00", "end_time": "2026-11-01T12:00:00.120000"}
        assert ingest(served, [naive]).json() == {"accepted": 1, "duplicates": 0, "rejected": 0}
        page = get(served, "/api/v1/events", since="2026-11-01T11:59:00", until="2026-11-01T12:01:00")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert [e["event_id"] for e in page.json()["events"]] == ["evt-0001"]
    assert page.json()["events"][0]["start_time"] == "2026-11-01T12:00:00Z"
