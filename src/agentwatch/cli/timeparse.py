"""``--since`` values: a duration back from now (``30s``, ``15m``, ``24h``, ``7d``, ``2w``) or an ISO time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import typer

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """The UTC time ``text`` designates; a naive ISO time is local. Raises ``ValueError``."""
    match = _DURATION.match(text)
    if match:
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (30s, 15m, 24h, 7d, 2w) nor an ISO time (2025-01-31T09:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a naive time is read as local time
    return moment.astimezone(UTC)


def describe_since(text: str) -> str:
    """How a table title names the window: ``last 24h`` or ``since 2025-01-31T09:00``."""
    return f"last {text.strip()}" if _DURATION.match(text) else f"since {text.strip()}"


def since_option(text: str | None) -> datetime | None:
    """The ``--since`` option's value; a bad one is a usage error (exit code 2)."""
    if text is None:
        return None
    try:
        return parse_since(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--since'") from None
