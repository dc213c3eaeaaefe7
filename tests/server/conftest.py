"""A real agentwatch server on a loopback port, its upstream the session's provider emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from agentwatch.config import Settings
from agentwatch.model import LLMCall
from agentwatch.server.app import create_app
from agentwatch.server.runner import ServerThread
from agentwatch.server.settings import ServerSettings
from agentwatch.storage import EventFilter, SQLiteStorage
from agentwatch.storage.keys import KeyStore, Scope
from agentwatch.testing import Emulator


class Served:
    """A running server, keys for each scope, and a way to read what it stored."""

    def __init__(self, db_path: Path, upstream: str, **server: Any) -> None:
        self.db_path = db_path
        keys = KeyStore(db_path)
        try:
            self.admin_key, _ = keys.create("admin", {Scope.ADMIN})
            self.ingest_key, _ = keys.create("ingest", {Scope.INGEST})
            self.read_key, self.read_record = keys.create("read", {Scope.READ})
        finally:
            keys.close()
        config = {"openai_upstream": upstream, "anthropic_upstream": upstream, "port": 0, **server}
        settings = Settings(
            database=f"sqlite:///{db_path}", flush_interval=0.05, server=ServerSettings(**config)
        )
        self.app = create_app(settings)
        self.thread = ServerThread(self.app).start()
        self.url = self.thread.url

    def headers(self, key: str | None = None, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.admin_key}", **extra}

    def client(self) -> httpx2.Client:
        return httpx2.Client(base_url=self.url, timeout=30)

    def events(self, limit: int = 1000) -> list[LLMCall]:
        """Everything stored so far (oldest first), after the worker has handled what it holds."""
        assert self.app.state.monitor.flush(10), "the server's monitor did not flush"
        store = SQLiteStorage(self.db_path)
        try:
            return list(reversed(store.events(EventFilter(), limit)))
        finally:
            store.close()

    def stop(self) -> None:
        self.thread.stop()


@pytest.fixture
def serve(tmp_path: Path, emulator: Emulator) -> Iterator[Callable[..., Served]]:
    """Start a server (settings from keyword arguments); each is stopped after the test."""
    started: list[Served] = []

    def start(**server: Any) -> Served:
        served = Served(tmp_path / f"server{len(started)}.db", emulator.url, **server)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def served(serve: Callable[..., Served]) -> Served:
    return serve()
