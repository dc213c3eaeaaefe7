"""SQLite schema migrations, applied in order and recorded in ``schema_migrations``.

Each migration runs in its own transaction together with the row that records it, so a
database is never left half-migrated. Add a migration by appending to :data:`MIGRATIONS`;
never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
import time

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "events, anomalies and per-minute rollups",
        """
        CREATE TABLE events (
            event_id TEXT PRIMARY KEY,
            start_ts REAL NOT NULL,
            trace_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            operation TEXT NOT NULL,
            model TEXT,
            status TEXT NOT NULL,
            user_id TEXT,
            session_id TEXT,
            agent TEXT,
            latency_ms REAL NOT NULL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            cost_usd REAL,
            risk_score INTEGER NOT NULL DEFAULT 0,
            data TEXT NOT NULL
        );
        CREATE INDEX idx_events_ts ON events (start_ts);
        CREATE INDEX idx_events_user_ts ON events (user_id, start_ts);
        CREATE INDEX idx_events_model_ts ON events (model, start_ts);
        CREATE INDEX idx_events_risk_ts ON events (risk_score, start_ts);

        CREATE TABLE anomalies (
            anomaly_id TEXT PRIMARY KEY,
            detected_ts REAL NOT NULL,
            type TEXT NOT NULL,
            severity TEXT NOT NULL,
            provider TEXT,
            model TEXT,
            user_id TEXT,
            agent TEXT,
            data TEXT NOT NULL
        );
        CREATE INDEX idx_anomalies_ts ON anomalies (detected_ts);

        CREATE TABLE rollup_minute (
            minute INTEGER NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            user_id TEXT NOT NULL,
            agent TEXT NOT NULL,
            status TEXT NOT NULL,
            requests INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cost_usd REAL NOT NULL,
            unpriced INTEGER NOT NULL,
            latency_sum_ms REAL NOT NULL,
            latency_max_ms REAL NOT NULL,
            pii_events INTEGER NOT NULL,
            injection_events INTEGER NOT NULL,
            PRIMARY KEY (minute, provider, model, user_id, agent, status)
        );
        """,
    ),
    (
        2,
        "what each monitored process last reported about itself",
        """
        CREATE TABLE process_status (
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            queue_depth INTEGER NOT NULL,
            submitted INTEGER NOT NULL,
            written INTEGER NOT NULL,
            pending INTEGER NOT NULL,
            dropped INTEGER NOT NULL,
            errors INTEGER NOT NULL,
            PRIMARY KEY (host, pid, started_at)
        );
        CREATE INDEX idx_process_status_updated ON process_status (updated_at);
        """,
    ),
    (
        30,
        "count the events whose tokens were estimated in the rollups (agentwatch cost)",
        """
        ALTER TABLE rollup_minute ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0
        """,
    ),
    (
        50,
        "anomaly fingerprints and status (open, acknowledged, resolved)",
        """
        ALTER TABLE anomalies ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
        ALTER TABLE anomalies ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
        CREATE INDEX idx_anomalies_fingerprint ON anomalies (fingerprint, status);
        CREATE INDEX idx_anomalies_type_ts ON anomalies (type, detected_ts)
        """,
    ),
    (
        51,
        "every attempt to deliver an alert",
        """
        CREATE TABLE alert_deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts REAL NOT NULL,
            channel TEXT NOT NULL,
            action TEXT NOT NULL,
            anomaly_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            http_status INTEGER,
            error TEXT,
            duration_ms REAL NOT NULL
        );
        CREATE INDEX idx_alert_deliveries_ts ON alert_deliveries (ts);
        CREATE INDEX idx_alert_deliveries_anomaly ON alert_deliveries (anomaly_id)
        """,
    ),
    (
        60,
        "API keys of agentwatch serve (hashed)",
        """
        CREATE TABLE api_keys (
            key_id TEXT PRIMARY KEY,
            key_hash TEXT NOT NULL,
            name TEXT NOT NULL,
            scopes TEXT NOT NULL,
            created_at REAL NOT NULL,
            revoked_at REAL
        );
        """,
    ),
]


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply the migrations this database lacks; returns the versions applied."""
    done = applied_versions(conn)
    applied = []
    for version, name, sql in MIGRATIONS:
        if version in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if version in applied_versions(conn):  # another process got there first
                conn.execute("ROLLBACK")
                continue
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, time.time()),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied
