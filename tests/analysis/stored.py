"""What the default monitor stored, read back after a flush: the end-to-end tests' view."""

from __future__ import annotations

from pathlib import Path

import agentwatch
from agentwatch.model import Anomaly, LLMCall
from agentwatch.storage import AnomalyFilter, EventFilter, SQLiteStorage


def stored_anomalies(db: Path) -> list[Anomaly]:
    """Every anomaly, oldest first, once what was captured so far is stored."""
    assert agentwatch.flush(10)
    store = SQLiteStorage(db)
    try:
        return list(reversed(store.find_anomalies(AnomalyFilter(), 1000)))
    finally:
        store.close()


def stored_events(db: Path) -> list[LLMCall]:
    """Every event, oldest first, once what was captured so far is stored."""
    assert agentwatch.flush(10)
    store = SQLiteStorage(db)
    try:
        return list(reversed(store.events(EventFilter(), 1000)))
    finally:
        store.close()
