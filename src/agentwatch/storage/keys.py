"""API keys for ``agentwatch serve``: created, listed, revoked, and checked on every request.

A key reads ``aw_<key id>_<secret>``. Only the SHA-256 of the whole key is stored (the secret has
192 random bits, so a plain hash is enough), and the check compares hashes in constant time. The
id is public: it names the key in ``agentwatch keys list`` and in the server's rate limiter.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from agentwatch.storage.connection import open_sqlite
from agentwatch.storage.migrations import migrate

PREFIX = "aw_"


class Scope(StrEnum):
    INGEST = "ingest"  # send events, OTLP spans and proxied calls
    READ = "read"  # read events, stats, anomalies, metrics
    ADMIN = "admin"  # everything


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = None

    def allows(self, scope: Scope) -> bool:
        return self.revoked_at is None and (scope in self.scopes or Scope.ADMIN in self.scopes)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _when(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


class KeyStore:
    """The ``api_keys`` table of an agentwatch SQLite database. Thread-safe."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        self._conn = open_sqlite(path, migrate)

    def create(self, name: str, scopes: set[Scope]) -> tuple[str, ApiKey]:
        """A new key: returns the key itself (shown once, never stored) and its record."""
        key_id = secrets.token_hex(6)
        key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
        now = time.time()
        with self._lock:
            self._conn.execute(
                "INSERT INTO api_keys (key_id, key_hash, name, scopes, created_at) VALUES (?, ?, ?, ?, ?)",
                (key_id, _hash(key), name, ",".join(sorted(scopes)), now),
            )
        return key, ApiKey(key_id, name, frozenset(scopes), datetime.fromtimestamp(now, UTC))

    def list(self) -> list[ApiKey]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key_id, name, scopes, created_at, revoked_at FROM api_keys ORDER BY created_at"
            ).fetchall()
        return [self._record(*row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by its id; False if there is no such (unrevoked) key."""
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (time.time(), key_id),
            )
        return cursor.rowcount == 1

    def verify(self, key: str) -> ApiKey | None:
        """The key's record if ``key`` is a key this store issued (revoked ones included)."""
        key_id = key.removeprefix(PREFIX).partition("_")[0]
        if not key.startswith(PREFIX) or not key_id:
            return None
        with self._lock:
            row = self._conn.execute(
                "SELECT key_hash, key_id, name, scopes, created_at, revoked_at FROM api_keys WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        if row is None or not hmac.compare_digest(row[0], _hash(key)):
            return None
        return self._record(*row[1:])

    @staticmethod
    def _record(key_id: str, name: str, scopes: str, created: float, revoked: float | None) -> ApiKey:
        return ApiKey(
            key_id,
            name,
            frozenset(Scope(s) for s in scopes.split(",") if s),
            datetime.fromtimestamp(created, UTC),
            _when(revoked),
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
