"""Settings: each declared once, read with the precedence argument > ``AGENTWATCH_*`` > file > default.

The file is ``agentwatch.toml`` in the working directory (or the path in ``AGENTWATCH_CONFIG``);
its keys are the field names below, at the top level or under an ``[agentwatch]`` table. Bad
values fail when settings are loaded, with the source named in the message, never later.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from agentwatch.alerting.settings import AlertSettings
from agentwatch.analysis.settings import AnomalySettings, BudgetSettings
from agentwatch.detectors.settings import DetectorSettings, RedactionSettings
from agentwatch.pricing.custom import CustomPrice, parse_prices
from agentwatch.server.settings import ServerSettings

ENV_PREFIX = "AGENTWATCH_"
CONFIG_FILE = "agentwatch.toml"


class ConfigError(ValueError):
    """A setting has a bad value; the message names the setting and where it came from."""


class Settings(BaseModel):
    """agentwatch's settings. The README's configuration table lists the same fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database: str = Field(default="sqlite:///./agentwatch.db", description="Where events go: sqlite:///PATH")
    capture_content: bool = Field(default=False, description="Store prompts and responses (off by default)")
    queue_size: int = Field(default=10_000, ge=1, description="Events buffered before drops")
    batch_size: int = Field(default=512, ge=1, description="Events written per transaction")
    flush_interval: float = Field(
        default=0.1,
        gt=0,
        description="Seconds between background writes (short: records waiting longer age into the "
        "app's older garbage-collector generations)",
    )
    shutdown_timeout: float = Field(default=5.0, ge=0, description="Seconds the exit-time flush may take")
    user_id: str | None = Field(default=None, description="Default user for every event")
    agent: str | None = Field(default=None, description="Default agent name for every event")
    anomalies: AnomalySettings = Field(default_factory=AnomalySettings, description="[agentwatch.anomalies]")
    budgets: BudgetSettings = Field(default_factory=BudgetSettings, description="[agentwatch.budgets]")
    alerts: AlertSettings = Field(default_factory=AlertSettings, description="[agentwatch.alerts]")
    prices: dict[str, CustomPrice] = Field(
        default_factory=dict, description="Custom prices by model name; they override the price table"
    )
    stream_usage: bool = Field(
        default=False,
        description="Ask OpenAI for usage in streams that do not (the caller still sees its own chunks)",
    )

    @field_validator("prices", mode="before")
    @classmethod
    def _prices_from_json(cls, value: Any) -> Any:
        return parse_prices(value)  # AGENTWATCH_PRICES holds JSON

    endpoint: str | None = Field(
        default=None, description="Remote mode: the agentwatch server events are sent to (http://host:8787)"
    )
    api_key: SecretStr | None = Field(default=None, description="Remote mode: the server's ingest key")
    spool_path: str | None = Field(
        default=None, description="Remote mode: the spool file (default: agentwatch-spool.db beside database)"
    )
    spool_size: int = Field(default=100_000, ge=1, description="Remote mode: events the spool holds at most")
    server: ServerSettings = Field(
        default_factory=ServerSettings, description="agentwatch serve: [agentwatch.server] table"
    )
    detectors: DetectorSettings = Field(
        default_factory=DetectorSettings, description="[agentwatch.detectors]"
    )
    redaction: RedactionSettings = Field(
        default_factory=RedactionSettings, description="[agentwatch.redaction]"
    )

    @field_validator("anomalies", "budgets", "alerts", "server", "detectors", "redaction", mode="before")
    @classmethod
    def _table_from_json(cls, value: Any) -> Any:
        """In the environment (``AGENTWATCH_ANOMALIES`` ...) a table is one JSON object."""
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("database")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith("sqlite:///"):
            raise ValueError("only sqlite:///PATH is supported (e.g. sqlite:///./agentwatch.db)")
        return value

    @field_validator("endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ValueError("must be an http:// or https:// URL (e.g. http://127.0.0.1:8787)")
        return value.rstrip("/")

    @field_validator("api_key")
    @classmethod
    def _header_safe_key(cls, value: SecretStr | None) -> SecretStr | None:
        """A key read from a file or a mounted secret often ends with a newline: it is dropped. A key
        that still holds whitespace or control characters cannot go in a header (and the message
        must not show it)."""
        if value is None:
            return None
        key = value.get_secret_value().strip()
        if not key.isprintable() or any(c.isspace() for c in key) or not key.isascii():
            raise ValueError("must be printable ASCII without spaces (the key itself is not shown)")
        return SecretStr(key)

    @property
    def sqlite_path(self) -> str:
        return self.database.removeprefix("sqlite:///")


def _file_values(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}") from exc
    table = data.get("agentwatch", data)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [agentwatch] must be a table")
    unknown = sorted(set(table) - set(Settings.model_fields))
    if unknown:  # a typo (capture_contnet) would otherwise be a setting silently not applied
        raise ConfigError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    return dict(table)


def _env_values(environ: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in Settings.model_fields:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = raw
    return values


def load_settings(
    overrides: dict[str, Any] | None = None,
    *,
    environ: dict[str, str] | None = None,
    config_file: str | Path | None = None,
) -> Settings:
    """Build :class:`Settings` from arguments, environment, the config file and defaults."""
    env = os.environ if environ is None else environ
    path = Path(config_file or env.get(ENV_PREFIX + "CONFIG") or CONFIG_FILE)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(overrides) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    layers = (("file " + str(path), _file_values(path)), ("environment", _env_values(env)))
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for source, values in (*layers, ("argument", overrides)):
        merged.update(values)
        origin.update(dict.fromkeys(values, source))
    try:
        return Settings(**merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{err['loc'][0]} (from {origin.get(str(err['loc'][0]), 'default')}): {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid agentwatch settings: {problems}") from None
