"""Storage backends behind the :class:`Storage` protocol."""

from __future__ import annotations

from agentwatch.config import Settings
from agentwatch.storage.base import AnomalyFilter, CostRow, EventFilter, ProcessReport, Stats, Storage
from agentwatch.storage.sqlite import SQLiteStorage


def open_storage(settings: Settings) -> Storage:
    return SQLiteStorage(settings.sqlite_path)


__all__ = [
    "AnomalyFilter",
    "CostRow",
    "EventFilter",
    "ProcessReport",
    "SQLiteStorage",
    "Stats",
    "Storage",
    "open_storage",
]
