"""A bare ``agentwatch``: the interactive menu, driven through stdin."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Database, cell, invoke, run_script


def test_the_menu_runs_a_choice_then_quits(db: Database) -> None:
    result = invoke("--database", db.url, input="1\nq\n")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "AI Monitoring Dashboard CLI" in out
    for item in (
        "1  Statistics",
        "2  Recent events",
        "3  Anomalies",
        "4  High-risk events",
        "5  Status",
        "q  Quit",
    ):
        assert item in out
    assert "Statistics (last 24h)" in out
    assert cell(out, "Total Requests") == "4"


def test_invalid_choices_are_asked_again(db: Database) -> None:
    result = invoke("--database", db.url, input="9\n5\nq\n")

    assert result.exit_code == 0
    assert "Please select one of the available options" in result.stdout
    assert cell(result.stdout, "Events stored") == "5"


def test_end_of_input_quits_cleanly(db: Database) -> None:
    result = invoke("--database", db.url, input="")

    assert result.exit_code == 0
    assert "AI Monitoring Dashboard CLI" in result.stdout


def test_the_installed_script_reads_piped_choices(db: Database, tmp_path: Path) -> None:
    done = run_script("--database", db.url, cwd=tmp_path, input="2\n3\n4\n")

    assert done.returncode == 0, done.stderr
    assert "Recent events, newest first" in done.stdout
    assert "high_latency" in done.stdout
    assert "email address in the prompt" in done.stdout


def test_the_installed_script_with_an_empty_stdin(tmp_path: Path) -> None:
    done = run_script(cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
