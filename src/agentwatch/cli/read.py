"""The read commands: ``stats``, ``events`` and ``risks`` (``anomalies`` is in :mod:`.anomalies`).

Each is a plain function Typer registers as a command; the interactive menu calls the same
functions with their defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console, RenderableType

from agentwatch.cli import options
from agentwatch.cli.cost import forecast_json, forecast_text, spend_forecast
from agentwatch.cli.database import reading, resolve_settings
from agentwatch.cli.render import (
    events_table,
    no_data,
    print_json,
    risks_table,
    stats_json,
    stats_table,
)
from agentwatch.cli.timeparse import describe_since, since_option
from agentwatch.config import Settings
from agentwatch.model import Status
from agentwatch.storage import EventFilter, Stats, Storage

_NO_STATS = Stats(
    requests=0,
    ok=0,
    errors=0,
    incomplete=0,
    input_tokens=0,
    output_tokens=0,
    cost_usd=0.0,
    unpriced_requests=0,
    avg_latency_ms=None,
    max_latency_ms=None,
    pii_events=0,
    injection_events=0,
    anomalies=0,
)


M = TypeVar("M", bound=BaseModel)


def _show(
    settings: Settings,
    query: Callable[[Storage], Sequence[M]],
    *,
    json_output: bool,
    empty: str,
    table: Callable[[Sequence[M]], RenderableType],
) -> None:
    """Run ``query`` on the store and print its rows as JSON, a table, or why there are none."""
    console = Console()
    with reading(settings) as store:
        found: Sequence[M] = [] if store is None else query(store)
    if json_output:
        print_json([row.model_dump(mode="json") for row in found])
    elif store is None:
        no_data(console, settings.sqlite_path)
    elif not found:
        console.print(empty)
    else:
        console.print(table(found))


def _window(text: str | None) -> str:
    return f" ({describe_since(text)})" if text else ""


def _event_filter(
    *,
    since: str | None,
    provider: str | None,
    model: str | None,
    user: str | None,
    agent: str | None,
    status: Status | None,
) -> EventFilter:
    return EventFilter(
        since=since_option(since),
        provider=provider,
        model=model,
        user_id=user,
        agent=agent,
        status=status.value if status else None,
    )


def stats(
    *,
    since: options.Since = "24h",
    provider: options.Provider = None,
    model: options.Model = None,
    user: options.User = None,
    agent: options.Agent = None,
    status: options.StatusFilter = None,
    json_output: options.AsJson = False,
    database: options.Database = None,
) -> None:
    """Requests, success rate, tokens, cost, latency, detections and anomalies over a window."""
    where = _event_filter(since=since, provider=provider, model=model, user=user, agent=agent, status=status)
    settings = resolve_settings(database)
    console = Console()
    with reading(settings) as store:
        forecast = None
        if store is None:
            result = _NO_STATS
            if not json_output:
                no_data(console, settings.sqlite_path)
                return
        else:
            result = store.stats(where)
            forecast = spend_forecast(store, where)
    if json_output:
        print_json({**stats_json(result), "month_end_forecast": forecast_json(forecast)})
    else:
        table = stats_table(result, f"Statistics{_window(since)}")
        table.add_row("Month-end Forecast", forecast_text(forecast))
        console.print(table)


def events(
    *,
    count: Annotated[
        int, typer.Argument(min=1, metavar="N", help="How many events to show, newest first.")
    ] = 20,
    since: options.Since = None,
    provider: options.Provider = None,
    model: options.Model = None,
    user: options.User = None,
    agent: options.Agent = None,
    status: options.StatusFilter = None,
    json_output: options.AsJson = False,
    database: options.Database = None,
) -> None:
    """The most recent LLM calls; --json prints each event as stored (the event model's fields)."""
    where = _event_filter(since=since, provider=provider, model=model, user=user, agent=agent, status=status)
    _show(
        resolve_settings(database),
        lambda store: store.events(where, count),
        json_output=json_output,
        empty=f"No events{_window(since)}.",
        table=lambda found: events_table(found, f"Recent events{_window(since)}, newest first"),
    )


def risks(
    *,
    count: Annotated[
        int, typer.Argument(min=1, metavar="N", help="How many events to show, newest first.")
    ] = 20,
    since: options.Since = "24h",
    min_score: Annotated[
        int, typer.Option("--min-score", min=0, max=100, help="Lowest risk score (0-100) to show.")
    ] = 50,
    json_output: options.AsJson = False,
    database: options.Database = None,
) -> None:
    """Calls whose risk score is at least --min-score, with the reasons for the score."""
    where = EventFilter(since=since_option(since))
    _show(
        resolve_settings(database),
        lambda store: store.events(where, count, min_risk=min_score),
        json_output=json_output,
        empty=f"[green]✓ No high-risk events with a risk score ≥ {min_score}{_window(since)}.[/green]",
        table=lambda found: risks_table(found, f"High-risk events, risk score ≥ {min_score}{_window(since)}"),
    )
