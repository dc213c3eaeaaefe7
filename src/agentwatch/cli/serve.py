"""``agentwatch serve``: the HTTP server (ingest and read API, OTLP receiver, provider proxy, metrics)."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from agentwatch.cli import options
from agentwatch.cli.database import resolve_settings
from agentwatch.cli.render import fail
from agentwatch.server.settings import ServerSettings


def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Interface to listen on \\[default: 127.0.0.1].")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to listen on \\[default: 8787].")] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Accept requests without an API key (loopback hosts only).")
    ] = False,
    openai_upstream: Annotated[
        str | None, typer.Option("--openai-upstream", help="Where /proxy/openai/ forwards to.")
    ] = None,
    anthropic_upstream: Annotated[
        str | None, typer.Option("--anthropic-upstream", help="Where /proxy/anthropic/ forwards to.")
    ] = None,
    database: options.Database = None,
) -> None:
    """Serve the API, the OTLP/HTTP receiver (/v1/traces), the provider proxy and /metrics.

    Every route but /health needs an API key (`agentwatch keys create`). Options win over the
    \\[agentwatch.server] table of agentwatch.toml.
    """
    settings = resolve_settings(database)
    given = {
        "host": host,
        "port": port,
        "auth": False if no_auth else None,
        "openai_upstream": openai_upstream,
        "anthropic_upstream": anthropic_upstream,
    }
    try:
        server = ServerSettings(
            **{**settings.server.model_dump(), **{k: v for k, v in given.items() if v is not None}}
        )
    except ValidationError as exc:
        fail("; ".join(str(err["msg"]) for err in exc.errors()))
    try:
        from agentwatch.server.app import create_app
        from agentwatch.server.runner import serve as run
    except ImportError as exc:
        fail(f"the server needs the server extra: pip install 'agentwatch[server]' ({exc})")
    settings = settings.model_copy(update={"server": server})
    typer.echo(
        f"agentwatch serve on http://{server.host}:{server.port} "
        f"({'API keys required' if server.auth else 'no auth: loopback only'}), database {settings.sqlite_path}",
        err=True,
    )
    run(create_app(settings), server.host, server.port)
