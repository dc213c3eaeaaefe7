"""How the CLI shows things: Rich tables for people, plain JSON on stdout for programs."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentwatch.alerting.console import SEVERITY_STYLES, scope_text
from agentwatch.model import Anomaly, AnomalyStatus, LLMCall, Severity, Status
from agentwatch.storage import Stats

STATUS_STYLES = {
    AnomalyStatus.OPEN: "bold",
    AnomalyStatus.ACKNOWLEDGED: "yellow",
    AnomalyStatus.RESOLVED: "dim",
}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def print_json(data: Any) -> None:
    """Write ``data`` as UTF-8 JSON to stdout, keys in the order given, nothing else."""
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``Error: message`` on stderr and exit with ``code`` (2: bad usage or settings)."""
    Console(stderr=True).print(Text.assemble(("Error:", "bold red"), " ", message))
    raise typer.Exit(code)


def no_data(console: Console, path: str) -> None:
    console.print(
        f"No data yet at {path} — run `make demo` or instrument a client", markup=False, highlight=False
    )


def add_row(table: Table, *cells: str | Text) -> None:
    """Add a row whose strings are data, shown as they are (never read as Rich markup)."""
    table.add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in cells))


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime(TIME_FORMAT)


def severity_text(level: Severity) -> Text:
    return Text(level.value, style=SEVERITY_STYLES[level])


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:.4g}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} ms"


# ---------------------------------------------------------------------- stats


def stats_json(stats: Stats) -> dict[str, Any]:
    """The Stats fields, then ``success_rate`` and ``total_tokens``."""
    return {
        **dataclasses.asdict(stats),
        "success_rate": stats.success_rate,
        "total_tokens": stats.total_tokens,
    }


def total_cost(stats: Stats) -> str:
    """``$x.xxxx``, naming unpriced requests; never a fake $0 when nothing is priced."""
    unpriced = stats.unpriced_requests
    if unpriced and unpriced >= stats.requests:
        return f"n/a ({unpriced} unpriced)"
    cost = f"${stats.cost_usd:.4f}"
    return f"{cost} ({unpriced} unpriced)" if unpriced else cost


def stats_table(stats: Stats, title: str) -> Table:
    rate = stats.success_rate
    rows = [
        ("Total Requests", f"{stats.requests:,}"),
        ("Successful", f"{stats.ok:,}"),
        ("Failed", f"{stats.errors:,}"),
        ("Incomplete", f"{stats.incomplete:,}"),
        ("Success Rate", "n/a" if rate is None else f"{rate:.1%}"),
        ("Input Tokens", f"{stats.input_tokens:,}"),
        ("Output Tokens", f"{stats.output_tokens:,}"),
        ("Total Tokens", f"{stats.total_tokens:,}"),
        ("Total Cost", total_cost(stats)),
        ("Avg Latency", _ms(stats.avg_latency_ms)),
        ("Max Latency", _ms(stats.max_latency_ms)),
        ("PII Detections", f"{stats.pii_events:,}"),
        ("Injection Attempts", f"{stats.injection_events:,}"),
        ("Anomalies", f"{stats.anomalies:,}"),
    ]
    table = Table(title=title, title_style="bold", show_header=True, header_style="bold cyan")
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    for name, value in rows:
        add_row(table, name, value)
    return table


# ---------------------------------------------------------------------- events


def _tokens(event: LLMCall) -> str:
    usage = event.usage

    def count(value: int | None) -> str:
        return "?" if value is None else f"{value:,}"

    text = f"{count(usage.input_tokens)}/{count(usage.output_tokens)}"
    return f"~{text}" if usage.estimated else text


def _cost(event: LLMCall) -> str:
    cost = event.cost
    if cost is None:
        return "—"
    if cost.unpriced or cost.total_usd is None:
        return "unpriced"
    return f"~${cost.total_usd:.6f}" if cost.estimated else f"${cost.total_usd:.6f}"


def _status(event: LLMCall) -> Text:
    if event.status is Status.OK:
        return Text("✓ ok", style="green")
    if event.status is Status.INCOMPLETE:
        return Text("◐ incomplete", style="yellow")
    http = event.error.http_status if event.error else None
    return Text(f"✗ error {http}" if http else "✗ error", style="red")


def _model(event: LLMCall) -> str:
    return event.request_model or event.response_model or "—"


def events_table(events: Iterable[LLMCall], title: str) -> Table:
    table = Table(title=title, title_style="bold", header_style="bold cyan")
    for name, justify in (
        ("Time", "left"),
        ("Provider", "left"),
        ("Model", "left"),
        ("Tokens (in/out)", "right"),
        ("Cost", "right"),
        ("Latency (ms)", "right"),
        ("TTFT (ms)", "right"),
        ("Status", "left"),
        ("Risk", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for event in events:
        ttft = event.time_to_first_token_ms
        add_row(
            table,
            local_time(event.start_time),
            event.provider,
            _model(event),
            _tokens(event),
            _cost(event),
            f"{event.latency_ms:,.0f}",
            "" if ttft is None else f"{ttft:,.0f}",
            _status(event),
            severity_text(event.risk.level),
        )
    return table


def risks_table(events: Iterable[LLMCall], title: str) -> Table:
    table = Table(title=title, title_style="bold", header_style="bold cyan")
    for name in ("Time", "Provider", "Model", "Score", "Level", "Reasons"):
        table.add_column(name, justify="right" if name == "Score" else "left")
    for event in events:
        add_row(
            table,
            local_time(event.start_time),
            event.provider,
            _model(event),
            str(event.risk.score),
            severity_text(event.risk.level),
            "; ".join(event.risk.reasons) or "—",
        )
    return table


# ---------------------------------------------------------------------- anomalies


def anomalies_table(anomalies: Iterable[Anomaly], title: str) -> Table:
    table = Table(title=title, title_style="bold", header_style="bold cyan")
    for name in ("Time", "Type", "Severity", "Description", "Scope", "Observed / Threshold", "Status", "ID"):
        table.add_column(name)
    for anomaly in anomalies:
        add_row(
            table,
            local_time(anomaly.detected_at),
            anomaly.type,
            severity_text(anomaly.severity),
            anomaly.description,
            scope_text(anomaly.scope),
            f"{_number(anomaly.observed)} / {_number(anomaly.threshold)}",
            Text(anomaly.status.value, style=STATUS_STYLES[anomaly.status]),
            anomaly.anomaly_id,
        )
    return table
