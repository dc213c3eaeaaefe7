"""Storage backends behind the :class:`Storage` protocol."""

from __future__ import annotations

from agentwatch.config import Settings
from agentwatch.storage.base import AnomalyFilter, CostRow, EventFilter, ProcessReport, Stats, Storage
from agentwatch.storage.sqlite import SQLiteStorage


def open_storage(settings: Settings) -> Storage:
    """SQLite at ``database``; in remote mode (``endpoint`` set) the spool that feeds the server."""
    if settings.endpoint is not None:
        from agentwatch.remote import RemoteStorage

        return RemoteStorage(settings)
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
