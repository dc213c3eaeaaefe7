"""The real openai and anthropic SDKs through the proxy to the emulator: what arrives, what is stored."""

from __future__ import annotations

import json
from collections.abc import Callable

import anthropic
import openai
import pytest

from agentwatch.model import Status
from tests.server.conftest import Served

MESSAGES = [{"role": "user", "content": "hello"}]


def openai_usage(prompt: int, completion: int) -> str:
    return json.dumps(
        {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    )


def anthropic_usage(input_tokens: int, output_tokens: int) -> str:
    return json.dumps({"input_tokens": input_tokens, "output_tokens": output_tokens})


def _openai(served: Served, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test-provider-key",
        base_url=f"{served.url}/proxy/openai/v1",
        default_headers={"X-Agentwatch-Key": served.ingest_key, **headers},
        max_retries=0,
    )


def _anthropic(served: Served) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test-provider-key",
        base_url=f"{served.url}/proxy/anthropic",
        default_headers={"X-Agentwatch-Key": served.ingest_key},
        max_retries=0,
    )


def test_openai_chat_through_the_proxy(served: Served) -> None:
    client = _openai(
        served, **{"X-Agentwatch-User": "u1", "X-Agentwatch-Session": "s1", "X-Agentwatch-Agent": "bot"}
    )
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-emulator-usage": openai_usage(21, 7)}
    )
    event = served.events()[-1]
    assert reply.usage is not None and (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (21, 7)
    assert (event.provider, event.api, event.request_model, event.response_model) == (
        "openai",
        "chat.completions",
        "gpt-4o-mini",
        reply.model,
    )
    assert (event.usage.input_tokens, event.usage.output_tokens) == (21, 7)
    # priced like an SDK-captured call: gpt-4o-mini, $0.15 and $0.60 per million tokens
    assert event.cost is not None and event.cost.total_usd == pytest.approx(
        (21 * 0.15 + 7 * 0.60) / 1e6, abs=1e-12
    )
    assert (event.user_id, event.session_id, event.agent) == ("u1", "s1", "bot")
    assert event.status is Status.OK and not event.stream
    assert event.response_id == reply.id
    assert event.server_address == "127.0.0.1"


def test_openai_stream_through_the_proxy(served: Served) -> None:
    client = _openai(served)
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-emulator-usage": openai_usage(30, 12)},
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    event = served.events()[-1]
    assert text
    assert event.stream and event.status is Status.OK
    assert event.request_model == "gpt-4o-mini"
    assert (event.usage.input_tokens, event.usage.output_tokens) == (30, 12)
    assert event.time_to_first_token_ms is not None


def test_anthropic_messages_through_the_proxy(served: Served) -> None:
    client = _anthropic(served)
    reply = client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=100,
        messages=MESSAGES,
        extra_headers={"x-emulator-usage": anthropic_usage(40, 9)},
    )
    event = served.events()[-1]
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (40, 9)
    assert (event.provider, event.api, event.request_model) == ("anthropic", "messages", "claude-haiku-4-5")
    assert (event.usage.input_tokens, event.usage.output_tokens) == (40, 9)
    assert event.finish_reasons == [reply.stop_reason]


def test_anthropic_stream_through_the_proxy(served: Served) -> None:
    client = _anthropic(served)
    with client.messages.stream(
        model="claude-haiku-4-5",
        max_tokens=100,
        messages=MESSAGES,
        extra_headers={"x-emulator-usage": anthropic_usage(50, 11)},
    ) as stream:
        final = stream.get_final_message()
    event = served.events()[-1]
    assert final.usage.output_tokens == 11
    assert event.stream and event.status is Status.OK
    assert (event.usage.input_tokens, event.usage.output_tokens) == (50, 11)
    assert event.request_model == "claude-haiku-4-5"


def test_provider_errors_pass_through_and_are_recorded(served: Served) -> None:
    client = _openai(served)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-emulator-status": "429"}
        )
    event = served.events()[-1]
    assert event.status is Status.ERROR
    assert event.error is not None
    assert (event.error.type, event.error.http_status) == ("RateLimitError", 429)


def test_responses_stream_and_embeddings_through_the_proxy(served: Served) -> None:
    client = _openai(served)
    with client.responses.stream(model="gpt-4o-mini", input="hello") as stream:
        final = stream.get_final_response()
    vectors = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    responses, embeddings = served.events()[-2:]
    assert responses.api == "responses" and responses.stream
    assert final.usage is not None
    assert (responses.usage.input_tokens, responses.usage.output_tokens) == (
        final.usage.input_tokens,
        final.usage.output_tokens,
    )
    assert (embeddings.api, embeddings.operation, embeddings.request_model) == (
        "embeddings",
        "embeddings",
        "text-embedding-3-small",
    )
    assert embeddings.usage.input_tokens == vectors.usage.prompt_tokens


def test_a_traceparent_puts_the_call_in_the_callers_trace(served: Served) -> None:
    trace_id, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    client = _openai(served, traceparent=f"00-{trace_id}-{parent}-01")
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    event = served.events()[-1]
    assert (event.trace_id, event.parent_span_id) == (trace_id, parent)


def test_other_paths_are_forwarded_but_not_recorded(served: Served) -> None:
    models = _openai(served).models.list()
    assert models.data
    assert served.events() == []


def test_proxy_bodies_have_their_own_limit(serve: Callable[..., Served]) -> None:
    served = serve(proxy_max_body_bytes=2048)
    client = _openai(served)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x" * 4096}]
        )
    assert caught.value.status_code == 413
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(served.events()) == 1
