"""SQLite storage: WAL, one writer with batched transactions, per-minute rollups.

Each event is stored as its JSON document plus the columns the CLI filters and sorts on. In the
same transaction the batch is folded into ``rollup_minute`` (one row per minute, provider, model,
user, agent and status), which is what ``stats`` reads: its cost grows with the number of minutes
and series, not the number of events. Re-writing an event id is ignored, rollups included.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agentwatch.model import AlertDelivery, Anomaly, AnomalyStatus, LLMCall, Severity
from agentwatch.storage.base import AnomalyFilter, CostRow, EventFilter, ProcessReport, Stats
from agentwatch.storage.connection import open_sqlite
from agentwatch.storage.migrations import migrate

_ROLLUP_UPSERT = """
INSERT INTO rollup_minute (minute, provider, model, user_id, agent, status, requests, input_tokens,
    output_tokens, cost_usd, unpriced, latency_sum_ms, latency_max_ms, pii_events, injection_events, estimated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (minute, provider, model, user_id, agent, status) DO UPDATE SET
    requests = requests + excluded.requests,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cost_usd = cost_usd + excluded.cost_usd,
    unpriced = unpriced + excluded.unpriced,
    latency_sum_ms = latency_sum_ms + excluded.latency_sum_ms,
    latency_max_ms = max(latency_max_ms, excluded.latency_max_ms),
    pii_events = pii_events + excluded.pii_events,
    injection_events = injection_events + excluded.injection_events,
    estimated = estimated + excluded.estimated
"""

_EVENT_INSERT = """
INSERT OR IGNORE INTO events (event_id, start_ts, trace_id, provider, operation, model, status, user_id,
    session_id, agent, latency_ms, input_tokens, output_tokens, cost_usd, risk_score, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str | None) -> str | None:
    """Text as SQLite can bind it: lone surrogates (invalid UTF-8 decoded with ``surrogateescape``,
    or ``\\ud800`` escapes in ingested JSON) become U+FFFD; sqlite3 refuses them, and with them the
    whole batch."""
    if value is None or value.isascii():
        return value
    return _SURROGATE.sub("\ufffd", value)


def _model_of(event: LLMCall) -> str | None:
    return _text(event.request_model or event.response_model)


def _json(model: BaseModel, **options: Any) -> str:
    """A document as JSON. Text the app passed with lone surrogates cannot be encoded; those code
    points become U+FFFD, the rest is kept."""
    try:
        return model.model_dump_json(**options)
    except ValueError:
        text = json.dumps(model.model_dump(mode="json", **options), ensure_ascii=False)
        return _text(text) or ""


def _document(event: LLMCall) -> str:
    return _json(event, exclude_defaults=True)


def _row(event: LLMCall) -> tuple[Any, ...]:
    return (
        _text(event.event_id),
        event.start_time.timestamp(),
        _text(event.trace_id),
        _text(event.provider),
        _text(event.operation),
        _model_of(event),
        event.status.value,
        _text(event.user_id),
        _text(event.session_id),
        _text(event.agent),
        event.latency_ms,
        event.usage.input_tokens,
        event.usage.output_tokens,
        event.cost.total_usd if event.cost else None,
        event.risk.score,
        _document(event),
    )


def _rollup_key(event: LLMCall) -> tuple[int, str, str, str, str, str]:
    return (
        int(event.start_time.timestamp() // 60),
        _text(event.provider) or "",
        _model_of(event) or "",
        _text(event.user_id) or "",
        _text(event.agent) or "",
        event.status.value,
    )


def _fold(rollups: dict[tuple[Any, ...], list[Any]], event: LLMCall) -> None:
    row = rollups.setdefault(_rollup_key(event), [0, 0, 0, 0.0, 0, 0.0, 0.0, 0, 0, 0])
    cost = event.cost.total_usd if event.cost else None
    kinds = {f.kind for f in event.findings}
    row[0] += 1
    row[1] += event.usage.input_tokens or 0
    row[2] += event.usage.output_tokens or 0
    row[3] += cost or 0.0
    row[4] += 1 if cost is None else 0
    row[5] += event.latency_ms
    row[6] = max(row[6], event.latency_ms)
    row[7] += 1 if "pii" in kinds else 0
    row[8] += 1 if "injection" in kinds else 0
    row[9] += 1 if event.usage.estimated else 0


def _conditions(where: EventFilter, *, rollup: bool) -> tuple[str, list[Any]]:
    """SQL conditions for ``where`` on the events table or on the rollups."""
    clauses: list[str] = []
    args: list[Any] = []
    if where.since is not None:
        clauses.append("minute >= ?" if rollup else "start_ts >= ?")
        args.append(int(where.since.timestamp() // 60) if rollup else where.since.timestamp())
    if where.until is not None:
        clauses.append("minute <= ?" if rollup else "start_ts <= ?")
        args.append(int(where.until.timestamp() // 60) if rollup else where.until.timestamp())
    for column, value in (
        ("provider", where.provider),
        ("model", where.model),
        ("user_id", where.user_id),
        ("agent", where.agent),
        ("status", where.status),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(_text(value))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _anomaly(data: str, status: str) -> Anomaly:
    """The stored document, with the status column (which ack and resolve change) on top."""
    anomaly = Anomaly.model_validate_json(data)
    anomaly.status = AnomalyStatus(status)
    return anomaly


def anomaly_conditions(where: AnomalyFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if where.since is not None:
        clauses.append("detected_ts >= ?")
        args.append(where.since.timestamp())
    if where.severity is not None:
        levels = [level.value for level in Severity][list(Severity).index(where.severity) :]
        clauses.append(f"severity IN ({','.join('?' * len(levels))})")
        args.extend(levels)
    for column, value in (
        ("type", where.type),
        ("status", where.status.value if where.status else None),
        ("provider", where.provider),
        ("model", where.model),
        ("user_id", where.user_id),
        ("agent", where.agent),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


#: ``cost --by`` -> the rollup expression it groups on (days in UTC).
_COST_GROUPS = {
    "model": "model",
    "provider": "provider",
    "user": "user_id",
    "agent": "agent",
    "day": "date(minute * 60, 'unixepoch')",
}


class SQLiteStorage:
    """The default store. Thread-safe: one connection, guarded by a lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._conn = open_sqlite(self.path, migrate)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def write_events(self, events: list[LLMCall]) -> list[LLMCall]:
        rollups: dict[tuple[Any, ...], list[Any]] = {}
        with self._transaction() as conn:
            ids = [_text(event.event_id) for event in events]
            stored: set[str | None] = set()
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                marks = ",".join("?" * len(part))
                sql = f"SELECT event_id FROM events WHERE event_id IN ({marks})"
                stored.update(row[0] for row in conn.execute(sql, part))
            new = list({key: e for key, e in zip(ids, events, strict=True) if key not in stored}.values())
            conn.executemany(_EVENT_INSERT, [_row(event) for event in new])
            for event in new:
                _fold(rollups, event)
            conn.executemany(_ROLLUP_UPSERT, [(*key, *row) for key, row in rollups.items()])
        return new

    def write_anomalies(self, anomalies: list[Anomaly]) -> None:
        with self._transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO anomalies (anomaly_id, detected_ts, type, severity, provider, model,"
                " user_id, agent, data, fingerprint, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        _text(a.anomaly_id),
                        a.detected_at.timestamp(),
                        _text(a.type),
                        a.severity.value,
                        _text(a.scope.get("provider")),
                        _text(a.scope.get("model")),
                        _text(a.scope.get("user")),
                        _text(a.scope.get("agent")),
                        _json(a),
                        _text(a.fingerprint),
                        a.status.value,
                    )
                    for a in anomalies
                ],
            )

    def _query(self, sql: str, args: list[Any]) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def events(
        self,
        where: EventFilter,
        limit: int = 20,
        *,
        min_risk: int | None = None,
        before: tuple[float, str] | None = None,
    ) -> list[LLMCall]:
        sql, args = _conditions(where, rollup=False)
        if min_risk is not None:
            sql += (" AND " if sql else " WHERE ") + "risk_score >= ?"
            args.append(min_risk)
        if before is not None:
            sql += (" AND " if sql else " WHERE ") + "(start_ts < ? OR (start_ts = ? AND event_id < ?))"
            args.extend((before[0], before[0], before[1]))
        rows = self._query(
            f"SELECT data FROM events{sql} ORDER BY start_ts DESC, event_id DESC LIMIT ?", [*args, limit]
        )
        return [LLMCall.model_validate_json(row[0]) for row in rows]

    def anomalies(
        self,
        since: datetime | None = None,
        limit: int = 10,
        *,
        type: str | None = None,
        before: tuple[float, str] | None = None,
    ) -> list[Anomaly]:
        return self.find_anomalies(AnomalyFilter(since=since, type=type), limit, before=before)

    def find_anomalies(
        self, where: AnomalyFilter, limit: int = 10, *, before: tuple[float, str] | None = None
    ) -> list[Anomaly]:
        sql, args = anomaly_conditions(where)
        if before is not None:  # the page after (detected_ts, anomaly_id), in this query's order
            sql += (" AND " if sql else " WHERE ") + (
                "(detected_ts < ? OR (detected_ts = ? AND rowid <"
                " (SELECT rowid FROM anomalies WHERE anomaly_id = ?)))"
            )
            args.extend((before[0], before[0], before[1]))
        rows = self._query(
            f"SELECT data, status FROM anomalies{sql} ORDER BY detected_ts DESC, rowid DESC LIMIT ?",
            [*args, limit],
        )
        return [_anomaly(data, status) for data, status in rows]

    def set_anomaly_status(self, anomaly_ids: list[str], status: AnomalyStatus) -> list[Anomaly]:
        changed: list[Anomaly] = []
        with self._transaction() as conn:
            for given in anomaly_ids:
                rows = conn.execute(
                    "SELECT anomaly_id, data FROM anomalies WHERE anomaly_id = ? OR anomaly_id LIKE ? ESCAPE '\\'"
                    " ORDER BY anomaly_id = ? DESC LIMIT 2",
                    (given, given.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", given),
                ).fetchall()
                exact = [r for r in rows if r[0] == given]
                if len(exact or rows) != 1:
                    continue
                anomaly_id, data = (exact or rows)[0]
                conn.execute(
                    "UPDATE anomalies SET status = ? WHERE anomaly_id = ?", (status.value, anomaly_id)
                )
                changed.append(_anomaly(data, status.value))
        return changed

    def resolve_fingerprint(self, fingerprint: str) -> int:
        with self._transaction() as conn:
            return int(
                conn.execute(
                    "UPDATE anomalies SET status = 'resolved' WHERE fingerprint = ? AND status != 'resolved'",
                    (fingerprint,),
                ).rowcount
            )

    def write_deliveries(self, deliveries: list[AlertDelivery]) -> None:
        with self._transaction() as conn:
            conn.executemany(
                "INSERT INTO alert_deliveries (ts, channel, action, anomaly_id, fingerprint, attempt, outcome,"
                " http_status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        d.at.timestamp(),
                        d.channel,
                        d.action,
                        d.anomaly_id,
                        d.fingerprint,
                        d.attempt,
                        d.outcome,
                        d.http_status,
                        d.error,
                        d.duration_ms,
                    )
                    for d in deliveries
                ],
            )

    def deliveries(self, since: datetime | None = None, limit: int = 20) -> list[AlertDelivery]:
        rows = self._query(
            "SELECT ts, channel, action, anomaly_id, fingerprint, attempt, outcome, http_status, error,"
            " duration_ms FROM alert_deliveries WHERE ts >= ? ORDER BY ts DESC, id DESC LIMIT ?",
            [since.timestamp() if since else 0.0, limit],
        )
        return [
            AlertDelivery(
                at=datetime.fromtimestamp(ts, UTC),
                channel=channel,
                action=action,
                anomaly_id=anomaly_id,
                fingerprint=fp,
                attempt=attempt,
                outcome=outcome,
                http_status=http_status,
                error=error,
                duration_ms=duration,
            )
            for ts, channel, action, anomaly_id, fp, attempt, outcome, http_status, error, duration in rows
        ]

    def stats(self, where: EventFilter) -> Stats:
        sql, args = _conditions(where, rollup=True)
        # total() for tokens: sum() raises "integer overflow" once the total passes 64 bits
        by_status = self._query(
            "SELECT status, sum(requests), total(input_tokens), total(output_tokens), sum(cost_usd),"
            " sum(unpriced), sum(latency_sum_ms), max(latency_max_ms), sum(pii_events),"
            f" sum(injection_events) FROM rollup_minute{sql} GROUP BY status",
            args,
        )
        totals: list[float] = [0.0] * 9
        counts: dict[str, int] = {}
        for status, *values in by_status:
            counts[status] = values[0]
            for i, value in enumerate(values):
                totals[i] = max(totals[i], value or 0.0) if i == 6 else totals[i] + (value or 0)
        scope = EventFilter(where.since, where.until, where.provider, where.model, where.user_id, where.agent)
        anomaly_sql, anomaly_args = _conditions(scope, rollup=False)
        anomalies = self._query(
            "SELECT count(*) FROM anomalies" + anomaly_sql.replace("start_ts", "detected_ts"), anomaly_args
        )[0][0]
        requests = int(totals[0] or 0)
        return Stats(
            requests=requests,
            ok=counts.get("ok", 0),
            errors=counts.get("error", 0),
            incomplete=counts.get("incomplete", 0),
            input_tokens=int(totals[1] or 0),
            output_tokens=int(totals[2] or 0),
            cost_usd=float(totals[3] or 0.0),
            unpriced_requests=int(totals[4] or 0),
            avg_latency_ms=(float(totals[5] or 0.0) / requests) if requests else None,
            max_latency_ms=float(totals[6]) if requests else None,
            pii_events=int(totals[7] or 0),
            injection_events=int(totals[8] or 0),
            anomalies=int(anomalies),
        )

    def cost_breakdown(self, where: EventFilter, by: str) -> list[CostRow]:
        sql, args = _conditions(where, rollup=True)
        key = _COST_GROUPS[by]
        rows = self._query(
            f"SELECT {key} AS k, sum(requests), total(input_tokens), total(output_tokens), sum(cost_usd),"
            f" sum(unpriced), sum(estimated) FROM rollup_minute{sql} GROUP BY k ORDER BY k",
            args,
        )
        return [
            CostRow(
                key=str(k or ""),
                requests=int(requests),
                input_tokens=int(inp or 0),
                output_tokens=int(out or 0),
                cost_usd=float(cost or 0.0),
                unpriced=int(unpriced or 0),
                estimated=int(estimated or 0),
            )
            for k, requests, inp, out, cost, unpriced, estimated in rows
        ]

    def write_report(self, report: ProcessReport) -> None:
        row = (
            report.host,
            report.pid,
            report.started_at.timestamp(),
            report.updated_at.timestamp(),
            report.queue_depth,
            report.submitted,
            report.written,
            report.pending,
            report.dropped,
            report.errors,
        )
        with self._transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO process_status VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)

    def reports(self, since: datetime | None = None) -> list[ProcessReport]:
        rows = self._query(
            "SELECT * FROM process_status WHERE updated_at >= ? ORDER BY updated_at DESC",
            [since.timestamp() if since else 0.0],
        )
        return [
            ProcessReport(
                host,
                pid,
                datetime.fromtimestamp(started, UTC),
                datetime.fromtimestamp(updated, UTC),
                *counters,
            )
            for host, pid, started, updated, *counters in rows
        ]

    def delete_before(self, cutoff: datetime) -> int:
        ts = cutoff.timestamp()
        with self._transaction() as conn:
            deleted = conn.execute("DELETE FROM events WHERE start_ts < ?", (ts,)).rowcount
            conn.execute("DELETE FROM anomalies WHERE detected_ts < ?", (ts,))
            conn.execute("DELETE FROM alert_deliveries WHERE ts < ?", (ts,))
            conn.execute("DELETE FROM rollup_minute WHERE minute < ?", (int(ts // 60),))
            conn.execute("DELETE FROM process_status WHERE updated_at < ?", (ts,))
        return int(deleted)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
