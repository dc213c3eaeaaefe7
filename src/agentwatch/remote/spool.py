"""The spool: events waiting for the server, in a SQLite file that outlives the process.

Every process that points at the same file shares it (a restarted app resends what the previous
run left; forked workers send each other's rows, which the server's idempotency on ``event_id``
makes harmless). It holds at most ``max_events`` events; what does not fit is refused, and the
caller counts it as dropped. Rows leave the spool only when the server has acknowledged them, or
to the ``parked`` table beside it: an event the server refuses even alone (400/413/422), or one it
keeps failing on (HTTP 500) while the rest go through, waits there instead of blocking the queue;
it is kept, counted in ``agentwatch.status()``, and sent again when the next process starts.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentwatch.storage.connection import open_sqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS parked (
    event_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    status INTEGER,
    detail TEXT NOT NULL,
    parked_at REAL NOT NULL
);
"""


def _create(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(spool)")}
    if "attempts" not in columns:  # a spool left by an earlier version
        conn.execute("ALTER TABLE spool ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")


#: SQLite's limit on the number of ``?`` in one statement is far higher; this keeps statements small.
_CHUNK = 500


class Spool:
    """A bounded, durable FIFO of event documents (JSON text), keyed by event id (parked events
    count towards the bound)."""

    def __init__(self, path: str | Path, max_events: int) -> None:
        self.path = str(path)
        self.max_events = max_events
        self._lock = threading.Lock()
        self._conn = open_sqlite(self.path, _create)

    def append(self, documents: list[tuple[str, str]]) -> tuple[set[str], int]:
        """Add ``(event_id, json)`` pairs in one transaction.

        Returns the ids added (an id already spooled is skipped) and how many did not fit.
        """
        with self._transaction() as conn:
            present: set[str] = set()
            ids = [event_id for event_id, _ in documents]
            for i in range(0, len(ids), _CHUNK):
                part = ids[i : i + _CHUNK]
                marks = ",".join("?" * len(part))
                for table in ("spool", "parked"):
                    rows = conn.execute(f"SELECT event_id FROM {table} WHERE event_id IN ({marks})", part)
                    present.update(row[0] for row in rows)
            new = list({eid: doc for eid, doc in documents if eid not in present}.items())
            held = conn.execute(
                "SELECT (SELECT count(*) FROM spool) + (SELECT count(*) FROM parked)"
            ).fetchone()[0]
            room = max(0, self.max_events - held)
            conn.executemany("INSERT INTO spool (event_id, body) VALUES (?, ?)", new[:room])
        return {eid for eid, _ in new[:room]}, max(0, len(new) - room)

    def oldest(self, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` ``(row id, json)`` pairs, oldest first; they stay until :meth:`remove`."""
        with self._lock:
            return self._conn.execute("SELECT id, body FROM spool ORDER BY id LIMIT ?", (limit,)).fetchall()

    def remove(self, row_ids: list[int]) -> None:
        with self._lock:
            for i in range(0, len(row_ids), _CHUNK):
                part = row_ids[i : i + _CHUNK]
                self._conn.execute(f"DELETE FROM spool WHERE id IN ({','.join('?' * len(part))})", part)

    def failed(self, row_id: int) -> int:
        """Count a failed attempt to send this row; returns its attempts so far."""
        with self._lock:
            self._conn.execute("UPDATE spool SET attempts = attempts + 1 WHERE id = ?", (row_id,))
            row = self._conn.execute("SELECT attempts FROM spool WHERE id = ?", (row_id,)).fetchone()
        return int(row[0]) if row else 0

    def requeue(self, row_id: int) -> None:
        """Move the row behind every other (a new id), keeping its attempts."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT event_id, body, attempts FROM spool WHERE id = ?", (row_id,)
            ).fetchone()
            if row is not None:
                conn.execute("DELETE FROM spool WHERE id = ?", (row_id,))
                conn.execute("INSERT INTO spool (event_id, body, attempts) VALUES (?, ?, ?)", row)

    def park(self, row_ids: list[int], status: int | None, detail: str) -> None:
        """Move rows out of the queue into ``parked``, with the server's answer."""
        with self._transaction() as conn:
            for row_id in row_ids:
                conn.execute(
                    "INSERT OR REPLACE INTO parked (event_id, body, status, detail, parked_at) "
                    "SELECT event_id, body, ?, ?, ? FROM spool WHERE id = ?",
                    (status, detail[:500], time.time(), row_id),
                )
                conn.execute("DELETE FROM spool WHERE id = ?", (row_id,))

    def unpark(self) -> int:
        """Put every parked event back at the end of the queue (attempts from zero); how many."""
        with self._transaction() as conn:
            moved = conn.execute(
                "INSERT OR IGNORE INTO spool (event_id, body) SELECT event_id, body FROM parked ORDER BY parked_at"
            ).rowcount
            conn.execute("DELETE FROM parked")
        return moved

    def parked(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM parked").fetchone()[0])

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM spool").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
