"""The spool: events waiting for the server, in a SQLite file that outlives the process.

Every process that points at the same file shares it (a restarted app resends what the previous
run left; forked workers send each other's rows, which the server's idempotency on ``event_id``
makes harmless). It holds at most ``max_events`` events; what does not fit is refused, and the
caller counts it as dropped. Rows leave the spool only when the server has acknowledged them.
"""

from __future__ import annotations

import threading
from pathlib import Path

from agentwatch.storage.connection import open_sqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
)
"""

#: SQLite's limit on the number of ``?`` in one statement is far higher; this keeps statements small.
_CHUNK = 500


class Spool:
    """A bounded, durable FIFO of event documents (JSON text), keyed by event id."""

    def __init__(self, path: str | Path, max_events: int) -> None:
        self.path = str(path)
        self.max_events = max_events
        self._lock = threading.Lock()
        self._conn = open_sqlite(self.path, lambda conn: conn.execute(_SCHEMA))

    def append(self, documents: list[tuple[str, str]]) -> tuple[set[str], int]:
        """Add ``(event_id, json)`` pairs in one transaction.

        Returns the ids added (an id already spooled is skipped) and how many did not fit.
        """
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                present: set[str] = set()
                ids = [event_id for event_id, _ in documents]
                for i in range(0, len(ids), _CHUNK):
                    part = ids[i : i + _CHUNK]
                    marks = ",".join("?" * len(part))
                    rows = conn.execute(f"SELECT event_id FROM spool WHERE event_id IN ({marks})", part)
                    present.update(row[0] for row in rows)
                new = list({eid: doc for eid, doc in documents if eid not in present}.items())
                room = max(0, self.max_events - conn.execute("SELECT count(*) FROM spool").fetchone()[0])
                conn.executemany("INSERT INTO spool (event_id, body) VALUES (?, ?)", new[:room])
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
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

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM spool").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
