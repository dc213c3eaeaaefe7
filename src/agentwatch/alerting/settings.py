"""``[agentwatch.alerts]``: the channels alerts go to, what each receives, dedup and retries.

```toml
[agentwatch.alerts]
cooldown_seconds = 600

[agentwatch.alerts.channels.oncall]
type = "pagerduty"
routing_key = "R0UT1NGKEY"
min_severity = "critical"

[agentwatch.alerts.channels.team]
type = "slack"
url = "https://hooks.slack.com/services/..."
types = ["budget_exceeded", "high_cost_rate"]
```
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentwatch.model import Severity

SEVERITY_ORDER = {level: i for i, level in enumerate(Severity)}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Route(_Frozen):
    """Routing and delivery options every channel has."""

    min_severity: Severity = Field(default=Severity.LOW, description="Only anomalies at least this severe")
    types: frozenset[str] = Field(default=frozenset(), description="Only these anomaly types (empty: all)")
    exclude_types: frozenset[str] = Field(default=frozenset(), description="Never these types")
    timeout: float = Field(default=5.0, gt=0, description="Seconds one attempt may take")
    max_attempts: int = Field(default=4, ge=1, description="Attempts before a delivery is recorded failed")
    backoff: float = Field(default=1.0, ge=0, description="Seconds before the first retry; doubles each time")

    def routes(self, anomaly_type: str, severity: Severity) -> bool:
        if SEVERITY_ORDER[severity] < SEVERITY_ORDER[self.min_severity]:
            return False
        if self.types and anomaly_type not in self.types:
            return False
        return anomaly_type not in self.exclude_types


class ConsoleChannelSettings(Route):
    type: Literal["console"]


class _HttpChannel(Route):
    url: str

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value


class WebhookChannelSettings(_HttpChannel):
    type: Literal["webhook"]
    secret: str | None = Field(default=None, description="HMAC-SHA256 key for the signature header")
    headers: dict[str, str] = Field(default_factory=dict)


class SlackChannelSettings(_HttpChannel):
    type: Literal["slack"]


class PagerDutyChannelSettings(_HttpChannel):
    type: Literal["pagerduty"]
    routing_key: str
    url: str = "https://events.pagerduty.com/v2/enqueue"
    source: str = "agentwatch"


class EmailChannelSettings(Route):
    type: Literal["email"]
    host: str = "localhost"
    port: int = 25
    sender: str
    to: list[str] = Field(min_length=1)
    username: str | None = None
    password: str | None = None
    starttls: bool = False


ChannelSettings = Annotated[
    ConsoleChannelSettings
    | WebhookChannelSettings
    | SlackChannelSettings
    | PagerDutyChannelSettings
    | EmailChannelSettings,
    Field(discriminator="type"),
]


class AlertSettings(_Frozen):
    cooldown_seconds: float = Field(
        default=600.0, ge=0, description="Alerts with the same fingerprint, per channel, at most this often"
    )
    queue_size: int = Field(default=1000, ge=1, description="Alerts waiting per channel before drops")
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)
