"""The tokens stage: estimate the usage of calls that reported none, and say so.

An OpenAI stream sent without ``stream_options={"include_usage": True}`` (and some
OpenAI-compatible servers) reports no usage; pricing it as $0 would be wrong. This stage
counts the prompt and the reply offline (:mod:`agentwatch.pipeline.tokenizer`), marks the
usage ``estimated`` and adds a finding the user can act on: ``stream_usage_missing`` for
streams, ``usage_missing`` otherwise. Failed calls are left alone (providers do not bill them).

Prompts are counted as OpenAI's chat format does: 3 tokens per message plus its role and
content, plus 3 that prime the reply. Tool definitions are not recorded, so they are not
counted: estimates err low.
"""

from __future__ import annotations

from collections.abc import Callable

from agentwatch.model import Finding, LLMCall, Status, Usage
from agentwatch.pipeline.tokenizer import TokenCounter, counter_for

__all__ = ["TokensStage"]

PER_MESSAGE = 3
REPLY_PRIMING = 3
_CHAT_APIS = frozenset({"chat.completions", "responses", "messages"})


def _missing(usage: Usage) -> bool:
    return usage.input_tokens is None and usage.output_tokens is None


class TokensStage:
    name = "tokens"

    def __init__(self, counter_for_model: Callable[[str | None], TokenCounter] = counter_for) -> None:
        self._counter_for = counter_for_model

    def process(self, event: LLMCall) -> None:
        if event.status is Status.ERROR:
            return
        if _output_missing(event):
            self._estimate_output(event)
            return
        if not _missing(event.usage):
            return
        finding = Finding(
            kind="usage",
            type="stream_usage_missing" if event.stream else "usage_missing",
            detector="tokens",
            location="response",
        )
        if not (event.input_messages or event.output_text or event.tool_calls):
            # nothing to count (a span or an ingested event without content): the usage, and so
            # the cost, stay unknown rather than an estimate of 0
            event.findings.append(finding)
            return
        counter = self._counter_for(event.response_model or event.request_model)
        count = counter.count
        chat = event.api in _CHAT_APIS
        prompt = 0
        for message in event.input_messages or ():
            text = message.get("content")
            prompt += count(text) if isinstance(text, str) else 0
            if chat:
                prompt += PER_MESSAGE + count(str(message.get("role", "")))
        if chat:
            prompt += REPLY_PRIMING
        reply = self._reply(event, count)
        event.usage = Usage(
            input_tokens=prompt,
            output_tokens=0 if event.operation == "embeddings" else reply,
            estimated=True,
        )
        event.findings.append(finding)

    def _reply(self, event: LLMCall, count: Callable[[str], int]) -> int:
        reply = count(event.output_text or "")
        for call in event.tool_calls:
            reply += count(call.name) + count(call.arguments)
        return reply

    def _estimate_output(self, event: LLMCall) -> None:
        """A stream cut before its final usage: the prompt's count is the provider's, the reply's
        (billed for what was generated) is counted from what was seen."""
        count = self._counter_for(event.response_model or event.request_model).count
        event.usage = event.usage.model_copy(
            update={"output_tokens": self._reply(event, count), "estimated": True}
        )
        event.findings.append(
            Finding(kind="usage", type="output_usage_missing", detector="tokens", location="response")
        )


def _output_missing(event: LLMCall) -> bool:
    """Input reported, output not: an Anthropic stream closed before ``message_delta``."""
    return (
        event.stream
        and event.api == "messages"
        and event.usage.input_tokens is not None
        and event.usage.output_tokens is None
    )
