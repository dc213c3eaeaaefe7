"""The real anthropic SDK against the emulator, instrumented."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import pytest

import agentwatch
from agentwatch.model import Status
from agentwatch.testing import Emulator
from tests.conftest import Recorder

MESSAGES = [{"role": "user", "content": "Summarise the meeting notes."}]
MODEL = "claude-haiku-4-5"


@pytest.fixture
def client(emulator: Emulator, recorder: Recorder) -> anthropic.Anthropic:
    return agentwatch.instrument(
        anthropic.Anthropic(api_key="sk-ant-test", base_url=emulator.anthropic_base_url, max_retries=0)
    )


def test_message_usage_includes_cache_in_input(client: anthropic.Anthropic, recorder: Recorder) -> None:
    usage = {
        "input_tokens": 100,
        "output_tokens": 40,
        "cache_read_input_tokens": 2000,
        "cache_creation_input_tokens": 500,
    }
    message = client.messages.create(
        model=MODEL,
        max_tokens=256,
        system="You are terse.",
        messages=MESSAGES,
        extra_headers={"x-emulator-usage": json.dumps(usage)},
    )
    assert message.usage.input_tokens == 100
    event = recorder.only_event()
    assert event.provider == "anthropic" and event.api == "messages" and event.operation == "chat"
    assert event.request_model == MODEL
    assert event.usage.input_tokens == 2600  # 100 uncached + 2000 read + 500 written
    assert event.usage.cache_read_input_tokens == 2000
    assert event.usage.cache_creation_input_tokens == 500
    assert event.usage.output_tokens == 40
    assert event.finish_reasons == ["end_turn"]
    assert event.request_parameters == {"max_tokens": 256}


def test_stream_true(client: anthropic.Anthropic, recorder: Recorder) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
    assert isinstance(stream, anthropic.Stream)
    events = list(stream)
    assert events[0].type == "message_start"
    delta = next(e for e in events if e.type == "message_delta")
    start = events[0]
    event = recorder.only_event()
    assert event.stream and event.status is Status.OK
    assert event.usage.input_tokens == start.message.usage.input_tokens  # type: ignore[union-attr]
    assert event.usage.output_tokens == delta.usage.output_tokens  # type: ignore[union-attr]
    assert event.time_to_first_token_ms is not None


def test_messages_stream_helper(client: anthropic.Anthropic, recorder: Recorder) -> None:
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", capture_content=True)
    with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    event = recorder.only_event()
    assert event.output_text == text
    assert event.usage.output_tokens == final.usage.output_tokens
    assert event.input_messages == [{"role": "user", "content": MESSAGES[0]["content"]}]


def test_tool_use(client: anthropic.Anthropic, recorder: Recorder) -> None:
    calls = [{"name": "lookup_order", "arguments": {"order_id": "A-17"}}]
    tools = [{"name": "lookup_order", "description": "find", "input_schema": {"type": "object"}}]
    headers = {"x-emulator-tool-calls": json.dumps(calls)}
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", capture_content=True)
    message = client.messages.create(
        model=MODEL, max_tokens=64, messages=MESSAGES, tools=tools, extra_headers=headers
    )
    assert message.stop_reason == "tool_use"
    with client.messages.stream(
        model=MODEL, max_tokens=64, messages=MESSAGES, tools=tools, extra_headers=headers
    ) as stream:
        stream.until_done()
    plain, streamed = recorder.events()
    for event in (plain, streamed):
        assert [c.name for c in event.tool_calls] == ["lookup_order"]
        assert json.loads(event.tool_calls[0].arguments) == {"order_id": "A-17"}
        assert event.finish_reasons == ["tool_use"]


def test_stream_early_close(client: anthropic.Anthropic, recorder: Recorder) -> None:
    with client.messages.create(
        model=MODEL, max_tokens=64, messages=MESSAGES, stream=True, extra_headers={"x-emulator-chunks": "12"}
    ) as stream:
        for event in stream:
            if event.type == "content_block_delta":
                break
    recorded = recorder.only_event()
    assert recorded.status is Status.INCOMPLETE
    # message_start's output count (1) is a placeholder: the reply seen so far is counted instead
    assert recorded.usage.input_tokens is not None and recorded.usage.estimated
    assert recorded.usage.output_tokens is not None and recorded.usage.output_tokens >= 1
    assert recorded.cost is not None and recorded.cost.estimated and recorded.cost.total_usd
    assert ("usage", "output_usage_missing") in [(f.kind, f.type) for f in recorded.findings]


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [(429, anthropic.RateLimitError), (500, anthropic.InternalServerError)],
)
def test_errors(
    client: anthropic.Anthropic, recorder: Recorder, status: int, exc_type: type[Exception]
) -> None:
    with pytest.raises(exc_type) as info:
        client.messages.create(
            model=MODEL, max_tokens=10, messages=MESSAGES, extra_headers={"x-emulator-status": str(status)}
        )
    assert type(info.value) is exc_type
    event = recorder.only_event()
    assert event.status is Status.ERROR
    assert event.error is not None and event.error.http_status == status


def test_in_stream_error(client: anthropic.Anthropic, recorder: Recorder) -> None:
    stream = client.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=MESSAGES,
        stream=True,
        extra_headers={"x-emulator-stream-error-after": "2"},
    )
    with pytest.raises(anthropic.APIStatusError):
        for _ in stream:
            pass
    event = recorder.only_event()
    assert event.status is Status.ERROR and event.stream


def test_timeout(emulator: Emulator, recorder: Recorder) -> None:
    client = agentwatch.instrument(
        anthropic.Anthropic(api_key="k", base_url=emulator.anthropic_base_url, max_retries=0, timeout=0.2)
    )
    with pytest.raises(anthropic.APITimeoutError):
        client.messages.create(
            model=MODEL, max_tokens=10, messages=MESSAGES, extra_headers={"x-emulator-latency-ms": "2000"}
        )
    assert recorder.only_event().error.type == "APITimeoutError"  # type: ignore[union-attr]


async def test_async_messages_and_stream(emulator: Emulator, recorder: Recorder) -> None:
    client = agentwatch.instrument(
        anthropic.AsyncAnthropic(api_key="k", base_url=emulator.anthropic_base_url, max_retries=0)
    )
    with agentwatch.trace("researcher", user_id="ana", agent="research-agent"):
        message = await client.messages.create(model=MODEL, max_tokens=32, messages=MESSAGES)
        async with client.messages.stream(model=MODEL, max_tokens=32, messages=MESSAGES) as stream:
            final = await stream.get_final_message()
    plain, streamed = recorder.events()
    assert plain.usage.output_tokens == message.usage.output_tokens
    assert streamed.usage.output_tokens == final.usage.output_tokens
    for event in (plain, streamed):
        assert (event.user_id, event.agent, event.trace_name) == ("ana", "research-agent", "researcher")
    assert plain.trace_id == streamed.trace_id


@pytest.mark.parametrize("close", [True, False])
def test_a_stream_leaves_no_garbage_for_the_collector(
    client: anthropic.Anthropic, recorder: Recorder, close: bool
) -> None:
    import gc
    import weakref

    gc.disable()
    try:
        stream = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
        events = [event.type for event in stream]
        if close:
            stream.close()
        ref = weakref.ref(stream)
        del stream
        assert ref() is None  # freed by reference counting alone, as without agentwatch
    finally:
        gc.enable()
    assert events[-1] == "message_stop"
    assert recorder.only_event().status is Status.OK


def test_stream_chunks_are_not_kept_while_the_record_waits(emulator: Emulator, tmp_path: Path) -> None:
    import gc
    import weakref

    agentwatch.configure(database=f"sqlite:///{tmp_path}/held.db", flush_interval=3600)
    client = agentwatch.instrument(anthropic.Anthropic(api_key="k", base_url=emulator.anthropic_base_url))
    gc.disable()
    try:
        refs = [
            weakref.ref(e)
            for e in client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
        ]
        assert len(refs) > 5
        assert agentwatch.status().queue_depth == 1  # recorded, not yet processed
        assert all(ref() is None for ref in refs)  # yet no chunk is kept alive for it
    finally:
        gc.enable()
        agentwatch.shutdown()


def test_the_prompt_is_recorded_as_sent_even_if_the_caller_edits_it_after(
    client: anthropic.Anthropic, recorder: Recorder
) -> None:
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", capture_content=True, flush_interval=3600)
    history = [{"role": "user", "content": "first question"}]
    reply = client.messages.create(model=MODEL, max_tokens=16, messages=history)
    history.append({"role": "assistant", "content": reply.content[0].text})  # type: ignore[union-attr]
    history[0]["content"] = "edited afterwards"
    assert recorder.only_event().input_messages == [{"role": "user", "content": "first question"}]


def test_a_stream_dropped_unread_is_still_recorded(client: anthropic.Anthropic, recorder: Recorder) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=16, messages=MESSAGES, stream=True)
    del stream
    event = recorder.only_event()
    assert event.stream and event.status is Status.INCOMPLETE
