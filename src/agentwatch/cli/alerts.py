"""``agentwatch alerts``: send a test alert through a channel, list the channels, read the delivery log."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentwatch.alerting import Notice, Sender, build_channels
from agentwatch.cli import options
from agentwatch.cli.database import reading, resolve_settings
from agentwatch.cli.render import add_row, fail, local_time, no_data, print_json
from agentwatch.cli.timeparse import since_option
from agentwatch.model import Anomaly, Severity
from agentwatch.storage import open_storage

app = typer.Typer(help="Alert channels: test one, list them, read the delivery log.", no_args_is_help=True)


def test_anomaly() -> Anomaly:
    return Anomaly(
        anomaly_id="test-" + os.urandom(6).hex(),
        type="high_latency",
        severity=Severity.LOW,
        description="Test alert from `agentwatch alerts test`: if you can read this, the channel works",
        observed=6000.0,
        threshold=5000.0,
        window="event",
        scope={"provider": "openai", "model": "gpt-4o-mini"},
        recommended_action="Nothing: this is a test",
        fingerprint="agentwatch-test",
    )


@app.command("test")
def test(
    channel: Annotated[str, typer.Argument(help="A channel name from \\[agentwatch.alerts.channels].")],
    database: options.Database = None,
) -> None:
    """Send a test alert through CHANNEL now (retries included) and record the attempts."""
    settings = resolve_settings(database)
    channels = {c.name: (c, route) for c, route in build_channels(settings.alerts)}
    if channel not in channels:
        known = ", ".join(sorted(channels)) or "none configured"
        fail(f"no alert channel {channel!r} (channels: {known})")
    found, route = channels[channel]
    store = open_storage(settings)
    try:
        ok = Sender(lambda d: store.write_deliveries([d])).deliver(
            found, route, Notice("trigger", test_anomaly())
        )
        attempts = [d for d in store.deliveries(limit=route.max_attempts) if d.channel == channel]
    finally:
        store.close()
    console = Console()
    for attempt in reversed(attempts):
        detail = attempt.error or (f"HTTP {attempt.http_status}" if attempt.http_status else "")
        console.print(
            f"attempt {attempt.attempt}: {attempt.outcome} {detail}".rstrip(), markup=False, highlight=False
        )
    if not ok:
        fail(f"the test alert to {channel!r} was not delivered", code=1)
    console.print(f"[green]✓[/green] test alert delivered to {channel}")


@app.command("channels")
def channels(database: options.Database = None) -> None:
    """The configured channels and what each receives."""
    settings = resolve_settings(database)
    table = Table(title="Alert channels", title_style="bold", header_style="bold cyan")
    for name in ("Name", "Type", "Min severity", "Types", "Resolves"):
        table.add_column(name)
    for channel, route in build_channels(settings.alerts):
        spec = settings.alerts.channels[channel.name]
        types = ", ".join(sorted(route.types)) or "all"
        if route.exclude_types:
            types += " except " + ", ".join(sorted(route.exclude_types))
        add_row(
            table,
            channel.name,
            spec.type,
            route.min_severity.value,
            types,
            "yes" if channel.resolves else "no",
        )
    Console().print(table)


@app.command("log")
def log(
    count: Annotated[int, typer.Argument(min=1, metavar="N", help="How many attempts, newest first.")] = 20,
    since: options.Since = None,
    json_output: options.AsJson = False,
    database: options.Database = None,
) -> None:
    """Every attempt to deliver an alert: channel, outcome, HTTP status, error."""
    settings = resolve_settings(database)
    console = Console()
    with reading(settings) as store:
        found = [] if store is None else store.deliveries(since_option(since), count)
    if json_output:
        print_json([d.model_dump(mode="json") for d in found])
        return
    if store is None:
        no_data(console, settings.sqlite_path)
        return
    table = Table(title="Alert deliveries, newest first", title_style="bold", header_style="bold cyan")
    for name in ("Time", "Channel", "Action", "Anomaly", "Attempt", "Outcome", "Detail"):
        table.add_column(name)
    for d in found:
        detail = d.error or (f"HTTP {d.http_status}" if d.http_status else "")
        add_row(table, local_time(d.at), d.channel, d.action, d.anomaly_id, str(d.attempt), d.outcome, detail)
    console.print(table)
