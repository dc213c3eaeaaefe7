"""The raw record a captured call leaves on the caller's thread.

Building it is the only work done on the caller's thread: references to the request body and
the SDK's response (or the stream's chunks), two clock readings and the active trace. Turning
it into an :class:`~agentwatch.model.LLMCall` happens on the worker (``pipeline.normalize``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentwatch.context import TraceContext


@dataclass(frozen=True, slots=True)
class ClientDefaults:
    """What ``instrument(client, ...)`` was told about every call of one client."""

    provider: str
    server_address: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    agent: str | None = None
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    stream_usage: Callable[[], bool] | None = None  # whether to ask OpenAI streams for usage (now)


@dataclass(slots=True, eq=False)
class RawCall:
    api: str  # chat.completions | responses | embeddings | messages | completions
    body: Any  # the request body as the SDK sends it (a mapping)
    client: ClientDefaults
    trace: TraceContext | None
    start_wall_ns: int
    start_ns: int
    end_ns: int = 0
    stream: bool = False
    response: Any = None  # the SDK's parsed response object, or a mapping (proxy, OTLP)
    stream_state: Any = None  # a capture.streams accumulator, for streams
    first_chunk_ns: int | None = None
    completed: bool = True  # False: a stream closed before its end
    error_type: str | None = None
    error_status: int | None = None
    error_message: str | None = None
    submitted: bool = False
    hide_usage: bool = False  # agentwatch asked for the usage chunk: the caller must not see it

    @property
    def latency_ns(self) -> int:
        return self.end_ns - self.start_ns
