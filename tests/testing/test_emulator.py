"""The provider emulator, driven by the real openai and anthropic SDKs."""

from __future__ import annotations

import base64
import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import openai
import pytest

import agentwatch.testing
from agentwatch.testing import Emulator, create_app
from agentwatch.testing.controls import ControlError, parse_controls
from agentwatch.testing.replies import split_pieces

GPT = "gpt-4o-mini"
CLAUDE = "claude-sonnet-5"
QUESTION = "What is the capital of France?"  # 30 characters: 8 input tokens
MESSAGES: list[Any] = [{"role": "user", "content": QUESTION}]
EXPECTED_TEXT = (
    "Echo: What is the capital of France? lorem ipsum dolor sit amet consectetur adipiscing elit lorem"
)
WEATHER = [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}]
TWO_TOOLS = [*WEATHER, {"name": "get_time", "arguments": {"zone": "Europe/Paris"}}]
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def tool_header(calls: list[dict[str, Any]]) -> dict[str, str]:
    return {"x-emulator-tool-calls": json.dumps(calls)}


# --- OpenAI chat completions -----------------------------------------------------------------


def test_chat_completion_is_deterministic_with_computed_usage(oai: openai.OpenAI) -> None:
    first = oai.chat.completions.create(model=GPT, messages=MESSAGES)
    second = oai.chat.completions.create(model=GPT, messages=MESSAGES)

    assert first.object == "chat.completion"
    assert first.id.startswith("chatcmpl-") and first.id != second.id
    assert first.model == GPT
    assert first.service_tier == "default" and first.system_fingerprint
    choice = first.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == EXPECTED_TEXT == second.choices[0].message.content
    assert choice.message.tool_calls is None
    usage = first.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (8, 16, 24)
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 0
    assert usage.completion_tokens_details.rejected_prediction_tokens == 0


def test_chat_input_tokens_count_all_message_text(oai: openai.OpenAI) -> None:
    messages: list[Any] = [
        {"role": "system", "content": "x" * 40},
        {"role": "user", "content": [{"type": "text", "text": "y" * 21}]},
    ]
    response = oai.chat.completions.create(model=GPT, messages=messages)
    assert response.usage is not None and response.usage.prompt_tokens == 16  # ceil(61 / 4)
    filler = "lorem ipsum dolor sit amet consectetur adipiscing elit lorem ipsum dolor sit amet consectetur"
    assert response.choices[0].message.content == "Echo: " + "y" * 21 + " " + filler


def test_chat_model_header_sets_response_model(oai: openai.OpenAI) -> None:
    response = oai.chat.completions.create(
        model=GPT, messages=MESSAGES, extra_headers={"x-emulator-model": "gpt-4o-mini-2024-07-18"}
    )
    assert response.model == "gpt-4o-mini-2024-07-18"


def test_chat_stream_with_include_usage(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model=GPT, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )

    assert len(chunks) == 1 + 16 + 1 + 1  # role, content deltas, finish, usage
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[0].choices[0].delta.content == ""
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    assert all(chunk.usage is None for chunk in chunks[:-1])
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks[:-1]) == EXPECTED_TEXT
    assert chunks[-2].choices[0].finish_reason == "stop" and chunks[-2].choices[0].delta.content is None
    assert chunks[-1].choices == []
    usage = chunks[-1].usage
    assert usage is not None and (usage.prompt_tokens, usage.completion_tokens) == (8, 16)


def test_chat_stream_without_include_usage_and_chunk_count(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model=GPT, messages=MESSAGES, stream=True, extra_headers={"x-emulator-chunks": "4"}
        )
    )
    assert len(chunks) == 1 + 4 + 1
    assert all(chunk.usage is None and chunk.choices for chunk in chunks)
    deltas = [chunk.choices[0].delta.content for chunk in chunks[1:-1]]
    assert deltas == [
        "Echo: What is the ",
        "capital of France? lorem ",
        "ipsum dolor sit amet ",
        "consectetur adipiscing elit lorem",
    ]
    many = list(
        oai.chat.completions.create(
            model=GPT, messages=MESSAGES, stream=True, extra_headers={"x-emulator-chunks": "20"}
        )
    )
    assert len(many) == 1 + 20 + 1
    assert (
        "".join(chunk.choices[0].delta.content or "" for chunk in many)
        == EXPECTED_TEXT + " ipsum dolor sit amet"
    )


def test_chat_stream_helper_gives_final_completion(oai: openai.OpenAI) -> None:
    with oai.chat.completions.stream(
        model=GPT, messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        contents = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()

    assert contents[0] == "" and len(contents) == 1 + 16  # the role chunk carries content ""
    assert final.choices[0].message.content == EXPECTED_TEXT
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None and final.usage.total_tokens == 24


def test_chat_tool_calls(oai: openai.OpenAI) -> None:
    response = oai.chat.completions.create(
        model=GPT, messages=MESSAGES, tools=TOOLS, extra_headers=tool_header(TWO_TOOLS)
    )

    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 2
    first = calls[0]
    assert first.type == "function" and first.id.startswith("call_")
    assert first.function.name == "get_weather"
    assert json.loads(first.function.arguments) == {"city": "Paris", "unit": "celsius"}
    assert calls[1].type == "function" and calls[1].function.name == "get_time"


def test_chat_tool_calls_stream_incrementally(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model=GPT, messages=MESSAGES, stream=True, extra_headers=tool_header(WEATHER)
        )
    )

    head = chunks[0].choices[0].delta
    assert head.role == "assistant" and head.content is None
    assert head.tool_calls is not None
    assert head.tool_calls[0].id and head.tool_calls[0].function is not None
    assert head.tool_calls[0].function.name == "get_weather"
    assert head.tool_calls[0].function.arguments == ""
    pieces = []
    for chunk in chunks[1:-1]:
        calls = chunk.choices[0].delta.tool_calls
        assert calls is not None and calls[0].index == 0 and calls[0].id is None
        assert calls[0].function is not None and calls[0].function.arguments
        pieces.append(calls[0].function.arguments)
    assert len(pieces) == 16
    assert json.loads("".join(pieces)) == WEATHER[0]["arguments"]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_chat_stream_helper_accumulates_tool_arguments(oai: openai.OpenAI) -> None:
    with oai.chat.completions.stream(
        model=GPT, messages=MESSAGES, tools=TOOLS, extra_headers=tool_header(TWO_TOOLS)
    ) as stream:
        done = [event for event in stream if event.type == "tool_calls.function.arguments.done"]
        final = stream.get_final_completion()

    assert [event.name for event in done] == ["get_weather", "get_time"]
    calls = final.choices[0].message.tool_calls
    assert calls is not None
    assert [json.loads(call.function.arguments) for call in calls] == [c["arguments"] for c in TWO_TOOLS]
    assert final.choices[0].finish_reason == "tool_calls"


def test_chat_max_tokens_truncates_with_length(oai: openai.OpenAI) -> None:
    response = oai.chat.completions.create(model=GPT, messages=MESSAGES, max_completion_tokens=5)
    assert response.choices[0].finish_reason == "length"
    assert response.choices[0].message.content == "Echo: What is the capital "
    assert response.usage is not None and response.usage.completion_tokens == 5


def test_content_header_and_base64_utf8(oai: openai.OpenAI) -> None:
    plain = oai.chat.completions.create(
        model=GPT, messages=MESSAGES, extra_headers={"x-emulator-content": "a b c d e f"}
    )
    assert plain.choices[0].message.content == "a b c d e f"
    assert plain.usage is not None and plain.usage.completion_tokens == 6

    text = "Grüße, 世界!"
    encoded = "b64:" + base64.b64encode(text.encode()).decode()
    chunks = list(
        oai.chat.completions.create(
            model=GPT, messages=MESSAGES, stream=True, extra_headers={"x-emulator-content": encoded}
        )
    )
    assert [chunk.choices[0].delta.content for chunk in chunks[1:-1]] == ["Grüße, ", "世界!"]


def test_finish_reason_header(oai: openai.OpenAI) -> None:
    response = oai.chat.completions.create(
        model=GPT, messages=MESSAGES, extra_headers={"x-emulator-finish-reason": "content_filter"}
    )
    assert response.choices[0].finish_reason == "content_filter"


# --- OpenAI Responses API --------------------------------------------------------------------


def test_responses_create(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model=GPT, input=QUESTION, instructions="Be brief.")

    assert response.object == "response" and response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.output_text == EXPECTED_TEXT
    assert response.output[0].type == "message"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (
        10,
        16,
        26,
    )
    assert response.usage.input_tokens_details.cached_tokens == 0
    assert response.usage.output_tokens_details.reasoning_tokens == 0


def test_responses_function_calls(oai: openai.OpenAI) -> None:
    response = oai.responses.create(
        model=GPT, input=[{"role": "user", "content": QUESTION}], extra_headers=tool_header(TWO_TOOLS)
    )
    calls = [item for item in response.output if item.type == "function_call"]
    assert [call.name for call in calls] == ["get_weather", "get_time"]
    assert json.loads(calls[0].arguments) == WEATHER[0]["arguments"]
    assert calls[0].call_id.startswith("call_")
    assert response.output_text == ""


def test_responses_raw_stream_event_sequence(oai: openai.OpenAI) -> None:
    events = list(
        oai.responses.create(model=GPT, input=QUESTION, stream=True, extra_headers={"x-emulator-chunks": "3"})
    )

    assert [event.type for event in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == EXPECTED_TEXT
    assert completed.response.usage is not None and completed.response.usage.output_tokens == 16
    assert events[0].type == "response.created" and events[0].response.usage is None


def test_responses_stream_helper_with_tool_calls(oai: openai.OpenAI) -> None:
    with oai.responses.stream(
        model=GPT, input=QUESTION, extra_headers={"x-emulator-content": "Checking.", **tool_header(WEATHER)}
    ) as stream:
        argument_deltas = [
            event.delta for event in stream if event.type == "response.function_call_arguments.delta"
        ]
        final = stream.get_final_response()

    assert final.output_text == "Checking."
    call = final.output[1]
    assert call.type == "function_call" and json.loads(call.arguments) == WEATHER[0]["arguments"]
    assert "".join(argument_deltas) == call.arguments and len(argument_deltas) > 1
    assert final.usage is not None and final.usage.output_tokens == 1 + len(argument_deltas)


def test_responses_incomplete_on_max_output_tokens(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model=GPT, input=QUESTION, max_output_tokens=3)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text == "Echo: What is "


# --- OpenAI embeddings -----------------------------------------------------------------------


def test_embeddings_default_base64_is_decoded(oai: openai.OpenAI) -> None:
    result = oai.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta", "alpha"])

    vectors = [item.embedding for item in result.data]
    assert [item.index for item in result.data] == [0, 1, 2]
    assert all(len(vector) == 8 for vector in vectors)
    assert vectors[0] == vectors[2] and vectors[0] != vectors[1]
    assert math.isclose(math.sqrt(sum(v * v for v in vectors[0])), 1.0, rel_tol=1e-5)
    assert result.usage.prompt_tokens == 5 and result.usage.total_tokens == 5
    assert result.model == "text-embedding-3-small"


def test_embeddings_dimensions_float_and_token_input(oai: openai.OpenAI) -> None:
    as_float = oai.embeddings.create(model="m", input="alpha", dimensions=4, encoding_format="float")
    as_base64 = oai.embeddings.create(model="m", input="alpha", dimensions=4)
    assert len(as_float.data[0].embedding) == 4
    assert as_float.data[0].embedding == as_base64.data[0].embedding

    tokens = oai.embeddings.create(model="m", input=[[1, 2, 3], [4, 5]])
    assert len(tokens.data) == 2 and tokens.usage.prompt_tokens == 5


# --- Anthropic messages ----------------------------------------------------------------------


def test_anthropic_message(ant: anthropic.Anthropic) -> None:
    message = ant.messages.create(model=CLAUDE, max_tokens=100, system="Be brief.", messages=MESSAGES)

    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_")
    assert message.model == CLAUDE
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    assert len(message.content) == 1
    block = message.content[0]
    assert block.type == "text" and block.text == EXPECTED_TEXT
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (10, 16)  # ceil((30 + 9) / 4)
    assert usage.cache_creation_input_tokens == 0 and usage.cache_read_input_tokens == 0
    assert usage.cache_creation is not None and usage.cache_creation.ephemeral_5m_input_tokens == 0
    assert usage.service_tier == "standard"


def test_anthropic_tool_use(ant: anthropic.Anthropic) -> None:
    message = ant.messages.create(
        model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers=tool_header(TWO_TOOLS)
    )
    assert message.stop_reason == "tool_use"
    assert [block.type for block in message.content] == ["tool_use", "tool_use"]
    first = message.content[0]
    assert first.type == "tool_use" and first.id.startswith("toolu_")
    assert first.name == "get_weather" and first.input == WEATHER[0]["arguments"]


def test_anthropic_raw_stream_event_sequence(ant: anthropic.Anthropic) -> None:
    events = list(
        ant.messages.create(
            model=CLAUDE,
            max_tokens=100,
            messages=MESSAGES,
            stream=True,
            extra_headers={"x-emulator-chunks": "3"},
        )
    )

    assert [event.type for event in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start, delta = events[0], events[-2]
    assert start.type == "message_start"
    assert start.message.usage.input_tokens == 8 and start.message.usage.output_tokens == 1
    assert delta.type == "message_delta"
    assert delta.delta.stop_reason == "end_turn" and delta.usage.output_tokens == 16


def test_anthropic_stream_helper(ant: anthropic.Anthropic) -> None:
    with ant.messages.stream(model=CLAUDE, max_tokens=100, messages=MESSAGES) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()

    assert len(texts) == 16 and "".join(texts) == EXPECTED_TEXT
    assert final.content[0].type == "text" and final.content[0].text == EXPECTED_TEXT
    assert (final.usage.input_tokens, final.usage.output_tokens) == (8, 16)
    assert final.stop_reason == "end_turn"


def test_anthropic_stream_helper_parses_tool_input(ant: anthropic.Anthropic) -> None:
    headers = {"x-emulator-content": "Let me check.", **tool_header(TWO_TOOLS)}
    with ant.messages.stream(
        model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers=headers
    ) as stream:
        final = stream.get_final_message()

    assert [block.type for block in final.content] == ["text", "tool_use", "tool_use"]
    assert final.content[0].type == "text" and final.content[0].text == "Let me check."
    tools = [block for block in final.content if block.type == "tool_use"]
    assert [(tool.name, tool.input) for tool in tools] == [(c["name"], c["arguments"]) for c in TWO_TOOLS]
    assert final.stop_reason == "tool_use"


def test_anthropic_max_tokens_and_finish_reason_header(ant: anthropic.Anthropic) -> None:
    truncated = ant.messages.create(model=CLAUDE, max_tokens=2, messages=MESSAGES)
    assert truncated.stop_reason == "max_tokens" and truncated.usage.output_tokens == 2
    forced = ant.messages.create(
        model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers={"x-emulator-finish-reason": "length"}
    )
    assert forced.stop_reason == "max_tokens"


# --- usage controls --------------------------------------------------------------------------


def test_openai_usage_override(oai: openai.OpenAI) -> None:
    usage = {
        "prompt_tokens": 1200,
        "completion_tokens": 300,
        "total_tokens": 1500,
        "prompt_tokens_details": {"cached_tokens": 1024},
    }
    headers = {"x-emulator-usage": json.dumps(usage)}
    response = oai.chat.completions.create(model=GPT, messages=MESSAGES, extra_headers=headers)
    assert response.usage is not None and response.usage.model_dump(exclude_none=True) == usage

    chunks = list(
        oai.chat.completions.create(
            model=GPT,
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=headers,
        )
    )
    assert chunks[-1].usage is not None and chunks[-1].usage.model_dump(exclude_none=True) == usage


def test_service_tier_control(oai: openai.OpenAI, ant: anthropic.Anthropic) -> None:
    tier = {"x-emulator-service-tier": "priority"}
    assert oai.chat.completions.create(model=GPT, messages=MESSAGES).service_tier == "default"
    assert (
        oai.chat.completions.create(model=GPT, messages=MESSAGES, extra_headers=tier).service_tier
        == "priority"
    )
    chunks = list(oai.chat.completions.create(model=GPT, messages=MESSAGES, stream=True, extra_headers=tier))
    assert {c.service_tier for c in chunks} == {"priority"}
    assert oai.responses.create(model=GPT, input="hi", extra_headers=tier).service_tier == "priority"
    message = ant.messages.create(
        model="claude-sonnet-5",
        max_tokens=16,
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-emulator-service-tier": "batch"},
    )
    assert message.usage.service_tier == "batch"


def test_anthropic_usage_override_with_cache_fields(ant: anthropic.Anthropic) -> None:
    usage = {
        "input_tokens": 50,
        "cache_creation_input_tokens": 2000,
        "cache_read_input_tokens": 3000,
        "cache_creation": {"ephemeral_5m_input_tokens": 1500, "ephemeral_1h_input_tokens": 500},
        "output_tokens": 77,
    }
    headers = {"x-emulator-usage": json.dumps(usage)}
    message = ant.messages.create(model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers=headers)
    assert message.usage.model_dump(exclude_none=True) == usage

    events = list(
        ant.messages.create(
            model=CLAUDE, max_tokens=100, messages=MESSAGES, stream=True, extra_headers=headers
        )
    )
    start, delta = events[0], events[-2]
    assert start.type == "message_start" and delta.type == "message_delta"
    assert start.message.usage.cache_read_input_tokens == 3000 and start.message.usage.output_tokens == 1
    assert delta.usage.output_tokens == 77 and delta.usage.input_tokens is None

    with ant.messages.stream(
        model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers=headers
    ) as stream:
        final = stream.get_final_message()
    assert final.usage.model_dump(exclude_none=True) == usage


def test_omit_usage(oai: openai.OpenAI, ant: anthropic.Anthropic) -> None:
    omit = {"x-emulator-omit-usage": "1"}
    assert oai.chat.completions.create(model=GPT, messages=MESSAGES, extra_headers=omit).usage is None
    chunks = list(
        oai.chat.completions.create(
            model=GPT,
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=omit,
        )
    )
    assert all(chunk.usage is None and chunk.choices for chunk in chunks)
    assert oai.responses.create(model=GPT, input=QUESTION, extra_headers=omit).usage is None
    assert oai.embeddings.create(model="m", input="x", extra_headers=omit).usage is None
    message = ant.messages.create(model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers=omit)
    assert message.usage is None
    events = list(
        ant.messages.create(model=CLAUDE, max_tokens=100, messages=MESSAGES, stream=True, extra_headers=omit)
    )
    assert events[0].type == "message_start" and events[0].message.usage is None
    assert events[-2].type == "message_delta" and events[-2].usage is None


# --- errors, retries, timeouts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exc_type", "error_type"),
    [
        (400, openai.BadRequestError, "invalid_request_error"),
        (401, openai.AuthenticationError, "invalid_request_error"),
        (429, openai.RateLimitError, "requests"),
        (500, openai.InternalServerError, "server_error"),
        (503, openai.InternalServerError, "server_error"),
    ],
)
def test_openai_error_status(
    oai: openai.OpenAI, status: int, exc_type: type[Exception], error_type: str
) -> None:
    with pytest.raises(exc_type) as info:
        oai.chat.completions.create(
            model=GPT, messages=MESSAGES, extra_headers={"x-emulator-status": str(status)}
        )
    error = info.value
    assert isinstance(error, openai.APIStatusError)
    assert error.status_code == status
    assert error.type == error_type and error.message.startswith(f"Error code: {status}")
    assert isinstance(error.body, dict) and set(error.body) == {"message", "type", "param", "code"}
    assert error.response.headers.get("retry-after") == ("0" if status in (429, 503) else None)


@pytest.mark.parametrize(
    ("status", "exc_type", "error_type"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_anthropic_error_status(
    ant: anthropic.Anthropic, status: int, exc_type: type[Exception], error_type: str
) -> None:
    with pytest.raises(exc_type) as info:
        ant.messages.create(
            model=CLAUDE, max_tokens=10, messages=MESSAGES, extra_headers={"x-emulator-status": str(status)}
        )
    error = info.value
    assert isinstance(error, anthropic.APIStatusError)
    assert error.status_code == status and error.type == error_type
    assert isinstance(error.body, dict) and error.body["type"] == "error"
    assert error.request_id is not None and error.request_id == error.body["request_id"]


def test_retryable_errors_are_retried_immediately(emu: Emulator) -> None:
    path = "/v1/chat/completions"
    before = emu.app.state.requests[path]
    started = time.perf_counter()
    with (
        openai.OpenAI(api_key="test", base_url=emu.openai_base_url, max_retries=2) as client,
        pytest.raises(openai.RateLimitError),
    ):
        client.chat.completions.create(
            model=GPT, messages=MESSAGES, extra_headers={"x-emulator-status": "429"}
        )
    assert emu.app.state.requests[path] - before == 3
    assert time.perf_counter() - started < 0.5


def test_latency_header(oai: openai.OpenAI) -> None:
    started = time.perf_counter()
    oai.chat.completions.create(model=GPT, messages=MESSAGES, extra_headers={"x-emulator-latency-ms": "150"})
    assert time.perf_counter() - started >= 0.15


def test_timeouts_raise_sdk_timeout_errors(oai: openai.OpenAI, ant: anthropic.Anthropic) -> None:
    slow = {"x-emulator-latency-ms": "2000"}
    started = time.perf_counter()
    with pytest.raises(openai.APITimeoutError):
        oai.with_options(timeout=0.2).chat.completions.create(
            model=GPT, messages=MESSAGES, extra_headers=slow
        )
    with pytest.raises(anthropic.APITimeoutError):
        ant.with_options(timeout=0.2).messages.create(
            model=CLAUDE, max_tokens=10, messages=MESSAGES, extra_headers=slow
        )
    assert time.perf_counter() - started < 1.5


def test_chunk_delay_paces_the_stream(oai: openai.OpenAI) -> None:
    headers = {"x-emulator-chunks": "4", "x-emulator-chunk-delay-ms": "40"}
    started = time.perf_counter()
    stream = oai.chat.completions.create(model=GPT, messages=MESSAGES, stream=True, extra_headers=headers)
    next(iter(stream))
    first = time.perf_counter() - started
    rest = list(stream)
    total = time.perf_counter() - started
    assert len(rest) == 5
    assert first < 0.1 and total >= 0.2  # 6 events, 5 gaps of 40 ms


# --- in-stream errors ------------------------------------------------------------------------


def test_openai_chat_in_stream_error(oai: openai.OpenAI) -> None:
    seen: list[str] = []
    with pytest.raises(openai.APIError, match="emulated") as info:
        for chunk in oai.chat.completions.create(
            model=GPT, messages=MESSAGES, stream=True, extra_headers={"x-emulator-stream-error-after": "3"}
        ):
            seen.append(chunk.choices[0].delta.content or "")
    assert not isinstance(info.value, openai.APIStatusError)
    assert seen == ["", "Echo: ", "What ", "is "]


def test_openai_responses_in_stream_error(oai: openai.OpenAI) -> None:
    types: list[str] = []
    with pytest.raises(openai.APIError, match="emulated"):
        for event in oai.responses.create(
            model=GPT, input=QUESTION, stream=True, extra_headers={"x-emulator-stream-error-after": "2"}
        ):
            types.append(event.type)
    assert types.count("response.output_text.delta") == 2 and "response.completed" not in types


def test_anthropic_in_stream_error(ant: anthropic.Anthropic) -> None:
    headers = {"x-emulator-stream-error-after": "1"}
    with (
        pytest.raises(anthropic.APIStatusError) as info,
        ant.messages.stream(model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers=headers) as stream,
    ):
        for _ in stream:
            pass
    assert info.value.type == "overloaded_error"


# --- async clients ---------------------------------------------------------------------------


async def test_async_openai_chat_and_stream(aoai: openai.AsyncOpenAI) -> None:
    response = await aoai.chat.completions.create(model=GPT, messages=MESSAGES)
    assert response.choices[0].message.content == EXPECTED_TEXT

    stream = await aoai.chat.completions.create(
        model=GPT, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    assert len(chunks) == 19
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 16


async def test_async_openai_responses_stream_and_embeddings(aoai: openai.AsyncOpenAI) -> None:
    async with aoai.responses.stream(model=GPT, input=QUESTION) as stream:
        final = await stream.get_final_response()
    assert final.output_text == EXPECTED_TEXT and final.usage is not None

    embedding = await aoai.embeddings.create(model="m", input="alpha", dimensions=3)
    assert len(embedding.data[0].embedding) == 3


async def test_async_anthropic_message_and_stream(aant: anthropic.AsyncAnthropic) -> None:
    message = await aant.messages.create(model=CLAUDE, max_tokens=100, messages=MESSAGES)
    assert message.content[0].type == "text" and message.content[0].text == EXPECTED_TEXT

    async with aant.messages.stream(
        model=CLAUDE, max_tokens=100, messages=MESSAGES, extra_headers=tool_header(WEATHER)
    ) as stream:
        final = await stream.get_final_message()
    assert final.content[0].type == "tool_use" and final.content[0].input == WEATHER[0]["arguments"]
    assert final.usage.output_tokens > 0


async def test_async_errors_and_timeouts(aoai: openai.AsyncOpenAI, aant: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(openai.RateLimitError):
        await aoai.chat.completions.create(
            model=GPT, messages=MESSAGES, extra_headers={"x-emulator-status": "429"}
        )
    with pytest.raises(anthropic.APITimeoutError):
        await aant.with_options(timeout=0.2).messages.create(
            model=CLAUDE, max_tokens=10, messages=MESSAGES, extra_headers={"x-emulator-latency-ms": "2000"}
        )
    with pytest.raises(openai.APIError, match="emulated"):
        stream = await aoai.chat.completions.create(
            model=GPT, messages=MESSAGES, stream=True, extra_headers={"x-emulator-stream-error-after": "0"}
        )
        async for _ in stream:
            pass


# --- wire format, misc endpoints, controls ---------------------------------------------------


def test_sse_wire_format(emu: Emulator) -> None:
    body = {"model": GPT, "messages": MESSAGES, "stream": True}
    with httpx2.Client(base_url=emu.url) as http:
        chat = http.post("/v1/chat/completions", json=body, headers={"x-emulator-chunks": "2"})
        claude = http.post(
            "/v1/messages", json={**body, "max_tokens": 100}, headers={"x-emulator-chunks": "2"}
        )
    assert chat.headers["content-type"].startswith("text/event-stream")
    assert chat.text.startswith("data: {") and chat.text.endswith("\n\ndata: [DONE]\n\n")
    assert "event:" not in chat.text
    assert claude.headers["content-type"].startswith("text/event-stream")
    names = [line[len("event: ") :] for line in claude.text.splitlines() if line.startswith("event: ")]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]


def test_health_models_and_request_counts(
    emu: Emulator, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    before = emu.app.state.requests["/health"]
    with httpx2.Client(base_url=emu.url) as http:
        health = http.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert emu.app.state.requests["/health"] == before + 1
    assert GPT in [model.id for model in oai.models.list()]
    assert CLAUDE in [model.id for model in ant.models.list()]


def test_unknown_path_is_a_provider_error(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        oai.get("/nope", cast_to=object)


def test_invalid_control_headers_and_bodies_are_bad_requests(
    oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    for headers in ({"x-emulator-chunks": "0"}, {"x-emulator-tool-calls": "{}"}, {"x-emulator-typo": "1"}):
        with pytest.raises(openai.BadRequestError, match="x-emulator-"):
            oai.chat.completions.create(model=GPT, messages=MESSAGES, extra_headers=headers)
    with pytest.raises(openai.BadRequestError, match="messages"):
        oai.chat.completions.create(model=GPT, messages=[])
    with pytest.raises(anthropic.BadRequestError, match="max_tokens"):
        ant.messages.create(model=CLAUDE, max_tokens=0, messages=MESSAGES)


def test_parse_controls_defaults_and_values() -> None:
    assert parse_controls([(b"content-type", b"application/json")]).chunks == 16
    controls = parse_controls(
        [
            (b"x-emulator-latency-ms", b"12.5"),
            (b"x-emulator-omit-usage", b"true"),
            (b"x-emulator-tool-calls", b'[{"name": "f", "arguments": "{\\"a\\": 1}"}]'),
        ]
    )
    assert controls.latency_ms == 12.5 and controls.omit_usage
    assert controls.tool_calls[0].input == {"a": 1} and controls.tool_calls[0].arguments == '{"a": 1}'
    with pytest.raises(ControlError, match="status"):
        parse_controls([(b"x-emulator-status", b"200")])


def test_split_pieces_is_even_and_lossless() -> None:
    assert split_pieces(list("abcdefg"), 3) == ("abc", "de", "fg")
    assert split_pieces(["a "], 16) == ("a ",)
    assert split_pieces([], 4) == ()


# --- lifecycle -------------------------------------------------------------------------------


def test_emulator_lifecycle() -> None:
    emulator = Emulator(app=create_app())
    with pytest.raises(RuntimeError):
        _ = emulator.url
    with emulator:
        port = emulator.port
        assert emulator.url == f"http://127.0.0.1:{port}"
        assert emulator.openai_base_url == emulator.url + "/v1"
        assert emulator.anthropic_base_url == emulator.url
        with httpx2.Client() as http:
            assert http.get(emulator.url + "/health").status_code == 200
        with pytest.raises(RuntimeError):
            emulator.start()
    started = time.perf_counter()
    emulator.stop()  # idempotent
    assert time.perf_counter() - started < 0.1
    with pytest.raises(RuntimeError):
        _ = emulator.port
    with Emulator(port=port) as again:  # the port is free again and can be asked for explicitly
        assert again.port == port


def test_serve_runs_in_the_foreground_until_terminated() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    src = str(Path(agentwatch.testing.__file__).parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    code = f"from agentwatch.testing import serve; serve(port={port})"
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        status = None
        with httpx2.Client() as http:
            while status is None and time.monotonic() < deadline and process.poll() is None:
                try:
                    status = http.get(f"http://127.0.0.1:{port}/health").status_code
                except httpx2.TransportError:
                    time.sleep(0.05)
        assert status == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
