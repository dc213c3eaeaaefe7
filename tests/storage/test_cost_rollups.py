"""Migration 30 on a database made before it, and the cost breakdown read from the rollups."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agentwatch.model import Cost, Usage
from agentwatch.storage import EventFilter, SQLiteStorage
from agentwatch.storage.migrations import MIGRATIONS, applied_versions
from tests.storage.test_sqlite import NOW, event


def test_an_older_database_gains_the_estimated_count(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    applied_versions(conn)  # creates schema_migrations
    for version, name, sql in MIGRATIONS:
        if version < 30:  # the schema as it was before issue 3
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, name))
    conn.close()
    store = SQLiteStorage(path)  # applies 30
    try:
        store.write_events([
            event(1, request_model="gpt-4o", cost=Cost(total_usd=0.5)),
            event(2, request_model="gpt-4o", usage=Usage(input_tokens=5, output_tokens=5, estimated=True),
                  cost=Cost(total_usd=0.25, estimated=True)),
            event(3, request_model="mystery", cost=Cost(unpriced=True)),
        ])  # fmt: skip
        rows = {row.key: row for row in store.cost_breakdown(EventFilter(), "model")}
        days = store.cost_breakdown(EventFilter(), "day")
    finally:
        store.close()
    assert (rows["gpt-4o"].requests, rows["gpt-4o"].cost_usd, rows["gpt-4o"].estimated) == (2, 0.75, 1)
    assert (rows["mystery"].unpriced, rows["mystery"].cost_usd) == (1, 0.0)
    assert [(d.key, d.requests) for d in days] == [(NOW.date().isoformat(), 3)]
