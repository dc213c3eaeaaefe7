"""The event model: what agentwatch records about each LLM call, and the anomalies it finds.

Field names follow the OpenTelemetry GenAI semantic conventions (``gen_ai.*``) written in
snake_case; the mapping is in :data:`OTEL_ATTRIBUTES` and in the README. Token counts follow
OpenTelemetry's convention: ``input_tokens`` *includes* cache reads and cache writes, and
``output_tokens`` *includes* reasoning tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Status(StrEnum):
    OK = "ok"
    ERROR = "error"
    INCOMPLETE = "incomplete"  # a stream closed before its end: what was seen is recorded


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AnomalyStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"  # someone is on it; alerts for it stay quiet
    RESOLVED = "resolved"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class ErrorInfo(_Model):
    """Why a call failed: ``error.type`` in OpenTelemetry terms, plus the HTTP status."""

    type: str
    message: str = ""
    http_status: int | None = None


class Usage(_Model):
    """Token usage, OpenTelemetry convention: input includes cache, output includes reasoning."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_creation_1h_input_tokens: int | None = None  # of the cache writes, those kept for 1 hour
    reasoning_output_tokens: int | None = None
    input_audio_tokens: int | None = None  # of the input tokens, audio
    output_audio_tokens: int | None = None  # of the output tokens, audio
    estimated: bool = False  # counted by agentwatch, not reported by the provider

    @property
    def total_tokens(self) -> int:
        return (self.input_tokens or 0) + (self.output_tokens or 0)


class Cost(_Model):
    """Cost in USD of one call, filled in by the cost stage, with what it was computed from."""

    input_usd: float | None = None
    output_usd: float | None = None
    total_usd: float | None = None
    unpriced: bool = False  # no known price: the cost is unknown, never silently 0
    price_source: str | None = None  # "genai-prices" (the bundled table) or "custom" (agentwatch.toml)
    price_version: str | None = None  # the table's version (genai-prices' package version)
    price_model: str | None = None  # the table entry that priced the call (model id)
    price_provider: str | None = None  # the table's provider id for it
    price_context: dict[str, str] = Field(default_factory=dict)  # variant used: service_tier, processing
    estimated: bool = False  # priced from estimated tokens (usage.estimated)


class ToolCall(_Model):
    """A tool call the model asked for (``gen_ai.tool.name`` and its arguments)."""

    name: str
    arguments: str = ""
    id: str | None = None


class Finding(_Model):
    """Something a detector found in a piece of text (PII, a secret, an injection attempt)."""

    kind: str  # pii | secret | injection | ...
    type: str  # email, phone, openai_key, instruction_override, ...
    detector: str
    location: str = "prompt"  # prompt | system | response | tool_arguments | tool_output
    start: int | None = None
    end: int | None = None
    score: float = 1.0
    # which message of ``input_messages`` (system, prompt, tool_output) or which of ``tool_calls``
    # (tool_arguments) holds it; None for the response and for text scanned on its own
    index: int | None = None


class Risk(_Model):
    """An explainable risk score: 0-100, its level, and the reasons that produced it."""

    score: int = Field(default=0, ge=0, le=100)
    level: Severity = Severity.LOW
    reasons: list[str] = Field(default_factory=list)


class LLMCall(_Model):
    """One call to a model provider, as stored and as shown by ``agentwatch events --json``."""

    event_id: str
    trace_id: str
    span_id: str
    parent_span_id: str | None = None
    trace_name: str | None = None

    provider: str  # gen_ai.provider.name: openai, anthropic, azure.ai.openai, groq, ...
    operation: str  # gen_ai.operation.name: chat, embeddings, text_completion, ...
    api: str | None = None  # the endpoint family: chat.completions, responses, messages, embeddings
    server_address: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    response_id: str | None = None

    start_time: datetime
    end_time: datetime
    latency_ms: float
    time_to_first_token_ms: float | None = None

    status: Status = Status.OK
    error: ErrorInfo | None = None

    usage: Usage = Field(default_factory=Usage)
    cost: Cost | None = None
    service_tier: str | None = None  # as the response reports it: default, flex, priority, batch, ...

    stream: bool = False
    finish_reasons: list[str] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    request_parameters: dict[str, Any] = Field(default_factory=dict)
    input_messages: list[dict[str, Any]] | None = None  # only when content capture is enabled
    output_text: str | None = None  # only when content capture is enabled

    user_id: str | None = None
    session_id: str | None = None
    agent: str | None = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    findings: list[Finding] = Field(default_factory=list)
    risk: Risk = Field(default_factory=Risk)
    # Keyed hashes of the request and of the tool calls asked for (never the text): repeated_calls.
    prompt_fingerprint: str | None = None
    tool_fingerprint: str | None = None

    @field_validator("start_time", "end_time")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        """A time without an offset (JSON from other languages) is UTC, not the reader's local time."""
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

    @property
    def total_tokens(self) -> int:
        return self.usage.total_tokens


class Anomaly(_Model):
    """Something unusual, with the evidence that shows it."""

    anomaly_id: str
    type: str  # high_latency, request_failure, cost_spike, ...
    severity: Severity
    description: str
    detected_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    observed: float | None = None  # the value that tripped the rule
    threshold: float | None = None  # the limit or baseline it was compared with
    window: str | None = None  # e.g. "event", "5m"
    scope: dict[str, str] = Field(default_factory=dict)  # model, user, agent, provider
    event_ids: list[str] = Field(default_factory=list)
    recommended_action: str = ""
    baseline: float | None = None  # spikes: the scope's typical value the threshold derives from
    fingerprint: str = ""  # same type and scope -> same fingerprint: alert dedup and resolve key
    status: AnomalyStatus = AnomalyStatus.OPEN


class AlertDelivery(_Model):
    """One attempt to deliver an alert about an anomaly to one channel (``agentwatch alerts log``)."""

    at: datetime
    channel: str
    action: str  # trigger | resolve
    anomaly_id: str
    fingerprint: str
    attempt: int  # 1, 2, ...; 0 for a notice dropped before any attempt
    outcome: str  # ok | retry | failed | dropped
    http_status: int | None = None
    error: str | None = None
    duration_ms: float = 0.0


#: Event field -> OpenTelemetry GenAI (or agentwatch) attribute name.
OTEL_ATTRIBUTES: dict[str, str] = {
    "provider": "gen_ai.provider.name",
    "operation": "gen_ai.operation.name",
    "request_model": "gen_ai.request.model",
    "response_model": "gen_ai.response.model",
    "response_id": "gen_ai.response.id",
    "finish_reasons": "gen_ai.response.finish_reasons",
    "usage.input_tokens": "gen_ai.usage.input_tokens",
    "usage.output_tokens": "gen_ai.usage.output_tokens",
    "usage.cache_read_input_tokens": "gen_ai.usage.cache_read.input_tokens",
    "usage.cache_creation_input_tokens": "gen_ai.usage.cache_creation.input_tokens",
    "usage.reasoning_output_tokens": "gen_ai.usage.reasoning.output_tokens",
    "service_tier": "openai.response.service_tier",
    "server_address": "server.address",
    "error.type": "error.type",
    "session_id": "gen_ai.conversation.id",
    "agent": "gen_ai.agent.name",
    "time_to_first_token_ms": "gen_ai.server.time_to_first_token",
}
