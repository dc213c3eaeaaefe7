"""agentwatch status: the database facts and what each monitored process reported."""

from __future__ import annotations

from pathlib import Path

from agentwatch.storage.migrations import MIGRATIONS
from tests.cli.conftest import REPORTS, Database, cell, invoke, invoke_json, row

LATEST = max(version for version, _, _ in MIGRATIONS)


def test_status_json_describes_the_database_and_the_processes(db: Database) -> None:
    report = invoke_json("status", "--database", db.url)

    assert list(report) == [
        "database",
        "path",
        "exists",
        "size_bytes",
        "events",
        "schema_version",
        "processes",
    ]
    assert report["database"] == db.url
    assert report["path"] == str(db.path.resolve())
    assert report["exists"] is True
    assert report["size_bytes"] == db.path.stat().st_size > 0
    assert report["events"] == 5
    assert report["schema_version"] == LATEST
    assert report["processes"] == [
        {
            "host": "app-1",
            "pid": 4242,
            "started_at": REPORTS[0].started_at.isoformat(),
            "updated_at": REPORTS[0].updated_at.isoformat(),
            "queue_depth": 3,
            "submitted": 120,
            "written": 115,
            "pending": 0,
            "dropped": 2,
            "errors": 1,
        }
    ]


def test_since_picks_which_process_reports_show(db: Database) -> None:
    processes = invoke_json("status", "--since", "7d", "--database", db.url)["processes"]

    assert [(p["host"], p["pid"]) for p in processes] == [("app-1", 4242), ("app-0", 17)]


def test_status_table(db: Database) -> None:
    out = invoke("status", "--database", db.url).stdout

    assert cell(out, "Database") == db.url
    assert cell(out, "Exists") == "yes"
    assert cell(out, "Events stored") == "5"
    assert cell(out, "Schema version") == str(LATEST)
    assert "Monitored processes (reported last 24h)" in out
    assert row(out, "Host") == [
        "Host",
        "PID",
        "Last report",
        "Queue",
        "Submitted",
        "Written",
        "Pending",
        "Dropped",
        "Errors",
    ]
    assert row(out, "app-1")[3:] == ["3", "120", "115", "0", "2", "1"]
    assert "app-0" not in out


def test_a_database_no_process_reported_to(db: Database) -> None:
    out = invoke("status", "--since", "1m", "--database", db.url).stdout

    assert "No monitored process has reported to this database (last 1m)." in out


def test_status_of_a_missing_database_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    result = invoke("status", "--database", f"sqlite:///{path}")

    assert result.exit_code == 0
    assert cell(result.stdout, "Exists").startswith("no")
    report = invoke_json("status", "--database", f"sqlite:///{path}")
    assert (report["exists"], report["events"], report["schema_version"], report["processes"]) == (
        False,
        None,
        None,
        [],
    )
    assert not path.exists()


def test_status_of_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not sqlite", encoding="utf-8")

    report = invoke_json("status", "--database", f"sqlite:///{path}")

    assert report["exists"] is True
    assert report["events"] is None
    assert "cannot read it" in report["error"]


def test_status_help_says_where_a_running_apps_counters_are() -> None:
    out = invoke("status", "--help").stdout

    assert "agentwatch.status()" in out
