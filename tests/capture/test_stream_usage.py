"""``stream_usage``: agentwatch asks OpenAI streams for usage, and the caller sees exactly its own chunks."""

from __future__ import annotations

from typing import Any

import openai
import pytest

import agentwatch
from agentwatch.testing import Emulator
from tests.conftest import Recorder

MESSAGES: list[Any] = [{"role": "user", "content": "Tell me something."}]
HEADERS = {"x-emulator-chunks": "4", "x-emulator-content": "one two three four five"}


def _masked(chunks: list[Any]) -> list[dict[str, Any]]:
    """Each chunk as the caller reads it (``to_dict()``: the fields the provider sent), ids and
    timestamps aside since the emulator makes new ones per call."""
    return [{k: v for k, v in c.to_dict().items() if k not in ("id", "created")} for c in chunks]


def _client(emulator: Emulator) -> openai.OpenAI:
    return openai.OpenAI(api_key="test", base_url=emulator.openai_base_url, max_retries=0)


def test_the_caller_sees_the_same_chunks_with_and_without_agentwatch(
    emulator: Emulator, recorder: Recorder
) -> None:
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", stream_usage=True)
    bare = list(_client(emulator).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=HEADERS))  # fmt: skip
    watched = list(agentwatch.instrument(_client(emulator)).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=HEADERS))  # fmt: skip

    assert _masked(watched) == _masked(bare)
    assert all("usage" not in c.model_fields_set for c in watched)
    event = recorder.only_event()
    assert event.usage.estimated is False and event.usage.input_tokens and event.usage.output_tokens == 5
    assert event.findings == []
    assert "stream_options" not in event.request_parameters  # the request as the caller made it


async def test_async_streams_are_filtered_too(emulator: Emulator, recorder: Recorder) -> None:
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", stream_usage=True)
    async with openai.AsyncOpenAI(api_key="t", base_url=emulator.openai_base_url, max_retries=0) as client:
        agentwatch.instrument(client)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=HEADERS
        )
        chunks = [c async for c in stream]
    assert chunks and all(c.choices for c in chunks)
    assert recorder.only_event().usage.output_tokens == 5


def test_the_callers_own_choice_and_dicts_are_left_alone(emulator: Emulator, recorder: Recorder) -> None:
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", stream_usage=True)
    client = agentwatch.instrument(_client(emulator))
    mine: dict[str, Any] = {"include_usage": True}
    chunks = list(client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options=mine, extra_headers=HEADERS))  # fmt: skip
    assert chunks[-1].usage is not None  # asked for by the caller: delivered
    assert mine == {"include_usage": True}
    off: dict[str, Any] = {"include_usage": False}
    list(client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options=off, extra_headers=HEADERS))  # fmt: skip
    first, second = recorder.events()
    assert not first.usage.estimated and second.usage.estimated  # the caller said no: estimated


@pytest.mark.parametrize("enabled", [False, True])
def test_off_by_default_and_never_for_raw_responses(
    enabled: bool, emulator: Emulator, recorder: Recorder
) -> None:
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", stream_usage=enabled)
    client = agentwatch.instrument(_client(emulator))
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=HEADERS
    )
    assert b'"usage"' not in raw.http_response.read()
    assert recorder.only_event().usage.estimated is True


def test_the_sdk_stream_helper_sees_no_usage_either(emulator: Emulator, recorder: Recorder) -> None:
    agentwatch.configure(database=f"sqlite:///{recorder.db_path}", stream_usage=True)
    client = agentwatch.instrument(_client(emulator))
    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers=HEADERS
    ) as stream:
        final = stream.get_final_completion()
    assert final.usage is None and final.choices[0].message.content == "one two three four five"
    assert recorder.only_event().usage.output_tokens == 5
