"""Opening an agentwatch SQLite file: one shared connection per store, WAL, waits on locks."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path


def open_sqlite(path: str | Path, prepare: Callable[[sqlite3.Connection], object]) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), usable from any thread under the
    store's own lock, in WAL with NORMAL sync; ``prepare`` (migrations, a schema) runs on it before
    it is returned. The directory is created; a failure closes the connection and is raised."""
    name = str(path)
    if name != ":memory:":
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(name, isolation_level=None, check_same_thread=False, timeout=10)
    try:
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        prepare(conn)
    except BaseException:
        conn.close()
        raise
    return conn
