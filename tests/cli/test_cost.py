"""``agentwatch cost`` against a real SQLite database of known events, and the forecast in ``stats``."""

from __future__ import annotations

from tests.cli.conftest import Database, cell, invoke, invoke_json, row


def test_cost_by_model_json(db: Database) -> None:
    data = invoke_json("cost", "--by", "model", "--database", db.url)
    groups = {g["key"]: g for g in data["groups"]}
    assert set(groups) == {"gpt-4o-mini", "claude-haiku-4-5", "ft:gpt-4o:acme:[support]"}
    assert groups["gpt-4o-mini"]["requests"] == 3 and abs(groups["gpt-4o-mini"]["cost_usd"] - 0.003) < 1e-12
    assert groups["claude-haiku-4-5"]["unpriced"] == 1
    assert data["total"]["requests"] == 5 and abs(data["total"]["cost_usd"] - 1.003) < 1e-12
    assert data["price_table"]["source"] == "genai-prices"


def test_cost_table_by_user_names_unpriced_calls(db: Database) -> None:
    result = invoke("cost", "--by", "user", "--since", "24h", "--database", db.url)
    assert result.exit_code == 0, result.output
    assert "Cost by user (last 24h)" in result.stdout
    assert row(result.stdout, "alice")[1:5] == ["2", "300", "150", "$0.003000"]
    assert row(result.stdout, "bob")[4:6] == ["unpriced", "2"]  # no cost known: never a fake $0
    assert row(result.stdout, "total")[1] == "4"


def test_cost_by_day_and_bad_group(db: Database) -> None:
    days = invoke_json("cost", "--by", "day", "--database", db.url)["groups"]
    assert len(days) >= 2 and all(len(d["key"]) == 10 for d in days)  # YYYY-MM-DD (UTC)
    bad = invoke("cost", "--by", "colour", "--database", db.url)
    assert bad.exit_code == 2


def test_stats_shows_a_month_end_forecast(db: Database) -> None:
    out = invoke("stats", "--database", db.url).stdout
    assert cell(out, "Month-end Forecast").startswith(("$", "n/a"))


def test_the_menu_offers_cost(db: Database) -> None:
    result = invoke("--database", db.url, input="6\nq\n")
    assert result.exit_code == 0, result.output
    assert "6  Cost by model" in result.stdout and "Cost by model (last 30d)" in result.stdout
