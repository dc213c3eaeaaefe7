"""``agentwatch keys create|list|revoke``: the API keys of ``agentwatch serve``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentwatch.cli import options
from agentwatch.cli.database import resolve_settings
from agentwatch.cli.render import add_row, fail, local_time, print_json
from agentwatch.storage.keys import KeyStore, Scope

app = typer.Typer(help="API keys for agentwatch serve: create, list, revoke.", no_args_is_help=True)


@app.command()
def create(
    name: Annotated[str, typer.Option("--name", help="What the key is for.")] = "default",
    scope: Annotated[
        list[Scope] | None,
        typer.Option("--scope", help="ingest, read or admin; repeat for several \\[default: ingest]."),
    ] = None,
    database: options.Database = None,
) -> None:
    """Create a key and print it on stdout. It is shown only this once: only its hash is stored."""
    store = KeyStore(resolve_settings(database).sqlite_path)
    try:
        key, record = store.create(name, set(scope or [Scope.INGEST]))
    finally:
        store.close()
    typer.echo(f"key {record.key_id} ({', '.join(sorted(record.scopes))}); store it now:", err=True)
    typer.echo(key)


@app.command("list")
def list_keys(database: options.Database = None, as_json: options.AsJson = False) -> None:
    """The keys: id, name, scopes, created, revoked (never the keys themselves)."""
    store = KeyStore(resolve_settings(database).sqlite_path)
    try:
        records = store.list()
    finally:
        store.close()
    if as_json:
        print_json(
            [
                {
                    "key_id": r.key_id,
                    "name": r.name,
                    "scopes": sorted(r.scopes),
                    "created_at": r.created_at.isoformat(),
                    "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
                }
                for r in records
            ]
        )
        return
    table = Table("id", "name", "scopes", "created", "revoked", title="API keys")
    for r in records:
        revoked = local_time(r.revoked_at) if r.revoked_at else ""
        add_row(table, r.key_id, r.name, ",".join(sorted(r.scopes)), local_time(r.created_at), revoked)
    Console().print(table)


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `agentwatch keys list` shows it.")],
    database: options.Database = None,
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    store = KeyStore(resolve_settings(database).sqlite_path)
    try:
        revoked = store.revoke(key_id)
    finally:
        store.close()
    if not revoked:
        fail(f"no active key with id {key_id!r}", code=1)
    typer.echo(f"revoked {key_id}", err=True)
