"""Which database a command uses: the library's settings, with ``--database`` on top."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentwatch.cli.render import fail
from agentwatch.config import ConfigError, Settings, load_settings
from agentwatch.remote import not_available_here
from agentwatch.storage import Storage, open_storage


def resolve_settings(database: str | None) -> Settings:
    """argument > ``AGENTWATCH_*`` > ``agentwatch.toml`` > default; bad settings exit with code 2."""
    try:
        return load_settings({"database": database})
    except ConfigError as exc:
        fail(str(exc))


def require_local(settings: Settings) -> None:
    """In remote mode the events are on the server: say so and exit."""
    if settings.endpoint is not None:
        fail(f"events, stats and anomalies are {not_available_here(settings.endpoint)}")


@contextmanager
def reading(settings: Settings) -> Iterator[Storage | None]:
    """The store to read, or None when its database does not exist (it is not created)."""
    require_local(settings)
    if not Path(settings.sqlite_path).is_file():
        yield None
        return
    storage = open_storage(settings)
    try:
        yield storage
    finally:
        storage.close()
