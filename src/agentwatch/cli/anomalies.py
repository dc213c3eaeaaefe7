"""``anomalies`` (with filters), ``ack`` and ``resolve``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from agentwatch.alerting import Notice, Sender, build_channels
from agentwatch.cli import options
from agentwatch.cli.database import reading, resolve_settings
from agentwatch.cli.render import anomalies_table, fail, no_data, print_json
from agentwatch.cli.timeparse import describe_since, since_option
from agentwatch.config import Settings
from agentwatch.model import Anomaly, AnomalyStatus, Severity
from agentwatch.storage import AnomalyFilter

Ids = Annotated[list[str], typer.Argument(metavar="ID...", help="Anomaly ids (a unique prefix is enough).")]


def anomalies(
    *,
    count: Annotated[
        int, typer.Argument(min=1, metavar="N", help="How many anomalies to show, newest first.")
    ] = 10,
    since: options.Since = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only this type, e.g. cost_spike.")] = None,
    severity: Annotated[
        Severity | None, typer.Option("--severity", help="Only this severity or worse.")
    ] = None,
    status: Annotated[AnomalyStatus | None, typer.Option("--status", help="Only this status.")] = None,
    provider: options.Provider = None,
    model: options.Model = None,
    user: options.User = None,
    agent: options.Agent = None,
    json_output: options.AsJson = False,
    database: options.Database = None,
) -> None:
    """The most recent anomalies, with their evidence: observed value, threshold and scope."""
    where = AnomalyFilter(
        since=since_option(since),
        type=type_,
        severity=severity,
        status=status,
        provider=provider,
        model=model,
        user_id=user,
        agent=agent,
    )
    settings = resolve_settings(database)
    console = Console()
    with reading(settings) as store:
        found = [] if store is None else store.find_anomalies(where, count)
    if json_output:
        print_json([a.model_dump(mode="json") for a in found])
    elif store is None:
        no_data(console, settings.sqlite_path)
    elif not found:
        console.print(f"No anomalies{_window(since)}.")
    else:
        console.print(anomalies_table(found, f"Anomalies{_window(since)}, newest first"))


def _window(text: str | None) -> str:
    return f" ({describe_since(text)})" if text else ""


def _set_status(settings: Settings, ids: list[str], status: AnomalyStatus) -> list[Anomaly]:
    with reading(settings) as store:
        if store is None:
            fail(f"no database at {settings.sqlite_path}")
        changed = store.set_anomaly_status(ids, status)
    found = {a.anomaly_id for a in changed}
    missing = [i for i in ids if not any(a.startswith(i) for a in found)]
    console = Console()
    for anomaly in changed:
        console.print(f"{anomaly.anomaly_id} {anomaly.type}: {status.value}", markup=False, highlight=False)
    if missing:
        fail(f"no single anomaly matches {', '.join(missing)}", code=1)
    return changed


def ack(ids: Ids, database: options.Database = None) -> None:
    """Acknowledge anomalies: someone is on it."""
    _set_status(resolve_settings(database), ids, AnomalyStatus.ACKNOWLEDGED)


def resolve(
    ids: Ids,
    notify: Annotated[
        bool, typer.Option(help="Tell the channels that close incidents (PagerDuty, webhooks).")
    ] = True,
    database: options.Database = None,
) -> None:
    """Resolve anomalies; by default their PagerDuty incidents and webhooks are told so."""
    settings = resolve_settings(database)
    changed = _set_status(settings, ids, AnomalyStatus.RESOLVED)
    channels = [(c, route) for c, route in build_channels(settings.alerts) if c.resolves]
    if not notify or not channels:
        return
    with reading(settings) as store:
        assert store is not None  # _set_status found it
        sender = Sender(lambda delivery: store.write_deliveries([delivery]))
        for anomaly in changed:
            for channel, route in channels:
                if route.routes(anomaly.type, anomaly.severity):
                    sent = sender.deliver(channel, route, Notice("resolve", anomaly))
                    Console().print(f"  {channel.name}: {'told' if sent else 'FAILED'}", markup=False)
