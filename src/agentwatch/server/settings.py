"""The ``[agentwatch.server]`` settings of ``agentwatch serve``."""

from __future__ import annotations

import ipaddress
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", description="Interface to listen on")
    port: int = Field(default=8787, ge=0, le=65535, description="Port to listen on (0: a free one)")
    auth: bool = Field(
        default=True, description="Require API keys; may be turned off only on a loopback host"
    )
    openai_upstream: str = Field(
        default="https://api.openai.com", description="Where /proxy/openai/... forwards to"
    )
    anthropic_upstream: str = Field(
        default="https://api.anthropic.com", description="Where /proxy/anthropic/... forwards to"
    )
    upstream_timeout: float = Field(default=600.0, gt=0, description="Seconds a proxied call may take")
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest request body, after decompression"
    )
    proxy_max_body_bytes: int = Field(
        default=100 * 1024 * 1024, ge=1024, description="Largest request body the proxy forwards (images...)"
    )
    ingest_rate: float = Field(
        default=50.0, gt=0, description="Ingest requests (events and OTLP) per second per API key"
    )
    ingest_burst: int = Field(default=100, ge=1, description="Ingest requests a key may send at once")
    commit_timeout: float = Field(
        default=10.0, gt=0, description="Seconds an ingest request waits for its events to be stored"
    )

    @model_validator(mode="after")
    def _auth_off_only_on_loopback(self) -> Self:
        if not self.auth and not is_loopback(self.host):
            raise ValueError(f"auth may be turned off only on a loopback host, not on {self.host!r}")
        return self
