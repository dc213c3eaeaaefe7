"""The real openai SDK against the emulator, instrumented: what the app gets and what is stored."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest

import agentwatch
from agentwatch.model import Status
from agentwatch.testing import Emulator
from tests.conftest import Recorder

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
def client(emulator: Emulator, recorder: Recorder) -> openai.OpenAI:
    return agentwatch.instrument(
        openai.OpenAI(api_key="sk-test", base_url=emulator.openai_base_url, max_retries=0)
    )


@pytest.fixture
def aclient(emulator: Emulator, recorder: Recorder) -> openai.AsyncOpenAI:
    return agentwatch.instrument(
        openai.AsyncOpenAI(api_key="sk-test", base_url=emulator.openai_base_url, max_retries=0)
    )


def test_chat_is_recorded_with_usage_and_returned_unchanged(
    client: openai.OpenAI, recorder: Recorder
) -> None:
    usage = {
        "prompt_tokens": 1200,
        "completion_tokens": 300,
        "total_tokens": 1500,
        "prompt_tokens_details": {"cached_tokens": 1024},
        "completion_tokens_details": {"reasoning_tokens": 128},
    }
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        temperature=0.2,
        max_tokens=50,
        extra_headers={"x-emulator-usage": json.dumps(usage), "x-emulator-model": "gpt-4o-mini-2024-07-18"},
    )
    assert isinstance(response, openai.types.chat.ChatCompletion)
    assert response.usage is not None and response.usage.prompt_tokens == 1200

    event = recorder.only_event()
    assert event.provider == "openai"
    assert event.operation == "chat"
    assert event.api == "chat.completions"
    assert event.request_model == "gpt-4o-mini"
    assert event.response_model == "gpt-4o-mini-2024-07-18"
    assert event.response_id == response.id
    assert event.status is Status.OK and event.error is None
    assert event.stream is False
    assert event.usage.input_tokens == 1200  # OpenAI's prompt_tokens already include cached tokens
    assert event.usage.output_tokens == 300
    assert event.usage.cache_read_input_tokens == 1024
    assert event.usage.reasoning_output_tokens == 128
    assert event.finish_reasons == ["stop"]
    assert event.request_parameters == {"temperature": 0.2, "max_tokens": 50}
    assert event.latency_ms > 0 and event.end_time >= event.start_time
    assert event.server_address == "127.0.0.1"
    # content is off by default
    assert event.input_messages is None and event.output_text is None


def test_content_is_stored_only_when_enabled(client: openai.OpenAI, recorder: Recorder) -> None:
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", capture_content=True)
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    event = recorder.only_event()
    assert event.input_messages == [{"role": "user", "content": MESSAGES[0]["content"]}]
    assert event.output_text == response.choices[0].message.content


def test_stream_with_usage(client: openai.OpenAI, recorder: Recorder) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-emulator-chunks": "8"},
    )
    assert isinstance(stream, openai.Stream)
    chunks = list(stream)
    assert chunks[-1].usage is not None
    event = recorder.only_event()
    assert event.stream is True
    assert event.status is Status.OK
    assert event.usage.input_tokens == chunks[-1].usage.prompt_tokens
    assert event.usage.output_tokens == chunks[-1].usage.completion_tokens
    assert event.time_to_first_token_ms is not None
    assert 0 < event.time_to_first_token_ms <= event.latency_ms
    assert event.finish_reasons == ["stop"]


def test_stream_without_usage_is_estimated_and_flagged(client: openai.OpenAI, recorder: Recorder) -> None:
    with client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as stream:
        texts = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert texts
    event = recorder.only_event()
    assert event.status is Status.OK
    assert event.usage.estimated is True
    assert event.usage.input_tokens and event.usage.output_tokens
    assert event.cost is not None and event.cost.estimated and event.cost.total_usd
    assert [(f.kind, f.type, f.detector) for f in event.findings] == [
        ("usage", "stream_usage_missing", "tokens")
    ]


def test_stream_early_break_is_incomplete(client: openai.OpenAI, recorder: Recorder) -> None:
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", capture_content=True)
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers={"x-emulator-chunks": "10"}
    )
    seen = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            seen.append(chunk.choices[0].delta.content)
        if len(seen) == 3:
            break
    stream.close()
    event = recorder.only_event()
    assert event.status is Status.INCOMPLETE
    assert event.output_text == "".join(seen)


def test_stream_helper_keeps_working(client: openai.OpenAI, recorder: Recorder) -> None:
    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    event = recorder.only_event()
    assert event.stream is True
    assert final.usage is not None
    assert event.usage.output_tokens == final.usage.completion_tokens


def test_tool_calls(client: openai.OpenAI, recorder: Recorder) -> None:
    calls = [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        tools=tools,
        extra_headers={"x-emulator-tool-calls": json.dumps(calls)},
    )
    assert response.choices[0].finish_reason == "tool_calls"
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        tools=tools,
        stream=True,
        extra_headers={"x-emulator-tool-calls": json.dumps(calls)},
    )
    list(stream)
    plain, streamed = recorder.events()
    for event in (plain, streamed):
        assert [c.name for c in event.tool_calls] == ["get_weather"]
        assert event.finish_reasons == ["tool_calls"]
        assert event.request_parameters["tools"] == ["get_weather"]
        assert event.tool_calls[0].arguments == ""  # arguments are content: not stored by default


def test_responses_api(client: openai.OpenAI, recorder: Recorder) -> None:
    usage = {
        "input_tokens": 500,
        "input_tokens_details": {"cached_tokens": 200},
        "output_tokens": 90,
        "output_tokens_details": {"reasoning_tokens": 40},
        "total_tokens": 590,
    }
    response = client.responses.create(
        model="gpt-4.1-mini", input="Say hi", extra_headers={"x-emulator-usage": json.dumps(usage)}
    )
    assert response.output_text
    stream = client.responses.create(model="gpt-4.1-mini", input="Say hi", stream=True)
    events = list(stream)
    assert events[-1].type == "response.completed"
    plain, streamed = recorder.events()
    assert plain.api == "responses" and plain.operation == "chat"
    assert plain.usage.input_tokens == 500
    assert plain.usage.cache_read_input_tokens == 200
    assert plain.usage.output_tokens == 90
    assert plain.usage.reasoning_output_tokens == 40
    assert plain.finish_reasons == ["completed"]
    completed = events[-1].response.usage
    assert completed is not None
    assert streamed.stream and streamed.usage.input_tokens == completed.input_tokens
    assert streamed.usage.output_tokens == completed.output_tokens


def test_embeddings(client: openai.OpenAI, recorder: Recorder) -> None:
    response = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"], dimensions=4)
    assert len(response.data) == 2 and len(response.data[0].embedding) == 4
    event = recorder.only_event()
    assert event.operation == "embeddings"
    assert event.usage.input_tokens == response.usage.prompt_tokens
    assert event.usage.output_tokens == 0
    assert event.request_parameters["dimensions"] == 4


@pytest.mark.parametrize(
    ("status", "exc_type"), [(429, openai.RateLimitError), (500, openai.InternalServerError)]
)
def test_http_errors_reach_the_caller_unchanged(
    client: openai.OpenAI, recorder: Recorder, status: int, exc_type: type[Exception]
) -> None:
    with pytest.raises(exc_type) as info:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-emulator-status": str(status)}
        )
    assert type(info.value) is exc_type
    assert info.value.status_code == status
    event = recorder.only_event()
    assert event.status is Status.ERROR
    assert event.error is not None
    assert event.error.type == exc_type.__name__
    assert event.error.http_status == status


def test_timeout_is_recorded_and_raised(emulator: Emulator, recorder: Recorder) -> None:
    client = agentwatch.instrument(
        openai.OpenAI(api_key="sk-test", base_url=emulator.openai_base_url, max_retries=0, timeout=0.2)
    )
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-emulator-latency-ms": "2000"}
        )
    event = recorder.only_event()
    assert event.status is Status.ERROR and event.error is not None
    assert event.error.type == "APITimeoutError" and event.error.http_status is None


def test_connection_error(recorder: Recorder) -> None:
    client = agentwatch.instrument(
        openai.OpenAI(api_key="sk", base_url="http://127.0.0.1:9/v1", max_retries=0)
    )
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert recorder.only_event().error.type == "APIConnectionError"  # type: ignore[union-attr]


def test_retries_are_one_event(emulator: Emulator, recorder: Recorder) -> None:
    client = agentwatch.instrument(
        openai.OpenAI(api_key="sk", base_url=emulator.openai_base_url, max_retries=2)
    )
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-emulator-status": "429"}
        )
    assert recorder.only_event().error.http_status == 429  # type: ignore[union-attr]


async def test_async_chat_and_stream(aclient: openai.AsyncOpenAI, recorder: Recorder) -> None:
    response = await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    stream = await aclient.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    assert isinstance(stream, openai.AsyncStream)
    last = None
    async for chunk in stream:
        last = chunk
    assert last is not None and last.usage is not None
    with pytest.raises(openai.RateLimitError):
        await aclient.embeddings.create(
            model="text-embedding-3-small", input="x", extra_headers={"x-emulator-status": "429"}
        )
    plain, streamed, failed = recorder.events()
    assert plain.usage.output_tokens == response.usage.completion_tokens  # type: ignore[union-attr]
    assert streamed.stream and streamed.usage.output_tokens == last.usage.completion_tokens
    assert failed.status is Status.ERROR and failed.operation == "embeddings"


async def test_async_context_is_per_task(aclient: openai.AsyncOpenAI, recorder: Recorder) -> None:
    async def agent(user: str) -> None:
        with agentwatch.trace("agent", user_id=user):
            await asyncio.sleep(0.01)
            await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    await asyncio.gather(*(agent(f"user-{i}") for i in range(5)))
    users = sorted(e.user_id or "" for e in recorder.events())
    assert users == [f"user-{i}" for i in range(5)]


def test_instrumenting_twice_records_once_and_uninstrument_stops(
    client: openai.OpenAI, recorder: Recorder
) -> None:
    assert agentwatch.instrument(client) is client
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(recorder.events()) == 1
    assert agentwatch.uninstrument(client) is True
    assert agentwatch.uninstrument(client) is False
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(recorder.events()) == 1


def test_provider_names_for_compatible_endpoints(recorder: Recorder) -> None:
    cases = {
        "https://openrouter.ai/api/v1": "openrouter",
        "https://api.groq.com/openai/v1": "groq",
        "http://localhost:11434/v1": "ollama",
        "https://api.openai.com/v1": "openai",
    }
    for url, name in cases.items():
        client = agentwatch.instrument(openai.OpenAI(api_key="sk", base_url=url))
        assert client._agentwatch_instrumented.provider == name  # type: ignore[attr-defined]
    azure = agentwatch.instrument(
        openai.AzureOpenAI(api_key="k", api_version="2024-10-21", azure_endpoint="https://x.openai.azure.com")
    )
    assert azure._agentwatch_instrumented.provider == "azure.ai.openai"  # type: ignore[attr-defined]
    vllm = agentwatch.instrument(
        openai.OpenAI(api_key="sk", base_url="http://gpu-box.internal:9000/v1"), provider="vllm"
    )
    assert vllm._agentwatch_instrumented.provider == "vllm"  # type: ignore[attr-defined]


def test_settings_configured_after_instrument_label_its_calls(emulator: Emulator, recorder: Recorder) -> None:
    client = agentwatch.instrument(openai.OpenAI(api_key="sk", base_url=emulator.openai_base_url))
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", user_id="alice", agent="bot")
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    labelled = agentwatch.instrument(
        openai.OpenAI(api_key="sk", base_url=emulator.openai_base_url), user_id="bob"
    )
    labelled.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    first, second = recorder.events()
    assert (first.user_id, first.agent) == ("alice", "bot")
    assert (second.user_id, second.agent) == ("bob", "bot")
