"""stats, events, anomalies and risks against a real SQLite database of known events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentwatch.model import Anomaly, LLMCall
from tests.cli.conftest import (
    ANOMALIES,
    CALLS,
    OLD_CALL,
    Database,
    cell,
    invoke,
    invoke_json,
    row,
    run_script,
)

# ---------------------------------------------------------------------- stats


def test_stats_table_shows_what_was_written(db: Database) -> None:
    result = invoke("stats", "--database", db.url)

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Statistics (last 24h)" in out
    expected = {
        "Total Requests": "4",
        "Successful": "3",
        "Failed": "1",
        "Incomplete": "0",
        "Success Rate": "75.0%",
        "Input Tokens": "600",
        "Output Tokens": "300",
        "Total Tokens": "900",
        "Total Cost": "$0.0030 (2 unpriced)",
        "Avg Latency": "325 ms",
        "Max Latency": "600 ms",
        "PII Detections": "1",
        "Injection Attempts": "0",
        "Anomalies": "1",
    }
    assert {label: cell(out, label) for label in expected} == expected


def test_stats_json_is_the_stats_fields_plus_rate_and_total(db: Database) -> None:
    result = invoke("stats", "--json", "--database", db.url)

    assert result.exit_code == 0
    assert result.stderr == ""
    data = json.loads(result.stdout)
    forecast = data.pop("month_end_forecast")
    assert forecast is None or set(forecast) >= {"spent_usd", "forecast_usd", "low_usd", "high_usd"}
    assert list(data.items()) == [
        ("requests", 4),
        ("ok", 3),
        ("errors", 1),
        ("incomplete", 0),
        ("input_tokens", 600),
        ("output_tokens", 300),
        ("cost_usd", pytest.approx(0.003)),
        ("unpriced_requests", 2),
        ("avg_latency_ms", 325.0),
        ("max_latency_ms", 600.0),
        ("pii_events", 1),
        ("injection_events", 0),
        ("anomalies", 1),
        ("success_rate", 0.75),
        ("total_tokens", 900),
    ]


def test_when_nothing_is_priced_the_cost_is_not_a_fake_zero(db: Database) -> None:
    out = invoke("stats", "--provider", "anthropic", "--database", db.url).stdout

    assert cell(out, "Total Cost") == "n/a (1 unpriced)"


@pytest.mark.parametrize(
    ("option", "value", "requests", "errors"),
    [
        ("--provider", "anthropic", 1, 0),
        ("--model", "gpt-4o-mini", 3, 1),
        ("--user", "alice", 2, 0),
        ("--user", "bob", 2, 1),
        ("--agent", "research", 2, 1),
        ("--status", "error", 1, 1),
        ("--status", "ok", 3, 0),
        ("--provider", "nobody", 0, 0),
    ],
)
def test_stats_filters(db: Database, option: str, value: str, requests: int, errors: int) -> None:
    stats = invoke_json("stats", option, value, "--database", db.url)

    assert (stats["requests"], stats["errors"]) == (requests, errors)


def test_since_decides_which_events_count(db: Database) -> None:
    assert invoke_json("stats", "--database", db.url)["requests"] == 4
    week = invoke_json("stats", "--since", "7d", "--database", db.url)
    assert (week["requests"], week["input_tokens"], week["cost_usd"]) == (5, 1600, pytest.approx(1.003))
    assert invoke_json("stats", "--since", "1m", "--database", db.url)["requests"] == 0
    four_days_ago = (datetime.now(UTC) - timedelta(days=4)).isoformat()
    assert invoke_json("stats", "--since", four_days_ago, "--database", db.url)["requests"] == 5


def test_the_database_option_also_works_before_the_command(db: Database) -> None:
    assert invoke_json("--database", db.url, "stats")["requests"] == 4


def test_the_database_comes_from_the_environment_like_the_library(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTWATCH_DATABASE", db.url)

    assert invoke_json("stats")["requests"] == 4


@pytest.mark.parametrize("command", ["stats", "events", "anomalies", "risks"])
def test_a_bad_since_is_a_usage_error(db: Database, command: str) -> None:
    result = invoke(command, "--since", "abc", "--database", db.url)

    assert result.exit_code == 2
    assert "--since" in result.stderr
    assert "abc" in result.stderr
    assert result.stdout == ""


def test_a_bad_database_setting_is_a_usage_error() -> None:
    result = invoke("stats", "--database", "postgres://nowhere")

    assert result.exit_code == 2
    assert "only sqlite:///PATH is supported" in result.stderr


# ---------------------------------------------------------------------- events


def test_events_json_round_trips_into_the_event_model(db: Database) -> None:
    events = [LLMCall.model_validate(item) for item in invoke_json("events", "--database", db.url)]

    assert events == [*CALLS, OLD_CALL]


def test_events_json_is_exactly_the_model_dump(db: Database) -> None:
    assert invoke_json("events", "1", "--database", db.url) == [CALLS[0].model_dump(mode="json")]


def test_events_filters_and_since(db: Database) -> None:
    def ids(*args: str) -> list[str]:
        return [e["event_id"] for e in invoke_json("events", *args, "--database", db.url)]

    assert ids("--since", "24h") == ["ev-4", "ev-3", "ev-2", "ev-1"]
    assert ids("2") == ["ev-4", "ev-3"]
    assert ids("--user", "alice") == ["ev-2", "ev-1"]
    assert ids("--provider", "anthropic") == ["ev-3"]
    assert ids("--model", "ft:gpt-4o:acme:[support]") == ["ev-0"]
    assert ids("--status", "error") == ["ev-4"]
    assert ids("--agent", "support", "--since", "25m") == ["ev-2"]


def test_events_table(db: Database) -> None:
    result = invoke("events", "--database", db.url)

    assert result.exit_code == 0
    out = result.stdout
    assert row(out, "Time")[1:] == [
        "Provider",
        "Model",
        "Tokens (in/out)",
        "Cost",
        "Latency (ms)",
        "TTFT (ms)",
        "Status",
        "Risk",
    ]
    time = CALLS[0].start_time.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert row(out, "✗") == [time, "openai", "gpt-4o-mini", "?/?", "—", "100", "", "✗ error 429", "low"]
    assert row(out, "claude")[1:] == [
        "anthropic",
        "claude-haiku-4-5",
        "300/150",
        "unpriced",
        "600",
        "",
        "✓ ok",
        "high",
    ]
    assert row(out, "ft:gpt-4o:acme:[support]")[3:5] == ["1,000/1,000", "$1.000000"]
    assert row(out, "200/100")[3:] == ["200/100", "$0.002000", "400", "50", "✓ ok", "low"]


def test_events_json_is_utf8_from_the_installed_script(db: Database, tmp_path: Path) -> None:
    done = run_script("events", "--json", "--since", "1h", "--database", db.url, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    events = [LLMCall.model_validate(item) for item in json.loads(done.stdout)]
    assert [e.event_id for e in events] == ["ev-4", "ev-3", "ev-2", "ev-1"]
    assert '"note": "café ☕"' in done.stdout


# ---------------------------------------------------------------------- anomalies


def test_anomalies_json(db: Database) -> None:
    found = [Anomaly.model_validate(item) for item in invoke_json("anomalies", "--database", db.url)]

    assert found == ANOMALIES
    recent = invoke_json("anomalies", "--since", "24h", "--database", db.url)
    assert [a["anomaly_id"] for a in recent] == ["an-recent"]


def test_anomalies_table(db: Database) -> None:
    out = invoke("anomalies", "--database", db.url).stdout

    assert row(out, "high_latency")[1:] == [
        "high_latency",
        "medium",
        "Latency 6000 ms exceeds 5000 ms",
        "provider=openai, model=gpt-4o-mini",
        "6,000 / 5,000",
        "open",
        "an-recent",
    ]
    assert row(out, "request_failure")[-3] == "429 / —"


# ---------------------------------------------------------------------- risks


def test_risks_lists_events_at_or_above_the_min_score(db: Database) -> None:
    def ids(*args: str) -> list[str]:
        return [e["event_id"] for e in invoke_json("risks", *args, "--database", db.url)]

    assert ids() == ["ev-3"]
    assert ids("--since", "7d") == ["ev-3", "ev-0"]
    assert ids("--since", "7d", "--min-score", "85") == ["ev-0"]
    assert ids("--min-score", "80") == ["ev-3"]
    assert ids("--min-score", "81") == []
    assert len(ids("--min-score", "0")) == 4


def test_risks_table_and_the_friendly_empty_line(db: Database) -> None:
    out = invoke("risks", "--database", db.url).stdout
    assert row(out, "claude")[1:] == [
        "anthropic",
        "claude-haiku-4-5",
        "80",
        "high",
        "email address in the prompt",
    ]
    assert "High-risk events, risk score ≥ 50 (last 24h)" in out

    empty = invoke("risks", "--min-score", "95", "--database", db.url)
    assert empty.exit_code == 0
    assert "No high-risk events" in empty.stdout


def test_min_score_is_bounded(db: Database) -> None:
    assert invoke("risks", "--min-score", "101", "--database", db.url).exit_code == 2


# ---------------------------------------------------------------------- no database yet


@pytest.mark.parametrize("command", ["stats", "events", "anomalies", "risks"])
def test_a_missing_database_says_so_and_is_not_created(tmp_path: Path, command: str) -> None:
    path = tmp_path / "nothing" / "here.db"

    result = invoke(command, "--database", f"sqlite:///{path}")

    assert result.exit_code == 0
    assert f"No data yet at {path} — run `make demo` or instrument a client" in result.stdout
    assert not path.parent.exists()


@pytest.mark.parametrize("command", ["events", "anomalies", "risks"])
def test_a_missing_database_is_an_empty_json_list(tmp_path: Path, command: str) -> None:
    assert invoke_json(command, "--database", f"sqlite:///{tmp_path}/none.db") == []


def test_a_missing_database_is_zero_stats(tmp_path: Path) -> None:
    stats = invoke_json("stats", "--database", f"sqlite:///{tmp_path}/none.db")

    assert stats["requests"] == 0
    assert stats["success_rate"] is None
    assert stats["cost_usd"] == 0.0
    assert not (tmp_path / "none.db").exists()
