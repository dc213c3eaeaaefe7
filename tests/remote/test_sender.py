"""RemoteStorage and its sender against a real loopback ingest server that misbehaves on cue."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from agentwatch.config import ConfigError, Settings, load_settings
from agentwatch.remote import Backoff, RemoteModeError, RemoteStorage
from agentwatch.remote.client import MAX_RETRY_AFTER, parse_retry_after
from agentwatch.remote.sender import PARK_AFTER
from agentwatch.remote.storage import wire_document
from agentwatch.storage import EventFilter
from tests.remote.helpers import free_port, make_event, stored_counts, wait_for
from tests.remote.ingest_server import HANG_UP, Fault, IngestServer

KEY = "aw_test_key_0123456789"


def fast_backoff() -> Backoff:
    return Backoff(base=0.01, cap=0.05)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[IngestServer]:
    with IngestServer(tmp_path / "server.db", key=KEY) as srv:
        yield srv


def remote(tmp_path: Path, endpoint: str, **settings: object) -> RemoteStorage:
    values: dict[str, object] = {
        "endpoint": endpoint,
        "api_key": KEY,
        "database": f"sqlite:///{tmp_path / 'app' / 'agentwatch.db'}",
        **settings,
    }
    return RemoteStorage(Settings.model_validate(values), backoff=fast_backoff())


def test_events_reach_the_server_once_and_leave_the_spool(tmp_path: Path, server: IngestServer) -> None:
    store = remote(tmp_path, server.url, batch_size=16)
    events = [make_event(i) for i in range(100)]
    try:
        assert store.write_events(events) == events
        assert store.write_events(events[:10]) == []  # already spooled: not added twice
        wait_for(lambda: stored_counts(tmp_path / "server.db") == (100, 100), what="100 stored")
        wait_for(lambda: store.delivery().spooled == 0, what="empty spool")
    finally:
        assert store.drain_and_close(5)
    assert (tmp_path / "app" / "agentwatch-spool.db").is_file()  # default: beside the database
    assert {r.authorization for r in server.state.requests} == {f"Bearer {KEY}"}
    assert max(r.events for r in server.state.requests) <= 16
    assert {r.encoding for r in server.state.requests if r.events == 16} == {"gzip"}
    delivered = server.state.store.events(EventFilter(), limit=1000)
    assert sorted(e.model_dump_json() for e in delivered) == sorted(e.model_dump_json() for e in events)


def test_a_failing_server_is_retried_until_it_recovers(tmp_path: Path, server: IngestServer) -> None:
    server.state.faults.extend([Fault(500)] * 4 + [Fault(503, "0")] * 2 + [Fault(200)])  # 200 but not ours
    store = remote(tmp_path, server.url)
    try:
        store.write_events([make_event(i) for i in range(30)])
        wait_for(lambda: stored_counts(tmp_path / "server.db") == (30, 30), what="30 stored")
        wait_for(lambda: store.delivery().spooled == 0, what="empty spool")
        delivery = store.delivery()
        assert (delivery.sent, delivery.dropped, delivery.failures) == (30, 0, 7)
    finally:
        store.drain_and_close(5)
    statuses = [r.status for r in server.state.requests]
    sizes = [r.events for r in server.state.requests]
    assert statuses[:6] == [500] * 4 + [503] * 2 and set(statuses[6:]) == {200}
    # 500 might be one event's fault: the batch is halved to find it (503 says "overloaded": kept),
    # and grows back once batches go through
    assert sizes == [30, 15, 7, 3, 1, 1, 1, 1, 2, 4, 8, 15]


def test_a_batch_whose_reply_was_lost_is_resent_and_stored_once(tmp_path: Path, server: IngestServer) -> None:
    server.state.faults.append(Fault(HANG_UP))
    store = remote(tmp_path, server.url)
    try:
        store.write_events([make_event(i) for i in range(25)])
        wait_for(lambda: store.delivery().spooled == 0, what="empty spool")
        assert (store.delivery().sent, store.delivery().failures) == (25, 1)
    finally:
        store.drain_and_close(5)
    assert [(r.status, r.events) for r in server.state.requests] == [(HANG_UP, 25), (200, 25)]
    assert stored_counts(tmp_path / "server.db") == (25, 25)


def test_retry_after_is_honoured(tmp_path: Path, server: IngestServer) -> None:
    server.state.faults.append(Fault(429, "1"))
    store = remote(tmp_path, server.url)
    try:
        store.write_events([make_event()])
        wait_for(lambda: stored_counts(tmp_path / "server.db") == (1, 1), what="the event stored")
    finally:
        store.drain_and_close(5)
    first, second = server.state.requests
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0  # a lower bound only: a slow machine cannot break it


def test_retry_after_values() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert parse_retry_after("86400") == MAX_RETRY_AFTER
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_to_its_cap_with_jitter_and_resets() -> None:
    low = Backoff(base=0.5, cap=4.0, rand=lambda: 0.0)
    high = Backoff(base=0.5, cap=4.0, rand=lambda: 1.0)
    assert [low.next() for _ in range(6)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert [high.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert high.next(retry_after=10.0) == 10.0
    high.reset()
    assert high.next() == 0.5


def test_a_refused_event_is_isolated_parked_and_sent_again_at_the_next_start(
    tmp_path: Path, server: IngestServer, caplog: pytest.LogCaptureFixture
) -> None:
    events = [make_event(i) for i in range(20)]
    server.state.refuse_event_ids.add(events[13].event_id)
    store = remote(tmp_path, server.url)
    try:
        store.write_events(events)
        wait_for(lambda: store.delivery().spooled == 0, what="empty spool")
        assert (store.delivery().parked, store.delivery().dropped) == (1, 0)
    finally:
        store.drain_and_close(5)
    stored = {e.event_id for e in server.state.store.events(EventFilter(), limit=100)}
    assert stored == {e.event_id for e in events} - {events[13].event_id}
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"refused event {events[13].event_id} with HTTP 422; it is parked" in record.getMessage()
    server.state.refuse_event_ids.clear()  # the server is fixed; the app restarts
    again = remote(tmp_path, server.url)
    try:
        wait_for(lambda: stored_counts(tmp_path / "server.db") == (20, 20), what="20 stored")
        assert again.delivery().parked == 0
    finally:
        assert again.drain_and_close(5)


def test_one_event_that_makes_the_server_fail_does_not_hold_back_the_others(
    tmp_path: Path, server: IngestServer, caplog: pytest.LogCaptureFixture
) -> None:
    events = [make_event(i) for i in range(40)]
    server.state.crash_event_ids.add(events[3].event_id)  # HTTP 500 for every batch holding it
    store = remote(tmp_path, server.url, batch_size=16)
    try:
        store.write_events(events)
        wait_for(lambda: stored_counts(tmp_path / "server.db") == (39, 39), what="the other 39 stored")
        wait_for(lambda: store.delivery().parked == 1, what="the failing event parked")
        assert (store.delivery().spooled, store.delivery().dropped) == (0, 0)
    finally:
        store.drain_and_close(5)
    lone = [r for r in server.state.requests if r.status == 500 and r.events == 1]
    assert len(lone) == PARK_AFTER
    assert any(
        "failed 12 times on one event (HTTP 500); it is parked" in r.getMessage() for r in caplog.records
    )


def test_a_wrong_key_keeps_the_events_loudly_and_never_logs_the_key(
    tmp_path: Path, server: IngestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "aw_wrong_key_9876543210"
    store = remote(tmp_path, server.url, api_key=wrong)
    try:
        store.write_events([make_event(i) for i in range(5)])
        wait_for(lambda: store.delivery().failures >= 3, what="three refused attempts")
        assert (store.delivery().spooled, store.delivery().dropped, store.delivery().parked) == (5, 0, 0)
    finally:
        assert not store.drain_and_close(0.2)
    assert stored_counts(tmp_path / "server.db") == (0, 0)
    assert any("HTTP 401" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert wrong not in caplog.text
    assert wrong not in repr(store.sender.client)
    assert wrong not in repr(Settings(endpoint=server.url, api_key=wrong))
    fixed = remote(tmp_path, server.url)  # the key is corrected: what waited is sent
    try:
        wait_for(lambda: stored_counts(tmp_path / "server.db") == (5, 5), what="5 stored")
    finally:
        assert fixed.drain_and_close(5)


def test_a_key_read_with_its_trailing_newline_is_sent_and_never_logged(
    tmp_path: Path, server: IngestServer, caplog: pytest.LogCaptureFixture
) -> None:
    # A key read from a file or a mounted secret often ends with a newline. http.client refuses such a
    # header value with a ValueError whose message holds the whole header: it must not reach a log.
    caplog.set_level(logging.DEBUG)
    store = remote(tmp_path, server.url, api_key=KEY + "\n")
    try:
        store.write_events([make_event(i) for i in range(5)])
        wait_for(lambda: stored_counts(tmp_path / "server.db") == (5, 5), what="5 stored")
    finally:
        store.drain_and_close(5)
    assert {r.authorization for r in server.state.requests} == {f"Bearer {KEY}"}
    assert KEY not in caplog.text


def test_a_key_with_a_control_character_fails_at_configure_time(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"api_key \(from argument\)") as raised:
        load_settings({"api_key": "aw_abc\ndef"}, environ={}, config_file=tmp_path / "none.toml")
    assert "aw_abc" not in str(raised.value)


def test_the_spool_is_bounded_and_counts_what_overflows(tmp_path: Path) -> None:
    store = remote(tmp_path, f"http://127.0.0.1:{free_port()}", spool_size=10)  # nobody listens
    try:
        added = store.write_events([make_event(i) for i in range(25)])
        assert len(added) == 10
        delivery = store.delivery()
        assert (delivery.spooled, delivery.dropped) == (10, 15)
    finally:
        assert not store.drain_and_close(0.2)


def test_what_is_left_at_close_is_sent_by_the_next_store(tmp_path: Path) -> None:
    port = free_port()
    first = remote(tmp_path, f"http://127.0.0.1:{port}")
    first.write_events([make_event(i) for i in range(40)])
    assert not first.drain_and_close(0.3)  # no server: everything stays in the spool
    with IngestServer(tmp_path / "server.db", key=KEY, port=port):
        second = remote(tmp_path, f"http://127.0.0.1:{port}")
        try:
            wait_for(lambda: stored_counts(tmp_path / "server.db") == (40, 40), what="40 stored")
        finally:
            assert second.drain_and_close(5)


def test_reads_say_to_ask_the_server(tmp_path: Path, server: IngestServer) -> None:
    store = remote(tmp_path, server.url)
    try:
        with pytest.raises(RemoteModeError, match=f"not available in remote mode.*{server.url}"):
            store.stats(EventFilter())
        with pytest.raises(RemoteModeError):
            store.events(EventFilter())
    finally:
        store.drain_and_close(1)


def test_a_spool_left_by_an_earlier_version_is_migrated_and_sent(
    tmp_path: Path, server: IngestServer
) -> None:
    path = tmp_path / "app" / "agentwatch-spool.db"
    path.parent.mkdir()
    events = [make_event(i) for i in range(3)]
    with sqlite3.connect(path) as conn:  # the schema before parking: no attempts, no parked table
        conn.execute(
            "CREATE TABLE spool (id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, "
            "body TEXT NOT NULL)"
        )
        conn.executemany(
            "INSERT INTO spool (event_id, body) VALUES (?, ?)",
            [(e.event_id, wire_document(e)) for e in events],
        )
    conn.close()
    store = remote(tmp_path, server.url)
    try:
        wait_for(lambda: stored_counts(tmp_path / "server.db") == (3, 3), what="3 stored")
    finally:
        assert store.drain_and_close(5)
