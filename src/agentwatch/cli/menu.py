"""The interactive menu a bare ``agentwatch`` shows."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import Prompt

from agentwatch.cli import anomalies, cost, read, status
from agentwatch.cli.database import resolve_settings

#: choice -> (label, what it runs); each runs the command of the same name with its defaults.
MENU: dict[str, tuple[str, Callable[..., None]]] = {
    "1": ("Statistics (last 24h)", read.stats),
    "2": ("Recent events", read.events),
    "3": ("Anomalies", anomalies.anomalies),
    "4": ("High-risk events", read.risks),
    "5": ("Status", status.status),
    "6": ("Cost by model (last 30d)", cost.cost),
}
QUIT = "q"


def run_menu(database: str | None = None) -> None:
    """Show the menu until the user quits; end of input (Ctrl-D, an empty pipe) quits too."""
    settings = resolve_settings(database)
    console = Console()
    console.print(
        Panel.fit(
            f"[bold]AI Monitoring Dashboard CLI[/]\n[dim]agentwatch · {escape(settings.database)}[/]",
            border_style="cyan",
        )
    )
    while True:
        console.print()
        for key, (label, _) in MENU.items():
            console.print(f"  [bold cyan]{key}[/]  {label}")
        console.print(f"  [bold cyan]{QUIT}[/]  Quit")
        try:
            choice = Prompt.ask("Choose", choices=[*MENU, QUIT], console=console)
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not sys.stdin.isatty():
            console.print(choice, highlight=False)  # echo piped answers, as a terminal would
        if choice == QUIT:
            return
        MENU[choice][1](database=settings.database)
