"""``agentwatch status``: the database, and the counters each monitored process reported to it."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from agentwatch.cli import options
from agentwatch.cli.database import require_local, resolve_settings
from agentwatch.cli.render import add_row, print_json
from agentwatch.cli.timeparse import describe_since, since_option
from agentwatch.config import Settings
from agentwatch.storage import ProcessReport, open_storage

COUNTERS = ("queue_depth", "submitted", "written", "pending", "dropped", "errors")


def _report_json(report: ProcessReport) -> dict[str, Any]:
    return {
        "host": report.host,
        "pid": report.pid,
        "started_at": report.started_at.isoformat(),
        "updated_at": report.updated_at.isoformat(),
        **{name: getattr(report, name) for name in COUNTERS},
    }


def _counts(path: Path) -> tuple[int, int | None]:
    """Events stored and schema version, read-only."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    finally:
        conn.close()
    return int(events), version


def database_report(settings: Settings, since: datetime | None) -> dict[str, Any]:
    """What ``status --json`` prints; a missing database is reported, not created."""
    path = Path(settings.sqlite_path)
    report: dict[str, Any] = {
        "database": settings.database,
        "path": str(path.resolve()),
        "exists": path.is_file(),
        "size_bytes": None,
        "events": None,
        "schema_version": None,
        "processes": [],
    }
    if not report["exists"]:
        return report
    report["size_bytes"] = path.stat().st_size
    try:
        storage = open_storage(settings)
        try:
            report["processes"] = [_report_json(r) for r in storage.reports(since)]
        finally:
            storage.close()
        report["events"], report["schema_version"] = _counts(path)
    except sqlite3.Error as exc:
        report["error"] = f"cannot read it: {exc}"
    return report


def _size(size: int | None) -> str:
    if size is None:
        return "—"
    units = ("B", "KiB", "MiB", "GiB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    return f"{size:,} B" if unit == 0 else f"{value:,.1f} {units[unit]}"


def _database_table(report: dict[str, Any]) -> Table:
    table = Table(title="agentwatch status", title_style="bold", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    add_row(table, "Database", report["database"])
    add_row(table, "Path", report["path"])
    add_row(table, "Exists", "yes" if report["exists"] else "no — run `make demo` or instrument a client")
    add_row(table, "Size", _size(report["size_bytes"]))
    add_row(table, "Events stored", "—" if report["events"] is None else f"{report['events']:,}")
    version = report["schema_version"]
    add_row(table, "Schema version", "—" if version is None else str(version))
    if "error" in report:
        add_row(table, "Error", Text(report["error"], style="red"))
    return table


def _processes_table(processes: list[dict[str, Any]], window: str) -> Table:
    table = Table(
        title=f"Monitored processes (reported {window})", title_style="bold", header_style="bold cyan"
    )
    table.add_column("Host")
    table.add_column("PID", justify="right")
    table.add_column("Last report", no_wrap=True)
    for name in ("Queue", "Submitted", "Written", "Pending"):
        table.add_column(name, justify="right")
    table.add_column("Dropped", justify="right")
    table.add_column("Errors", justify="right")
    for p in processes:
        add_row(
            table,
            p["host"],
            str(p["pid"]),
            datetime.fromisoformat(p["updated_at"]).astimezone().strftime("%m-%d %H:%M:%S"),
            *(f"{p[name]:,}" for name in ("queue_depth", "submitted", "written", "pending")),
            *(Text(f"{p[name]:,}", style="red" if p[name] else "") for name in ("dropped", "errors")),
        )
    return table


def status(
    *, since: options.Since = "24h", json_output: options.AsJson = False, database: options.Database = None
) -> None:
    """The database (path, size, events, schema version) and what each monitored process reported.

    An instrumented process writes its counters (queue depth, submitted, written, pending,
    dropped, errors) to the database once a second and when it exits; --since picks which reports
    to show. A running application can read its own live counters with agentwatch.status().
    """
    after = since_option(since)
    settings = resolve_settings(database)
    require_local(settings)
    report = database_report(settings, after)
    if json_output:
        print_json(report)
        return
    window = describe_since(since) if since else "ever"
    parts: list[Table | Text] = [_database_table(report)]
    if report["processes"]:
        parts.append(_processes_table(report["processes"], window))
    elif report["exists"]:
        parts.append(Text(f"No monitored process has reported to this database ({window})."))
    Console().print(Group(*parts))
