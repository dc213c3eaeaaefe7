"""The golden table: real SDK -> emulator reporting a given usage -> stored event, cost checked to 1e-9 USD.

Each expected cost is worked out by hand below from the provider's published price per million
tokens (MTok), named beside it, never from agentwatch's or genai-prices' code:

* OpenAI: https://developers.openai.com/api/docs/pricing (standard, cached input, priority,
  flex and batch tables; the batch table publishes no cached-input rate, so cached input keeps its
  standard rate; audio tokens of gpt-audio at their audio rates).
* Anthropic: https://platform.claude.com/docs/en/about-claude/pricing (base input, 5-minute and
  1-hour cache writes, cache hits, output; batch = 50% of every rate; long-context pricing: a
  request whose prompt, cache included, exceeds the threshold pays the higher rate on every token).

Token conventions as the providers report them: OpenAI's ``prompt_tokens`` already include
cached tokens and ``completion_tokens`` include reasoning; Anthropic's ``input_tokens`` exclude
cache reads and writes, which are billed at their own rates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import anthropic
import openai
import pytest

import agentwatch
from agentwatch.pricing import TABLE_VERSION
from agentwatch.testing import Emulator
from tests.conftest import Recorder

M = 1_000_000
OPENAI = "https://developers.openai.com/api/docs/pricing"
ANTHROPIC = "https://platform.claude.com/docs/en/about-claude/pricing"


@dataclass(frozen=True)
class Case:
    name: str
    call: str  # chat | chat_stream | responses | responses_stream | embeddings | messages | messages_stream
    model: str
    usage: dict[str, Any] | None
    expected: float | None  # None: no price is known
    source: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # extra request parameters


def chat_usage(
    prompt: int,
    completion: int,
    *,
    cached: int = 0,
    reasoning: int = 0,
    audio_in: int = 0,
    audio_out: int = 0,
) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": audio_in},
        "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": audio_out},
    }


def responses_usage(
    inp: int, out: int, *, cached: int = 0, written: int = 0, reasoning: int = 0
) -> dict[str, Any]:
    return {
        "input_tokens": inp,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": written},
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": inp + out,
    }


def claude_usage(
    uncached: int,
    out: int,
    *,
    read: int = 0,
    write_5m: int = 0,
    write_1h: int = 0,
    thinking: int | None = None,
) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "input_tokens": uncached,
        "cache_creation_input_tokens": write_5m + write_1h,
        "cache_read_input_tokens": read,
        "cache_creation": {"ephemeral_5m_input_tokens": write_5m, "ephemeral_1h_input_tokens": write_1h},
        "output_tokens": out,
    }
    if thinking is not None:
        usage["output_tokens_details"] = {"thinking_tokens": thinking}
    return usage


PRIORITY = {"x-emulator-service-tier": "priority"}
FLEX = {"x-emulator-service-tier": "flex"}
BATCH = {"x-emulator-service-tier": "batch"}

CASES = [
    # ------------------------------------------------------------------ OpenAI chat completions
    Case("gpt-4o-mini plain", "chat", "gpt-4o-mini", chat_usage(1200, 300),
         (1200 * 0.15 + 300 * 0.60) / M, f"{OPENAI}: gpt-4o-mini $0.15 in, $0.60 out"),
    Case("gpt-4o-mini cached", "chat", "gpt-4o-mini", chat_usage(5000, 200, cached=4096),
         (904 * 0.15 + 4096 * 0.075 + 200 * 0.60) / M, f"{OPENAI}: gpt-4o-mini cached input $0.075"),
    Case("gpt-4o-mini priority", "chat", "gpt-4o-mini", chat_usage(2000, 500, cached=1024),
         (976 * 0.25 + 1024 * 0.125 + 500 * 1.00) / M, f"{OPENAI} priority: gpt-4o-mini $0.25/$0.125/$1.00",
         PRIORITY),
    Case("gpt-4o-mini batch", "chat", "gpt-4o-mini", chat_usage(3000, 1000, cached=1000),
         (2000 * 0.075 + 1000 * 0.075 + 1000 * 0.30) / M,
         f"{OPENAI} batch: gpt-4o-mini $0.075 in, $0.30 out; cached at the standard $0.075", BATCH),
    Case("gpt-4o cached priority", "chat", "gpt-4o", chat_usage(10_000, 800, cached=6000),
         (4000 * 4.25 + 6000 * 2.125 + 800 * 17.00) / M, f"{OPENAI} priority: gpt-4o $4.25/$2.125/$17",
         PRIORITY),
    Case("gpt-4o batch", "chat", "gpt-4o", chat_usage(8000, 2000),
         (8000 * 1.25 + 2000 * 5.00) / M, f"{OPENAI} batch: gpt-4o $1.25 in, $5 out", BATCH),
    Case("gpt-4o default tier", "chat", "gpt-4o", chat_usage(1000, 100, cached=500),
         (500 * 2.50 + 500 * 1.25 + 100 * 10.00) / M, f"{OPENAI}: gpt-4o $2.50/$1.25/$10",
         {"x-emulator-service-tier": "default"}),
    Case("gpt-4o answered by its 2024-05-13 snapshot", "chat", "gpt-4o", chat_usage(1000, 1000),
         (1000 * 5.00 + 1000 * 15.00) / M, f"{OPENAI}: gpt-4o-2024-05-13 $5 in, $15 out, no cached rate",
         {"x-emulator-model": "gpt-4o-2024-05-13"}),
    Case("gpt-4.1 plain", "chat", "gpt-4.1", chat_usage(40_000, 1500),
         (40_000 * 2.00 + 1500 * 8.00) / M, f"{OPENAI}: gpt-4.1 $2 in, $8 out"),
    Case("gpt-4.1 priority cached", "chat", "gpt-4.1", chat_usage(20_000, 1000, cached=15_000),
         (5000 * 3.50 + 15_000 * 0.875 + 1000 * 14.00) / M, f"{OPENAI} priority: gpt-4.1 $3.50/$0.875/$14",
         PRIORITY),
    Case("gpt-4.1-mini cached", "chat", "gpt-4.1-mini", chat_usage(12_000, 700, cached=8000),
         (4000 * 0.40 + 8000 * 0.10 + 700 * 1.60) / M, f"{OPENAI}: gpt-4.1-mini $0.40/$0.10/$1.60"),
    Case("o3 reasoning", "chat", "o3", chat_usage(3000, 9000, reasoning=8000),
         (3000 * 2.00 + 9000 * 8.00) / M, f"{OPENAI}: o3 $2 in, $8 out; reasoning billed as output"),
    Case("o3 flex reasoning cached", "chat", "o3", chat_usage(6000, 4000, cached=2000, reasoning=3500),
         (4000 * 1.00 + 2000 * 0.25 + 4000 * 4.00) / M, f"{OPENAI} flex: o3 $1/$0.25/$4", FLEX),
    Case("o4-mini reasoning", "chat", "o4-mini", chat_usage(2500, 6000, reasoning=5000),
         (2500 * 1.10 + 6000 * 4.40) / M, f"{OPENAI}: o4-mini $1.10 in, $4.40 out"),
    Case("gpt-5 reasoning cached", "chat", "gpt-5", chat_usage(50_000, 12_000, cached=30_000, reasoning=10_000),
         (20_000 * 1.25 + 30_000 * 0.125 + 12_000 * 10.00) / M, f"{OPENAI}: gpt-5 $1.25/$0.125/$10"),
    Case("gpt-5-mini flex", "chat", "gpt-5-mini", chat_usage(10_000, 3000, cached=4000, reasoning=1000),
         (6000 * 0.125 + 4000 * 0.0125 + 3000 * 1.00) / M, f"{OPENAI} flex: gpt-5-mini $0.125/$0.0125/$1", FLEX),
    Case("gpt-audio audio tokens", "chat", "gpt-audio", chat_usage(1000, 500, audio_in=600, audio_out=300),
         (400 * 2.50 + 600 * 32.00 + 200 * 10.00 + 300 * 64.00) / M,
         f"{OPENAI}: gpt-audio text $2.50/$10, audio $32 in, $64 out"),
    Case("unknown OpenAI model", "chat", "acme-llm-7", chat_usage(1000, 100), None, "no published price"),
    # ------------------------------------------------------------------ OpenAI chat streams
    Case("gpt-4o-mini stream cached", "chat_stream", "gpt-4o-mini", chat_usage(3000, 400, cached=2048),
         (952 * 0.15 + 2048 * 0.075 + 400 * 0.60) / M, f"{OPENAI}: gpt-4o-mini $0.15/$0.075/$0.60"),
    Case("o4-mini stream reasoning", "chat_stream", "o4-mini", chat_usage(700, 2200, reasoning=2000),
         (700 * 1.10 + 2200 * 4.40) / M, f"{OPENAI}: o4-mini $1.10 in, $4.40 out"),
    Case("gpt-4.1 stream priority", "chat_stream", "gpt-4.1", chat_usage(9000, 600),
         (9000 * 3.50 + 600 * 14.00) / M, f"{OPENAI} priority: gpt-4.1 $3.50 in, $14 out", PRIORITY),
    # "hi" as one user message: 3 per message + "user" (1) + "hi" (1) + 3 priming the reply = 8 tokens
    # (OpenAI's chat format, o200k_base); the reply "hello hello hello hello" is 4 tokens.
    Case("estimated stream", "chat_stream_no_usage", "gpt-4o-mini", None,
         (8 * 0.15 + 4 * 0.60) / M, f"{OPENAI}: gpt-4o-mini $0.15 in, $0.60 out; 8 + 4 tokens estimated",
         {"x-emulator-content": "hello hello hello hello"}),
    Case("estimated stream, unknown model", "chat_stream_no_usage", "acme-llm-7", None, None,
         "no published price", {"x-emulator-content": "hello hello hello hello"}),
    # ------------------------------------------------------------------ OpenAI Responses
    Case("gpt-4.1 responses cached", "responses", "gpt-4.1", responses_usage(30_000, 900, cached=25_000),
         (5000 * 2.00 + 25_000 * 0.50 + 900 * 8.00) / M, f"{OPENAI}: gpt-4.1 $2/$0.50/$8"),
    Case("o3 responses reasoning", "responses", "o3", responses_usage(1500, 7000, reasoning=6500),
         (1500 * 2.00 + 7000 * 8.00) / M, f"{OPENAI}: o3 $2 in, $8 out"),
    Case("gpt-5 responses cache write and read", "responses", "gpt-5",
         responses_usage(20_000, 2000, cached=10_000, written=5000, reasoning=1000),
         (10_000 * 1.25 + 10_000 * 0.125 + 2000 * 10.00) / M,
         f"{OPENAI}: gpt-5 $1.25/$0.125/$10; no separate cache-write rate, so writes pay input"),
    Case("gpt-5-mini responses stream", "responses_stream", "gpt-5-mini",
         responses_usage(4000, 1000, cached=1000, reasoning=600),
         (3000 * 0.25 + 1000 * 0.025 + 1000 * 2.00) / M, f"{OPENAI}: gpt-5-mini $0.25/$0.025/$2"),
    Case("gpt-4o-mini responses stream batch", "responses_stream", "gpt-4o-mini", responses_usage(6000, 2000),
         (6000 * 0.075 + 2000 * 0.30) / M, f"{OPENAI} batch: gpt-4o-mini $0.075 in, $0.30 out", BATCH),
    # ------------------------------------------------------------------ OpenAI embeddings
    Case("text-embedding-3-small", "embeddings", "text-embedding-3-small",
         {"prompt_tokens": 123_456, "total_tokens": 123_456}, 123_456 * 0.02 / M,
         f"{OPENAI}: text-embedding-3-small $0.02"),
    Case("text-embedding-3-large", "embeddings", "text-embedding-3-large",
         {"prompt_tokens": 50_000, "total_tokens": 50_000}, 50_000 * 0.13 / M,
         f"{OPENAI}: text-embedding-3-large $0.13"),
    Case("text-embedding-ada-002", "embeddings", "text-embedding-ada-002",
         {"prompt_tokens": 10_000, "total_tokens": 10_000}, 10_000 * 0.10 / M,
         f"{OPENAI}: text-embedding-ada-002 $0.10"),
    # ------------------------------------------------------------------ Anthropic messages
    Case("claude-sonnet-5 plain", "messages", "claude-sonnet-5", claude_usage(2000, 500),
         (2000 * 2.00 + 500 * 10.00) / M, f"{ANTHROPIC}: Sonnet 5 $2 in, $10 out"),
    Case("claude-sonnet-5 cache read", "messages", "claude-sonnet-5", claude_usage(100, 300, read=9000),
         (100 * 2.00 + 9000 * 0.20 + 300 * 10.00) / M, f"{ANTHROPIC}: Sonnet 5 cache hits $0.20"),
    Case("claude-sonnet-5 cache write 5m", "messages", "claude-sonnet-5", claude_usage(50, 200, write_5m=4000),
         (50 * 2.00 + 4000 * 2.50 + 200 * 10.00) / M, f"{ANTHROPIC}: Sonnet 5 5m cache writes $2.50"),
    Case("claude-sonnet-5 5m + 1h writes and reads", "messages", "claude-sonnet-5",
         claude_usage(20, 100, read=3000, write_5m=1000, write_1h=2000),
         (20 * 2.00 + 3000 * 0.20 + 1000 * 2.50 + 2000 * 4.00 + 100 * 10.00) / M,
         f"{ANTHROPIC}: Sonnet 5 $2 / 5m $2.50 / 1h $4 / hits $0.20 / $10"),
    Case("claude-sonnet-5 batch", "messages", "claude-sonnet-5",
         claude_usage(1000, 400, read=2000, write_5m=500),
         (1000 * 1.00 + 2000 * 0.10 + 500 * 1.25 + 400 * 5.00) / M,
         f"{ANTHROPIC} batch: 50% of Sonnet 5's rates, cache multipliers stacked", BATCH),
    Case("claude-opus-5 thinking", "messages", "claude-opus-5", claude_usage(3000, 5000, thinking=4200),
         (3000 * 5.00 + 5000 * 25.00) / M, f"{ANTHROPIC}: Opus 5 $5 in, $25 out; thinking billed as output"),
    Case("claude-opus-5 batch", "messages", "claude-opus-5", claude_usage(4000, 1000, read=1000),
         (4000 * 2.50 + 1000 * 0.25 + 1000 * 12.50) / M, f"{ANTHROPIC} batch: Opus 5 $2.50/$0.25/$12.50",
         BATCH),
    Case("claude-haiku-4-5 1h write", "messages", "claude-haiku-4-5", claude_usage(500, 250, write_1h=6000),
         (500 * 1.00 + 6000 * 2.00 + 250 * 5.00) / M, f"{ANTHROPIC}: Haiku 4.5 $1 in, 1h writes $2, $5 out"),
    Case("claude-sonnet-4-5 at 200k: base rate", "messages", "claude-sonnet-4-5",
         claude_usage(150_000, 1000, read=50_000),
         (150_000 * 3.00 + 50_000 * 0.30 + 1000 * 15.00) / M,
         f"{ANTHROPIC} long context: Sonnet 4.5, prompt of exactly 200,000 tokens is not over 200K"),
    Case("claude-sonnet-4-5 over 200k: long-context rate", "messages", "claude-sonnet-4-5",
         claude_usage(150_001, 1000, read=50_000),
         (150_001 * 6.00 + 50_000 * 0.60 + 1000 * 22.50) / M,
         f"{ANTHROPIC} long context: Sonnet 4.5 > 200K: $6 in, $0.60 hits, $22.50 out on every token"),
    Case("claude-haiku-5-5 at 100k: base rate", "messages", "claude-haiku-5-5",
         claude_usage(60_000, 2000, read=30_000, write_5m=10_000),
         (60_000 * 0.10 + 30_000 * 0.01 + 10_000 * 0.125 + 2000 * 0.50) / M,
         f"{ANTHROPIC}: Haiku 5.5 $0.10 / hits $0.01 / 5m $0.125 / $0.50, prompt of 100,000"),
    Case("claude-haiku-5-5 over 100k: 5x rate", "messages", "claude-haiku-5-5",
         claude_usage(60_001, 2000, read=30_000, write_5m=10_000),
         (60_001 * 0.50 + 30_000 * 0.05 + 10_000 * 0.625 + 2000 * 2.50) / M,
         f"{ANTHROPIC} long context: Haiku 5.5 over 100K pays 5x on every token"),
    Case("claude-opus-4-1 cache", "messages", "claude-opus-4-1", claude_usage(1000, 800, read=5000, write_5m=2000),
         (1000 * 15.00 + 5000 * 1.50 + 2000 * 18.75 + 800 * 75.00) / M,
         f"{ANTHROPIC}: Opus 4.1 $15 / hits $1.50 / 5m $18.75 / $75"),
    Case("claude-3-5-haiku", "messages", "claude-3-5-haiku-latest", claude_usage(4000, 1200),
         (4000 * 0.80 + 1200 * 4.00) / M, f"{ANTHROPIC}: Haiku 3.5 $0.80 in, $4 out"),
    Case("claude-opus-5 fast mode", "messages", "claude-opus-5", claude_usage(1000, 500, read=2000),
         (1000 * 10.00 + 2000 * 1.00 + 500 * 50.00) / M,
         f"{ANTHROPIC} fast mode: Opus 5 $10 in, $50 out, cache multipliers on top (hits 0.1x)",
         params={"speed": "fast"}),
    Case("unknown Claude model", "messages", "claude-imaginary-9", claude_usage(100, 100), None,
         "no published price"),
    # ------------------------------------------------------------------ Anthropic streams
    Case("claude-sonnet-5 stream cache split", "messages_stream", "claude-sonnet-5",
         claude_usage(300, 700, read=1000, write_5m=2000, write_1h=500),
         (300 * 2.00 + 1000 * 0.20 + 2000 * 2.50 + 500 * 4.00 + 700 * 10.00) / M,
         f"{ANTHROPIC}: Sonnet 5 $2 / hits $0.20 / 5m $2.50 / 1h $4 / $10"),
    Case("claude-haiku-5-5 stream over 100k", "messages_stream", "claude-haiku-5-5",
         claude_usage(120_000, 3000), (120_000 * 0.50 + 3000 * 2.50) / M,
         f"{ANTHROPIC} long context: Haiku 5.5 over 100K $0.50 in, $2.50 out"),
    Case("claude-opus-5 stream batch", "messages_stream", "claude-opus-5", claude_usage(2000, 900, write_1h=1000),
         (2000 * 2.50 + 1000 * 5.00 + 900 * 12.50) / M, f"{ANTHROPIC} batch: Opus 5 $2.50 / 1h $5 / $12.50",
         BATCH),
]  # fmt: skip


def _call(case: Case, emulator: Emulator) -> None:
    headers = dict(case.headers)
    if case.usage is not None:
        headers["x-emulator-usage"] = json.dumps(case.usage)
    messages = [{"role": "user", "content": "hi"}]
    if case.call.startswith("messages"):
        claude = agentwatch.instrument(
            anthropic.Anthropic(api_key="test", base_url=emulator.anthropic_base_url, max_retries=0)
        )
        if case.call == "messages":
            claude.messages.create(
                model=case.model, max_tokens=64, messages=messages, extra_headers=headers, **case.params
            )
        else:
            with claude.messages.stream(
                model=case.model, max_tokens=64, messages=messages, extra_headers=headers
            ) as stream:
                stream.get_final_message()
        return
    gpt = agentwatch.instrument(
        openai.OpenAI(api_key="test", base_url=emulator.openai_base_url, max_retries=0)
    )
    if case.call == "chat":
        gpt.chat.completions.create(model=case.model, messages=messages, extra_headers=headers)  # type: ignore[arg-type]
    elif case.call in ("chat_stream", "chat_stream_no_usage"):
        options = {"include_usage": True} if case.call == "chat_stream" else None
        for _ in gpt.chat.completions.create(
            model=case.model,
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            extra_headers=headers,
            **({"stream_options": options} if options else {}),  # type: ignore[arg-type]
        ):
            pass
    elif case.call == "responses":
        gpt.responses.create(model=case.model, input="hi", extra_headers=headers)
    elif case.call == "responses_stream":
        for _ in gpt.responses.create(model=case.model, input="hi", stream=True, extra_headers=headers):
            pass
    else:
        gpt.embeddings.create(model=case.model, input="hi", extra_headers=headers)


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_golden_cost(case: Case, emulator: Emulator, recorder: Recorder) -> None:
    _call(case, emulator)
    event = recorder.only_event()
    cost = event.cost
    assert cost is not None
    kinds = {(f.kind, f.type, f.detector) for f in event.findings}
    if case.expected is None:
        assert (cost.total_usd, cost.unpriced) == (None, True)
        assert ("cost", "unpriced_model", "cost") in kinds
    else:
        assert cost.total_usd is not None and not cost.unpriced
        assert abs(cost.total_usd - case.expected) <= 1e-9, (cost.total_usd, case.expected, case.source)
        assert cost.input_usd is not None and cost.output_usd is not None
        assert abs(cost.input_usd + cost.output_usd - cost.total_usd) <= 1e-12
        assert (cost.price_source, cost.price_version) == ("genai-prices", TABLE_VERSION)
    estimated = case.call == "chat_stream_no_usage"
    assert event.usage.estimated is estimated and cost.estimated is estimated
    assert (("usage", "stream_usage_missing", "tokens") in kinds) is estimated
