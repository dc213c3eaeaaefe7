"""Usage in one convention (OpenTelemetry's) from every provider shape."""

from __future__ import annotations

from agentwatch.model import Usage
from agentwatch.pipeline.usage import (
    anthropic_usage,
    openai_chat_usage,
    openai_embeddings_usage,
    openai_responses_usage,
    usage_from_attributes,
)


def test_openai_chat_details() -> None:
    usage = openai_chat_usage({
        "prompt_tokens": 100, "completion_tokens": 40,
        "prompt_tokens_details": {"cached_tokens": 60, "cache_write_tokens": 10, "audio_tokens": 5},
        "completion_tokens_details": {"reasoning_tokens": 30, "audio_tokens": 2},
    })  # fmt: skip
    assert usage == Usage(
        input_tokens=100, output_tokens=40, cache_read_input_tokens=60, cache_creation_input_tokens=10,
        reasoning_output_tokens=30, input_audio_tokens=5, output_audio_tokens=2,
    )  # fmt: skip


def test_responses_and_embeddings() -> None:
    usage = openai_responses_usage({
        "input_tokens": 50, "output_tokens": 20,
        "input_tokens_details": {"cached_tokens": 30, "cache_write_tokens": 5},
        "output_tokens_details": {"reasoning_tokens": 12},
    })  # fmt: skip
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (
        50,
        30,
        5,
    )
    assert usage.reasoning_output_tokens == 12
    assert openai_embeddings_usage({"prompt_tokens": 9}) == Usage(input_tokens=9, output_tokens=0)


def test_anthropic_adds_the_cache_to_input_and_keeps_the_1h_part() -> None:
    start = anthropic_usage({
        "input_tokens": 10, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 30,
        "cache_creation": {"ephemeral_5m_input_tokens": 20, "ephemeral_1h_input_tokens": 10},
        "output_tokens": 1,
    })  # fmt: skip
    final = anthropic_usage({"output_tokens": 80, "output_tokens_details": {"thinking_tokens": 50}}, start)
    assert final == Usage(
        input_tokens=140, output_tokens=80, cache_read_input_tokens=100, cache_creation_input_tokens=30,
        cache_creation_1h_input_tokens=10, reasoning_output_tokens=50,
    )  # fmt: skip


def test_span_attributes_in_both_conventions() -> None:
    otel = usage_from_attributes({
        "gen_ai.usage.input_tokens": 70, "gen_ai.usage.output_tokens": 7,
        "gen_ai.usage.cache_read.input_tokens": 40, "llm.token_count.prompt": 999,
    })  # fmt: skip
    assert (otel.input_tokens, otel.output_tokens, otel.cache_read_input_tokens) == (70, 7, 40)
    openinference = usage_from_attributes({
        "llm.token_count.prompt": 12, "llm.token_count.completion": 3,
        "llm.token_count.completion_details.reasoning": 2, "llm.token_count.prompt_details.cache_write": -1,
    })  # fmt: skip
    assert openinference == Usage(input_tokens=12, output_tokens=3, reasoning_output_tokens=2)
