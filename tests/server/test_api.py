"""Ingest and read API: idempotent batches, filters, cursor pagination, stats, anomalies, limits."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agentwatch.model import LLMCall, Usage
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
    assert (first.status_code, first.json()) == (200, {"accepted": 2, "duplicates": 0})
    again = ingest(served, [*batch, event(3)])
    assert (again.status_code, again.json()) == (200, {"accepted": 1, "duplicates": 2})
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
    assert reply.json() == {"accepted": 1, "duplicates": 0}


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
