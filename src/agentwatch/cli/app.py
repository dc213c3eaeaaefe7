"""The ``agentwatch`` command: the Typer app, its global options and ``main()``."""

from __future__ import annotations

from typing import Annotated

import typer

from agentwatch import __version__
from agentwatch.cli import alerts, anomalies, cost, demo, keys, options, read, scan, serve, status
from agentwatch.cli.menu import run_menu

app = typer.Typer(
    name="agentwatch",
    help="Monitor AI agents and the LLM calls they make. Without a command: an interactive menu.",
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,  # locals can hold API keys (demo --live)
)

COMMANDS = (
    read.stats,
    read.events,
    anomalies.anomalies,
    anomalies.ack,
    anomalies.resolve,
    read.risks,
    status.status,
    demo.demo,
    demo.emulator,
    cost.cost,
    serve.serve,
    scan.scan,
)
for command in COMMANDS:
    app.command()(command)
app.add_typer(alerts.app, name="alerts")
app.add_typer(keys.app, name="keys")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"agentwatch {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    database: options.Database = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Settings come from --database, AGENTWATCH_* variables, agentwatch.toml, then defaults."""
    if database is not None:  # `agentwatch --database X stats` == `agentwatch stats --database X`
        ctx.default_map = {command.__name__: {"database": database} for command in COMMANDS}
    if ctx.invoked_subcommand is None:
        run_menu(database)


def main() -> None:
    app()
