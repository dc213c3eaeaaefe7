"""Settings of the detector and redaction stages: ``[agentwatch.detectors]`` and ``[agentwatch.redaction]``.

```toml
[agentwatch.detectors]
disabled = ["pii.ipv4", "injection.classifier"]   # detector names, or families: "pii", "secret"
injection_threshold = 0.8                         # default: the threshold chosen on validation data

[agentwatch.redaction]
default = "mask"                                  # mask | hash | drop
modes = { email = "hash", credit_card = "drop" }  # per finding type (or kind: "pii", "secret")
hash_key = "a long random string"                 # HMAC key of the hash mode
```

In the environment each table is one JSON object: ``AGENTWATCH_REDACTION='{"default": "hash"}'``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RedactionMode = Literal["mask", "hash", "drop"]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DetectorSettings(_Table):
    enabled: bool = Field(default=True, description="Run the detectors on every event")
    disabled: tuple[str, ...] = Field(
        default=(), description="Detector names (pii.phone) or families (pii, secret, injection) to skip"
    )
    max_chars: int = Field(
        default=200_000, ge=1, description="Characters of each text scanned; the rest is not"
    )
    injection_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Injection score to report at (default: chosen on validation data)",
    )

    def wants(self, name: str) -> bool:
        return not any(name == item or name.startswith(item + ".") for item in self.disabled)


class RedactionSettings(_Table):
    enabled: bool = Field(
        default=True, description="Redact PII in stored content; secrets are redacted even when this is off"
    )
    default: RedactionMode = Field(default="mask", description="Mode for finding types not in `modes`")
    modes: dict[str, RedactionMode] = Field(
        default_factory=dict, description="Per finding type (email, credit_card, ...) or kind (pii, secret)"
    )
    hash_key: str = Field(
        default="",
        description="HMAC-SHA256 key of the hash mode; empty: a random key kept in agentwatch-hash.key beside the database",
    )

    def mode(self, kind: str, type_: str) -> RedactionMode:
        return self.modes.get(type_) or self.modes.get(kind) or self.default
