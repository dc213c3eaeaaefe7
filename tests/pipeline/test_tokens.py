"""The tokens stage: estimates for calls without usage, flagged; calls with usage left alone."""

from __future__ import annotations

import sys

import pytest

from agentwatch.model import Status
from agentwatch.pipeline import Normalizer, tokenizer
from agentwatch.pipeline.tokenizer import CharCounter, TokenCounter, counter_for, encoding_for, load_ranks
from agentwatch.pipeline.tokens import TokensStage
from tests.pipeline.test_normalize import raw


def _chars(model: str | None) -> TokenCounter:
    return CharCounter()


def test_a_call_without_usage_is_estimated_in_chat_format() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "abcdefgh"}]}
    event = Normalizer()(raw("chat.completions", body, {"choices": [{"message": {"content": "abcd"}}]}))
    TokensStage(_chars).process(event)
    # 3 per message + "user" (1) + 8 chars (2) + 3 priming; reply 4 chars (1)
    assert (event.usage.input_tokens, event.usage.output_tokens, event.usage.estimated) == (9, 1, True)
    assert [(f.kind, f.type) for f in event.findings] == [("usage", "usage_missing")]


def test_without_usage_or_content_the_usage_stays_unknown_not_zero() -> None:
    event = Normalizer()(raw("chat.completions", {"model": "gpt-4o"}, {"choices": []}))
    event.input_messages = None
    TokensStage(_chars).process(event)
    assert (event.usage.input_tokens, event.usage.output_tokens, event.usage.estimated) == (None, None, False)
    assert [(f.kind, f.type) for f in event.findings] == [("usage", "usage_missing")]


def test_reported_usage_and_failed_calls_are_left_alone() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    reported = Normalizer()(
        raw("chat.completions", body, {"usage": {"prompt_tokens": 3, "completion_tokens": 1}})
    )
    failed = raw("chat.completions", body)
    failed.error_type = "APIError"
    failed_event = Normalizer()(failed)
    for event in (reported, failed_event):
        TokensStage(_chars).process(event)
        assert not event.usage.estimated and event.findings == []
    assert failed_event.status is Status.ERROR


def test_embeddings_estimate_input_only() -> None:
    event = Normalizer()(
        raw("embeddings", {"model": "text-embedding-3-small", "input": ["abcd", "efgh"]}, {})
    )
    TokensStage(_chars).process(event)
    assert (event.usage.input_tokens, event.usage.output_tokens) == (2, 0)


@pytest.mark.parametrize(
    ("model", "encoding"),
    [("gpt-4o-mini", "o200k_base"), ("gpt-4-turbo", "cl100k_base"), ("gpt-4.1", "o200k_base"),
     ("text-embedding-3-small", "cl100k_base"), ("claude-sonnet-5", "o200k_base"), (None, "o200k_base")],
)  # fmt: skip
def test_encodings_per_model(model: str | None, encoding: str) -> None:
    assert encoding_for(model) == encoding


def test_the_bundled_encoding_data_is_openais() -> None:
    # load_ranks checks the SHA-256 tiktoken expects of OpenAI's published file; o200k has 199,998 ranks.
    assert len(load_ranks("o200k_base")) == 199_998
    counter = counter_for("gpt-4o")
    assert counter.name == "o200k_base" and counter.count("hello hello hello hello") == 4


class _HideBPEData:
    """A meta-path finder that makes ``bpe_openai`` look uninstalled."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "bpe_openai":
            raise ModuleNotFoundError(name)


def test_without_the_tokens_extra_estimates_use_four_chars_per_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "meta_path", [_HideBPEData(), *sys.meta_path])
    tokenizer._counter.cache_clear()
    try:
        counter = counter_for("gpt-4o")
        assert (counter.name, counter.count("hello hello hello hello")) == ("chars/4", 6)
    finally:
        tokenizer._counter.cache_clear()
