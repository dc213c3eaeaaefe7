"""Token usage, from each provider's shape to one convention (OpenTelemetry's).

``input_tokens`` includes cache reads and cache writes; ``output_tokens`` includes reasoning.
The details (cache reads, cache writes and the part of them kept for one hour, reasoning, audio)
are each a part of those totals, never added on top. OpenAI already reports this way;
Anthropic reports ``input_tokens`` *without* the cache, so its cache counts are added in.

Every reader works on SDK objects and plain JSON alike (:func:`~agentwatch.payload.field`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentwatch.model import Usage
from agentwatch.payload import field

__all__ = [
    "anthropic_usage",
    "openai_chat_usage",
    "openai_embeddings_usage",
    "openai_responses_usage",
    "usage_from_attributes",
]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def openai_chat_usage(usage: Any) -> Usage:
    """Chat completions and legacy completions: ``prompt_tokens`` already includes the cache."""
    prompt = field(usage, "prompt_tokens_details")
    completion = field(usage, "completion_tokens_details")
    return Usage(
        input_tokens=_int(field(usage, "prompt_tokens")),
        output_tokens=_int(field(usage, "completion_tokens")),
        cache_read_input_tokens=_int(field(prompt, "cached_tokens")),
        cache_creation_input_tokens=_int(field(prompt, "cache_write_tokens")),
        reasoning_output_tokens=_int(field(completion, "reasoning_tokens")),
        input_audio_tokens=_int(field(prompt, "audio_tokens")),
        output_audio_tokens=_int(field(completion, "audio_tokens")),
    )


def openai_responses_usage(usage: Any) -> Usage:
    """The Responses API: ``input_tokens`` includes the cache, ``output_tokens`` the reasoning."""
    details = field(usage, "input_tokens_details")
    return Usage(
        input_tokens=_int(field(usage, "input_tokens")),
        output_tokens=_int(field(usage, "output_tokens")),
        cache_read_input_tokens=_int(field(details, "cached_tokens")),
        cache_creation_input_tokens=_int(field(details, "cache_write_tokens")),
        reasoning_output_tokens=_int(field(field(usage, "output_tokens_details"), "reasoning_tokens")),
    )


def openai_embeddings_usage(usage: Any) -> Usage:
    """Embeddings bill input only: output is 0, not unknown."""
    return Usage(input_tokens=_int(field(usage, "prompt_tokens")), output_tokens=0)


def anthropic_usage(usage: Any, base: Usage | None = None) -> Usage:
    """Anthropic's ``input_tokens`` excludes the cache; OpenTelemetry's includes it.

    ``base`` is what earlier events of the same stream reported (``message_start``): a later
    ``message_delta`` carries cumulative counts, and whatever it leaves out keeps its earlier value.
    """
    prev = base or Usage()

    def count(value: Any, earlier: int | None) -> int | None:
        number = _int(value)
        return number if number is not None else earlier

    cache_read = count(field(usage, "cache_read_input_tokens"), prev.cache_read_input_tokens)
    cache_write = count(field(usage, "cache_creation_input_tokens"), prev.cache_creation_input_tokens)
    one_hour = count(
        field(field(usage, "cache_creation"), "ephemeral_1h_input_tokens"),
        prev.cache_creation_1h_input_tokens,
    )
    uncached = _int(field(usage, "input_tokens"))
    if uncached is None:
        input_tokens = prev.input_tokens
    else:
        input_tokens = uncached + (cache_read or 0) + (cache_write or 0)
    return Usage(
        input_tokens=input_tokens,
        output_tokens=count(field(usage, "output_tokens"), prev.output_tokens),
        cache_read_input_tokens=cache_read,
        cache_creation_input_tokens=cache_write,
        cache_creation_1h_input_tokens=one_hour,
        reasoning_output_tokens=count(
            field(field(usage, "output_tokens_details"), "thinking_tokens"), prev.reasoning_output_tokens
        ),
    )


#: Span attribute -> Usage field: OpenTelemetry GenAI names, then OpenInference's.
_ATTRIBUTES: dict[str, str] = {
    "gen_ai.usage.input_tokens": "input_tokens",
    "gen_ai.usage.output_tokens": "output_tokens",
    "gen_ai.usage.cache_read.input_tokens": "cache_read_input_tokens",
    "gen_ai.usage.cache_creation.input_tokens": "cache_creation_input_tokens",
    "gen_ai.usage.reasoning.output_tokens": "reasoning_output_tokens",
    "llm.token_count.prompt": "input_tokens",
    "llm.token_count.completion": "output_tokens",
    "llm.token_count.prompt_details.cache_read": "cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_write": "cache_creation_input_tokens",
    "llm.token_count.prompt_details.audio": "input_audio_tokens",
    "llm.token_count.completion_details.reasoning": "reasoning_output_tokens",
    "llm.token_count.completion_details.audio": "output_audio_tokens",
}


def usage_from_attributes(attributes: Mapping[str, Any]) -> Usage:
    """Usage from a span's attributes (OTLP): both conventions count cache and reasoning inside
    the totals, as agentwatch does. An OpenTelemetry name wins over the OpenInference one."""
    values: dict[str, int] = {}
    for name, target in _ATTRIBUTES.items():
        number = _int(attributes.get(name))
        if number is not None and number >= 0:
            values.setdefault(target, number)
    return Usage(**values)
