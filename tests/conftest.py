"""Shared fixtures: one provider emulator per session, a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import agentwatch
from agentwatch.model import LLMCall
from agentwatch.storage import EventFilter, SQLiteStorage
from agentwatch.testing import Emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


class Recorder:
    """The default monitor, configured on a fresh database, and a way to read what it stored."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.settings = agentwatch.configure(database=f"sqlite:///{db_path}", flush_interval=0.05)

    def events(self, limit: int = 100) -> list[LLMCall]:
        assert agentwatch.flush(10), "agentwatch.flush() timed out"
        store = SQLiteStorage(self.db_path)
        try:
            return list(reversed(store.events(EventFilter(), limit)))
        finally:
            store.close()

    def only_event(self) -> LLMCall:
        events = self.events()
        assert len(events) == 1, events
        return events[0]


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    rec = Recorder(tmp_path / "agentwatch.db")
    yield rec
    agentwatch.shutdown()
