"""Events and polling for the remote-mode tests."""

from __future__ import annotations

import socket
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from agentwatch.model import LLMCall, Usage


def make_event(i: int = 0) -> LLMCall:
    now = datetime.now(UTC)
    return LLMCall(
        event_id=uuid.uuid4().hex,
        trace_id=uuid.uuid4().hex,
        span_id=uuid.uuid4().hex[:16],
        provider="openai",
        operation="chat",
        request_model="gpt-4o-mini",
        start_time=now,
        end_time=now,
        latency_ms=12.5,
        usage=Usage(input_tokens=10 + i, output_tokens=5),
        metadata={"i": i},
    )


def free_port() -> int:
    """A loopback port nobody listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll until ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def stored_counts(db: Path) -> tuple[int, int]:
    """(rows, distinct event ids) in a server's events table; (0, 0) before it exists."""
    if not db.exists():
        return 0, 0
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone()
    except sqlite3.OperationalError:  # the table is not created yet
        return 0, 0
    finally:
        conn.close()


def spooled(path: Path) -> int:
    conn = sqlite3.connect(path, timeout=10)
    try:
        return int(conn.execute("SELECT count(*) FROM spool").fetchone()[0])
    finally:
        conn.close()
