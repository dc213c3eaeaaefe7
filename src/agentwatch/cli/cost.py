"""``agentwatch cost``: spend by model, provider, user, agent or day; and the month-end forecast ``stats`` shows.

Both read the per-minute rollups, so ``--since`` counts whole minutes and days are UTC days.
Unpriced calls (no known price) are counted apart, never as $0; estimated ones are counted too.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agentwatch.analysis.forecast import WINDOW_DAYS, Forecast, month_end_forecast
from agentwatch.cli import options
from agentwatch.cli.database import reading, resolve_settings
from agentwatch.cli.render import add_row, no_data, print_json
from agentwatch.cli.timeparse import describe_since, since_option
from agentwatch.pricing import TABLE_SOURCE, TABLE_VERSION
from agentwatch.storage import CostRow, EventFilter, Storage

__all__ = ["By", "cost", "forecast_json", "forecast_text", "spend_forecast"]


class By(StrEnum):
    MODEL = "model"
    PROVIDER = "provider"
    USER = "user"
    AGENT = "agent"
    DAY = "day"


def _total(rows: list[CostRow]) -> CostRow:
    return CostRow(
        key="total",
        requests=sum(r.requests for r in rows),
        input_tokens=sum(r.input_tokens for r in rows),
        output_tokens=sum(r.output_tokens for r in rows),
        cost_usd=sum(r.cost_usd for r in rows),
        unpriced=sum(r.unpriced for r in rows),
        estimated=sum(r.estimated for r in rows),
    )


def _usd(row: CostRow) -> str:
    if row.unpriced and row.unpriced >= row.requests:
        return "unpriced"
    return f"${row.cost_usd:,.6f}"


def cost_table(rows: list[CostRow], by: By, title: str) -> Table:
    table = Table(title=title, title_style="bold", header_style="bold cyan", caption_justify="left")
    table.add_column(by.value.capitalize())
    for name in ("Requests", "Input Tokens", "Output Tokens", "Cost (USD)", "Unpriced", "Estimated"):
        table.add_column(name, justify="right")
    for row in [*rows, _total(rows)]:
        add_row(
            table,
            row.key or "—",
            f"{row.requests:,}",
            f"{row.input_tokens:,}",
            f"{row.output_tokens:,}",
            _usd(row),
            f"{row.unpriced:,}",
            f"{row.estimated:,}",
        )
    table.caption = (
        f"Prices: {TABLE_SOURCE} {TABLE_VERSION} (bundled, as valid at each call's time) or custom prices. "
        "Unpriced calls are not in the cost; estimated ones are priced from estimated tokens."
    )
    return table


def cost(
    *,
    since: options.Since = "30d",
    by: Annotated[
        By, typer.Option("--by", help="Group by model, provider, user, agent or day (UTC).")
    ] = By.MODEL,
    provider: options.Provider = None,
    model: options.Model = None,
    user: options.User = None,
    agent: options.Agent = None,
    json_output: options.AsJson = False,
    database: options.Database = None,
) -> None:
    """Spend over a window, grouped by model, provider, user, agent or day, with unpriced and estimated calls."""
    where = EventFilter(since=since_option(since), provider=provider, model=model, user_id=user, agent=agent)
    settings = resolve_settings(database)
    console = Console()
    with reading(settings) as store:
        rows = [] if store is None else store.cost_breakdown(where, by.value)
    if json_output:
        print_json(
            {
                "since": where.since.isoformat() if where.since else None,
                "by": by.value,
                "groups": [dataclasses.asdict(row) for row in rows],
                "total": dataclasses.asdict(_total(rows)),
                "price_table": {"source": TABLE_SOURCE, "version": TABLE_VERSION},
            }
        )
    elif store is None:
        no_data(console, settings.sqlite_path)
    elif not rows:
        console.print(f"No calls{f' ({describe_since(since)})' if since else ''}.")
    else:
        window = f" ({describe_since(since)})" if since else ""
        console.print(cost_table(rows, by, f"Cost by {by.value}{window}"))


# ---------------------------------------------------------------------- forecast (shown by stats)


def spend_forecast(store: Storage, where: EventFilter, now: datetime | None = None) -> Forecast | None:
    """The month-end forecast for the calls ``where`` selects (its time window is ignored)."""
    now = now or datetime.now(UTC)
    first = min(now.date().replace(day=1), now.date() - timedelta(days=WINDOW_DAYS))
    scope = dataclasses.replace(where, since=datetime.combine(first, datetime.min.time(), UTC), until=None)
    daily = {date.fromisoformat(row.key): row.cost_usd for row in store.cost_breakdown(scope, By.DAY.value)}
    return month_end_forecast(daily, now)


def forecast_text(forecast: Forecast | None) -> str:
    if forecast is None:
        return "n/a (needs 2 days of spend)"
    return (
        f"${forecast.forecast_usd:,.2f} (90%: ${forecast.low_usd:,.2f}-${forecast.high_usd:,.2f};"
        f" {forecast.days}-day {forecast.method})"
    )


def forecast_json(forecast: Forecast | None) -> dict[str, Any] | None:
    return None if forecast is None else dataclasses.asdict(forecast)
