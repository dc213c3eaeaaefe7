"""A minimal, real ingest server for the remote-mode tests: the wire contract of
``POST /api/v1/events`` on a loopback HTTP server, storing into a real SQLiteStorage.

It can be told to answer the next requests with an error (``faults``) — the network edge the
sender must cope with. Run as a script (``python tests/remote/ingest_server.py PORT DB [KEY]``) it
serves until killed, which is what the restart tests do to it.
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentwatch.model import LLMCall
from agentwatch.storage import SQLiteStorage


@dataclass
class Request:
    at: float  # monotonic
    status: int
    events: int
    authorization: str | None
    encoding: str | None


#: A fault status meaning: store the batch, then close the connection without answering.
HANG_UP = 0


@dataclass
class Fault:
    status: int
    retry_after: str | None = None


@dataclass
class IngestState:
    store: SQLiteStorage
    key: str | None
    faults: deque[Fault] = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)
    refuse_event_ids: set[str] = field(default_factory=set)  # answered with 422 when in a batch
    crash_event_ids: set[str] = field(default_factory=set)  # answered with 500 (a server bug) when in a batch
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        auth = self.headers.get("Authorization")
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        status, reply, n, headers = self._answer(state, body, auth)
        with state.lock:
            state.requests.append(Request(time.monotonic(), status, n, auth, encoding))
        if status == HANG_UP:
            self.close_connection = True
            return
        payload = json.dumps(reply).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _answer(
        self, state: IngestState, body: bytes, auth: str | None
    ) -> tuple[int, dict[str, Any], int, dict[str, str]]:
        if self.path != "/api/v1/events":
            return 404, {"detail": "not found"}, 0, {}
        if state.key is not None and auth != f"Bearer {state.key}":
            return 401, {"detail": "bad key"}, 0, {}
        try:
            raw = json.loads(body)["events"]
            events = [LLMCall.model_validate(item) for item in raw]
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            return 422, {"detail": str(exc)[:200]}, 0, {}
        with state.lock:
            fault = state.faults.popleft() if state.faults else None
        if fault is not None and fault.status == HANG_UP:
            state.store.write_events(events)  # committed, but the reply never leaves
            return HANG_UP, {}, len(events), {}
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return fault.status, {"detail": "injected"}, len(events), headers
        if any(event.event_id in state.refuse_event_ids for event in events):
            return 422, {"detail": "refused event in batch"}, len(events), {}
        if any(event.event_id in state.crash_event_ids for event in events):
            return 500, {"detail": "internal server error"}, len(events), {}
        new = state.store.write_events(events)
        return 200, {"accepted": len(new), "duplicates": len(events) - len(new)}, len(events), {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, state: IngestState) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state


class IngestServer:
    """In-process: ``with IngestServer(db) as server: ...``; ``server.url`` is the endpoint."""

    def __init__(self, db: Path, *, key: str | None = None, port: int = 0) -> None:
        self.state = IngestState(SQLiteStorage(db), key)
        self._server = _Server(port, self.state)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> IngestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.state.store.close()


if __name__ == "__main__":
    port, db = int(sys.argv[1]), Path(sys.argv[2])
    server = _Server(port, IngestState(SQLiteStorage(db), sys.argv[3] if len(sys.argv) > 3 else None))
    print("ready", flush=True)
    server.serve_forever()
