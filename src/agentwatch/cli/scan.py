"""``agentwatch scan [FILE|-] [--json]``: run every detector over a text and show what they find."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentwatch.cli import options
from agentwatch.cli.render import add_row, print_json, severity_text
from agentwatch.detectors import scan as scan_text
from agentwatch.model import Finding
from agentwatch.pipeline.risk import combine, finding_signals


def excerpt(finding: Finding, text: str) -> str:
    """What was found; a secret shows only its first and last characters."""
    value = text[finding.start or 0 : finding.end or 0]
    if finding.kind == "secret" and len(value) > 8:
        return f"{value[:4]}…{value[-2:]} ({len(value)} chars)"
    return value if len(value) <= 80 else value[:77] + "…"


def _read(source: str) -> str:
    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    return data.decode("utf-8", errors="replace")


def scan(
    source: Annotated[
        str, typer.Argument(metavar="[FILE|-]", help="File to scan; - or nothing: stdin.")
    ] = "-",
    json_output: options.AsJson = False,
) -> None:
    """Run the PII, secret and prompt-injection detectors over a text, with the risk they add up to."""
    try:
        text = _read(source)
    except OSError as exc:
        typer.echo(f"agentwatch scan: cannot read {source}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    findings = scan_text(text)
    risk = combine(finding_signals(findings))
    if json_output:
        print_json(
            {
                "findings": [
                    {**f.model_dump(exclude={"location"}), "text": excerpt(f, text)} for f in findings
                ],
                "risk": risk.model_dump(mode="json"),
            }
        )
        return
    console = Console()
    if not findings:
        console.print("[green]✓ Nothing found.[/green]")
        return
    table = Table(title=f"{len(findings)} finding(s)", title_style="bold", header_style="bold cyan")
    for name in ("Where", "Kind", "Type", "Score", "Detector", "Text"):
        table.add_column(name, justify="right" if name == "Score" else "left")
    for f in findings:
        where = "—" if f.start is None else f"{f.start}-{f.end}"
        add_row(table, where, f.kind, f.type, f"{f.score:.2f}", f.detector, excerpt(f, text))
    console.print(table)
    console.print("Risk: ", str(risk.score), " ", severity_text(risk.level), sep="")
    for reason in risk.reasons:
        console.print(f"  - {reason}")
