"""The options several commands share, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

from agentwatch.model import Status

Database = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="sqlite:///PATH",
        help="Database to use (default: AGENTWATCH_DATABASE, agentwatch.toml, sqlite:///./agentwatch.db).",
        show_default=False,
    ),
]
Since = Annotated[
    str | None,
    typer.Option("--since", help="Only what happened since: 30s, 15m, 24h, 7d, 2w or an ISO time."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")]
Provider = Annotated[
    str | None, typer.Option("--provider", help="Only this provider: openai, anthropic, ...")
]
Model = Annotated[
    str | None, typer.Option("--model", help="Only this model (request model, else response's).")
]
User = Annotated[str | None, typer.Option("--user", help="Only this user id.")]
Agent = Annotated[str | None, typer.Option("--agent", help="Only this agent.")]
StatusFilter = Annotated[Status | None, typer.Option("--status", help="Only calls with this status.")]
