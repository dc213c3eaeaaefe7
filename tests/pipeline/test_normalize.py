"""Normalisation from plain JSON payloads (the shape the proxy and ingest API will hand over)."""

from __future__ import annotations

from agentwatch.capture.record import ClientDefaults, RawCall
from agentwatch.capture.streams import accumulate
from agentwatch.context import TraceContext
from agentwatch.model import LLMCall, Status
from agentwatch.pipeline import ContentPolicy, Normalizer, Pipeline


def raw(
    api: str, body: dict[str, object], response: object = None, chunks: list[object] | None = None
) -> RawCall:
    record = RawCall(
        api=api,
        body=body,
        client=ClientDefaults(provider="anthropic" if api == "messages" else "openai", user_id="client-user"),
        trace=TraceContext(trace_id="a" * 32, span_id="b" * 16, user_id="trace-user", tags=("x",)),
        start_wall_ns=1_700_000_000_000_000_000,
        start_ns=1_000,
        end_ns=251_000_000,
        stream=chunks is not None,
        response=response,
    )
    if chunks is not None:
        record.stream_state = accumulate(api, chunks)
        record.first_chunk_ns = 51_000_000
    return record


def test_anthropic_stream_from_json_events() -> None:
    events: list[object] = [
        {"type": "message_start", "message": {"id": "msg_1", "model": "claude-x", "usage": {
            "input_tokens": 10, "cache_read_input_tokens": 90, "cache_creation_input_tokens": 0, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "tu", "name": "f"}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"a"'}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ":1}"}},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 25}},
        {"type": "message_stop"},
    ]  # fmt: skip
    body = {
        "model": "claude-x",
        "system": "Be brief",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 9,
    }
    event = Normalizer(lambda n: "0" * n)(raw("messages", body, chunks=events))
    assert event.usage.input_tokens == 100 and event.usage.cache_read_input_tokens == 90
    assert event.usage.output_tokens == 25
    assert event.output_text == "Hello"
    assert [(c.name, c.arguments, c.id) for c in event.tool_calls] == [("f", '{"a":1}', "tu")]
    assert event.finish_reasons == ["tool_use"]
    assert event.input_messages == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert event.latency_ms == 250.999 and event.time_to_first_token_ms == 50.999
    assert (event.trace_id, event.parent_span_id) == ("a" * 32, "b" * 16)
    assert event.user_id == "trace-user" and event.tags == ["x"]


def test_openai_chat_from_json_with_content_parts() -> None:
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image_url"}]}],
        "temperature": 0,
    }
    response = {
        "id": "c1", "model": "gpt-4o-2024-08-06",
        "choices": [{"finish_reason": "length", "message": {"content": "ok"}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 0}},
    }  # fmt: skip
    event = Normalizer()(raw("chat.completions", body, response))
    assert event.input_messages == [{"role": "user", "content": "look"}]
    assert event.request_parameters == {"temperature": 0}
    assert (event.usage.input_tokens, event.usage.cache_read_input_tokens) == (5, 0)
    assert event.finish_reasons == ["length"]


def test_an_error_record() -> None:
    record = raw("chat.completions", {"model": "m"})
    record.error_type, record.error_status, record.error_message = "RateLimitError", 429, "slow"
    event = Normalizer()(record)
    assert event.status is Status.ERROR and event.error is not None and event.error.http_status == 429


class Exploding:
    name = "exploding"

    def process(self, event: LLMCall) -> None:
        raise ValueError("bug")


class Marking:
    name = "marking"

    def process(self, event: LLMCall) -> None:
        event.tags.append("seen")


def test_a_failing_stage_does_not_lose_the_event() -> None:
    pipeline = Pipeline(Normalizer(), [Exploding(), Marking(), ContentPolicy(capture_content=False)])
    event = pipeline(
        raw("chat.completions", {"model": "m", "messages": [{"role": "user", "content": "secret"}]})
    )
    assert event.tags == ["x", "seen"]
    assert event.input_messages is None
    assert pipeline.failures == {"exploding": 1}
