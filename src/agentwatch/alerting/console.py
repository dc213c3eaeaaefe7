"""The console channel: the seed's "🚨 ANOMALY DETECTED" panel, printed with Rich (stderr by default)."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agentwatch.alerting.channel import Notice
from agentwatch.model import Anomaly, Severity

SEVERITY_STYLES: dict[Severity, str] = {
    Severity.LOW: "green",
    Severity.MEDIUM: "yellow",
    Severity.HIGH: "red",
    Severity.CRITICAL: "bold white on red",
}


def scope_text(scope: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in scope.items()) or "—"


def alert_panel(anomaly: Anomaly) -> Panel:
    """The block printed when an anomaly is found as it happens."""
    body = Table.grid(padding=(0, 1))
    body.add_column(style="bold")
    body.add_column()
    rows: list[tuple[str, str | Text]] = [
        ("Type:", anomaly.type),
        ("Severity:", Text(anomaly.severity.value.upper(), style=SEVERITY_STYLES[anomaly.severity])),
        ("Description:", anomaly.description),
        ("Scope:", scope_text(anomaly.scope)),
        ("Action:", anomaly.recommended_action or "—"),
    ]
    for label, value in rows:
        body.add_row(Text(label), Text(value) if isinstance(value, str) else value)
    return Panel(body, title="🚨 ANOMALY DETECTED", title_align="left", border_style="red", expand=False)


class ConsoleChannel:
    resolves = False

    def __init__(self, name: str, console: Console | None = None) -> None:
        self.name = name
        self.console = console or Console(stderr=True)

    def deliver(self, notice: Notice) -> int | None:
        self.console.print(alert_panel(notice.anomaly))
        return None
