"""``agentwatch demo`` (scripted agents, offline by default) and ``agentwatch emulator``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

import agentwatch
from agentwatch.alerting import LogAlerts
from agentwatch.alerting.console import alert_panel
from agentwatch.cli import options
from agentwatch.cli.database import resolve_settings
from agentwatch.cli.demo_script import Agents, run_emulated, run_live
from agentwatch.cli.render import fail, stats_table
from agentwatch.config import Settings
from agentwatch.model import Anomaly
from agentwatch.storage import EventFilter, open_storage

#: Optional dependency -> the extra that installs it.
_EXTRAS = {"starlette": "emulator", "uvicorn": "emulator", "openai": "openai", "anthropic": "anthropic"}


@contextmanager
def _needs_extras() -> Iterator[None]:
    """Turn a missing optional dependency into an error naming the extra to install (exit 2)."""
    try:
        yield
    except ModuleNotFoundError as exc:
        package = (exc.name or "").partition(".")[0]
        if package not in _EXTRAS:
            raise
        fail(f"{package} is not installed: pip install 'agentwatch[{_EXTRAS[package]}]'")


class ConsoleAlerts:
    """An alert sink that prints each anomaly the moment the monitor finds it."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def send(self, anomaly: Anomaly) -> None:
        self.console.print(alert_panel(anomaly))


def _watch(console: Console) -> None:
    """Show alerts on the console instead of the log (other configured sinks stay)."""
    sinks = agentwatch.get_monitor().alert_sinks
    sinks[:] = [sink for sink in sinks if not isinstance(sink, LogAlerts)]
    sinks.append(ConsoleAlerts(console))


def _summary(console: Console, settings: Settings, started: datetime) -> None:
    agentwatch.flush(10)
    storage = open_storage(settings)
    try:
        summary = storage.stats(EventFilter(since=started))
    finally:
        storage.close()
    console.print()
    console.print(stats_table(summary, "Monitoring Summary"))
    default = Settings.model_fields["database"].default
    prefix = "" if settings.database == default else f"AGENTWATCH_DATABASE={settings.database} "
    console.print("Explore what was recorded:")
    for command in ("stats", "events 20"):
        console.print(
            f"  {prefix}agentwatch {command}", style="bold", markup=False, highlight=False, soft_wrap=True
        )


def demo(
    *,
    live: Annotated[
        bool, typer.Option("--live", help="Call the real providers (OPENAI_API_KEY / ANTHROPIC_API_KEY).")
    ] = False,
    database: options.Database = None,
) -> None:
    """Run two scripted agents (~25 calls) and show the alerts as they happen.

    Offline by default: the calls go through the real openai and anthropic SDKs to the built-in
    provider emulator, which is steered into a slow call, a huge prompt, a rate limit and an outage.
    """
    settings = resolve_settings(database)
    with _needs_extras():
        import anthropic
        import openai
    console = Console()

    def narrate(text: str) -> None:
        agentwatch.flush(5)  # the previous step's alerts print before the next step starts
        console.print(f"[dim]›[/] {text}", highlight=False)

    started = datetime.now(UTC)
    if live:
        gpt = openai.OpenAI() if os.environ.get("OPENAI_API_KEY") else None
        claude = anthropic.Anthropic() if os.environ.get("ANTHROPIC_API_KEY") else None
        if gpt is None and claude is None:
            fail("--live needs OPENAI_API_KEY or ANTHROPIC_API_KEY; without --live the demo runs offline", 1)
        agentwatch.configure(database=settings.database, capture_content=False, flush_interval=0.1)
        _watch(console)
        console.rule("agentwatch demo — live providers")
        run_live(gpt and agentwatch.instrument(gpt), claude and agentwatch.instrument(claude), narrate)
    else:
        with _needs_extras():
            from agentwatch.testing import Emulator
        with Emulator() as emulator:
            agentwatch.configure(database=settings.database, capture_content=False, flush_interval=0.1)
            _watch(console)
            console.rule("agentwatch demo — offline, against the built-in provider emulator")
            agents = Agents(
                agentwatch.instrument(
                    openai.OpenAI(api_key="demo", base_url=emulator.openai_base_url, max_retries=0)
                ),
                agentwatch.instrument(
                    anthropic.Anthropic(api_key="demo", base_url=emulator.anthropic_base_url, max_retries=0)
                ),
                narrate,
            )
            run_emulated(agents)
    _summary(console, settings, started)
    agentwatch.shutdown()


def emulator(
    *,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8900,
) -> None:
    """Serve the OpenAI- and Anthropic-compatible provider emulator in the foreground (Ctrl-C stops it).

    Point an SDK at it with OPENAI_BASE_URL=http://HOST:PORT/v1 or ANTHROPIC_BASE_URL=http://HOST:PORT;
    x-emulator-* request headers steer errors, latency, usage and tool calls.
    """
    with _needs_extras():
        from agentwatch.testing import serve
    Console(stderr=True).print(
        f"Provider emulator on http://{host}:{port} — OPENAI_BASE_URL=http://{host}:{port}/v1, "
        f"ANTHROPIC_BASE_URL=http://{host}:{port}",
        highlight=False,
    )
    serve(host, port)
