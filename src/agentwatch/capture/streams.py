"""Stream accumulators: what a stream leaves behind, gathered chunk by chunk on the caller's thread.

Keeping every chunk object until the worker reads it would keep hundreds of objects per call
alive and make the garbage collector run far more often in the host app. An accumulator keeps
only strings, a few ids and the provider's usage object, and lets each chunk die as it would
without agentwatch. Each works on SDK objects and on JSON dicts alike.
"""

from __future__ import annotations

from typing import Any, Protocol

from agentwatch.payload import field


class StreamState(Protocol):
    def add(self, chunk: Any) -> None: ...


def _add_tool_delta(calls: dict[int, list[Any]], index: Any, call_id: Any, name: Any, arguments: Any) -> None:
    slot = calls.get(index)
    if slot is None:
        slot = calls[index] = ["", "", None]
    if name:
        slot[0] += name
    if arguments:
        slot[1] += arguments
    if call_id and slot[2] is None:
        slot[2] = call_id


class ChatStream:
    """OpenAI ``chat.completion.chunk`` (and legacy completions) streams."""

    __slots__ = ("finish_reasons", "id", "model", "service_tier", "texts", "tool_calls", "usage")

    def __init__(self) -> None:
        self.id: str | None = None
        self.model: str | None = None
        self.service_tier: Any = None
        self.usage: Any = None
        self.texts: list[str] = []
        self.finish_reasons: list[str] = []
        self.tool_calls: dict[int, list[Any]] = {}

    def add(self, chunk: Any) -> None:
        if self.id is None:
            self.id = field(chunk, "id")
            self.model = field(chunk, "model")
            self.service_tier = field(chunk, "service_tier")
        usage = field(chunk, "usage")
        if usage is not None:
            self.usage = usage
        for choice in field(chunk, "choices") or ():
            reason = field(choice, "finish_reason")
            if reason:
                self.finish_reasons.append(str(reason))
            delta = field(choice, "delta")
            content = field(delta, "content") if delta is not None else field(choice, "text")
            if content:
                self.texts.append(content)
            calls = field(delta, "tool_calls")
            if calls:
                for call in calls:
                    function = field(call, "function")
                    _add_tool_delta(
                        self.tool_calls,
                        field(call, "index") or 0,
                        field(call, "id"),
                        field(function, "name"),
                        field(function, "arguments"),
                    )


class ResponsesStream:
    """OpenAI Responses API event streams: the final response object carries everything."""

    __slots__ = ("response", "texts")

    def __init__(self) -> None:
        self.response: Any = None
        self.texts: list[str] = []

    def add(self, event: Any) -> None:
        kind = field(event, "type")
        if kind == "response.output_text.delta":
            self.texts.append(field(event, "delta") or "")
        elif kind in ("response.completed", "response.incomplete", "response.failed") or (
            kind == "response.created" and self.response is None
        ):
            self.response = field(event, "response")


class MessagesStream:
    """Anthropic Messages event streams."""

    __slots__ = ("delta_usage", "finish_reasons", "id", "model", "start_usage", "texts", "tool_calls")

    def __init__(self) -> None:
        self.id: str | None = None
        self.model: str | None = None
        self.start_usage: Any = None
        self.delta_usage: list[Any] = []
        self.texts: list[str] = []
        self.finish_reasons: list[str] = []
        self.tool_calls: dict[int, list[Any]] = {}

    def add(self, event: Any) -> None:
        kind = field(event, "type")
        if kind == "content_block_delta":
            delta = field(event, "delta")
            delta_type = field(delta, "type")
            if delta_type == "text_delta":
                self.texts.append(field(delta, "text") or "")
            elif delta_type == "input_json_delta":
                index = field(event, "index") or 0
                if index in self.tool_calls:
                    _add_tool_delta(self.tool_calls, index, None, None, field(delta, "partial_json"))
        elif kind == "message_start":
            message = field(event, "message")
            self.id = field(message, "id")
            self.model = field(message, "model")
            self.start_usage = field(message, "usage")
        elif kind == "content_block_start":
            block = field(event, "content_block")
            if field(block, "type") == "tool_use":
                _add_tool_delta(
                    self.tool_calls,
                    field(event, "index") or 0,
                    field(block, "id"),
                    field(block, "name"),
                    None,
                )
        elif kind == "message_delta":
            reason = field(field(event, "delta"), "stop_reason")
            if reason:
                self.finish_reasons.append(str(reason))
            usage = field(event, "usage")
            if usage is not None:
                self.delta_usage.append(usage)


#: API -> the accumulator its streams use. Embeddings do not stream.
STREAM_STATES: dict[str, type[ChatStream] | type[ResponsesStream] | type[MessagesStream]] = {
    "chat.completions": ChatStream,
    "completions": ChatStream,
    "responses": ResponsesStream,
    "messages": MessagesStream,
}


def accumulate(api: str, chunks: list[Any]) -> StreamState:
    """Feed a list of chunks (e.g. parsed SSE from the proxy) through the API's accumulator."""
    state = STREAM_STATES.get(api, ChatStream)()
    for chunk in chunks:
        state.add(chunk)
    return state
