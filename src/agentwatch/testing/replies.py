"""Deterministic replies: what the emulated model says, and what it costs in tokens.

Same request and controls in, same reply out. Tokens are counted cheaply:
input tokens are ``ceil(chars / 4)`` over the request's message text (at least
1); output tokens are the number of deltas the reply streams as (words of text
plus pieces of tool-call arguments).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from agentwatch.testing.controls import DEFAULT_CHUNKS, Controls, ToolCall

__all__ = [
    "Reply",
    "count_tokens",
    "last_user_text",
    "new_id",
    "plan_reply",
    "split_pieces",
    "text_chars",
    "text_of",
]

_FILLER = ("lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit")
_ECHO_CHARS = 40
_WORD = re.compile(r"\S+\s*")


@dataclass(frozen=True, slots=True)
class Reply:
    """A planned reply. ``finish`` uses OpenAI's vocabulary (``stop``, ``length``, ...)."""

    model: str
    text: str
    pieces: tuple[str, ...]
    tool_calls: tuple[ToolCall, ...]
    tool_pieces: tuple[tuple[str, ...], ...]
    input_tokens: int
    output_tokens: int
    finish: str


def new_id(prefix: str, size: int = 12) -> str:
    """A fresh provider-looking id, e.g. ``chatcmpl-3f2a...``."""
    return prefix + secrets.token_hex(size)


def count_tokens(chars: int) -> int:
    """The emulator's token count for ``chars`` characters of text."""
    return max(1, (chars + 3) // 4)


def text_of(content: object) -> str:
    """The text of a message's ``content``: a string or a list of parts/blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_part_text(part) for part in content)
    return ""


def _part_text(part: object) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    for key in ("text", "content", "output"):
        if key in part:
            return text_of(part[key])
    return ""


def text_chars(messages: object) -> int:
    """Total characters of text in a list of messages (or input items)."""
    if not isinstance(messages, list):
        return len(text_of(messages))
    return sum(len(_part_text(message)) for message in messages)


def last_user_text(messages: object) -> str:
    """Text of the last ``role: user`` message (a bare string counts as one)."""
    if isinstance(messages, str):
        return messages
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return text_of(message.get("content"))
    return ""


def split_pieces(tokens: list[str], count: int) -> tuple[str, ...]:
    """Group ``tokens`` into at most ``count`` contiguous, evenly sized pieces."""
    if not tokens:
        return ()
    groups = min(count, len(tokens))
    size, extra = divmod(len(tokens), groups)
    pieces = []
    start = 0
    for index in range(groups):
        end = start + size + (1 if index < extra else 0)
        pieces.append("".join(tokens[start:end]))
        start = end
    return tuple(pieces)


def _words(text: str) -> list[str]:
    """Word tokens of ``text`` keeping their whitespace, so that they join back to ``text``."""
    words = _WORD.findall(text)
    lead = len(text) - len(text.lstrip())
    if not words:
        return [text] if text else []
    if lead:
        words[0] = text[:lead] + words[0]
    return words


def _echo_words(prompt: str, count: int) -> list[str]:
    words = ["Echo:", *prompt[:_ECHO_CHARS].split()][:count]
    words.extend(_FILLER[index % len(_FILLER)] for index in range(count - len(words)))
    return [word + " " for word in words[:-1]] + words[-1:]


def plan_reply(
    *, controls: Controls, prompt: str, input_chars: int, model: str, max_tokens: int | None
) -> Reply:
    """Plan the reply to a request whose last user message is ``prompt``."""
    if controls.content is not None:
        words = _words(controls.content)
    elif controls.tool_calls:
        words = []
    else:
        words = _echo_words(prompt, max(DEFAULT_CHUNKS, controls.chunks))
    truncated = max_tokens is not None and not controls.tool_calls and len(words) > max_tokens
    if truncated and max_tokens is not None:
        words = words[:max_tokens]
    tool_pieces = tuple(split_pieces(list(call.arguments), controls.chunks) for call in controls.tool_calls)
    if controls.finish_reason is not None:
        finish = controls.finish_reason
    elif controls.tool_calls:
        finish = "tool_calls"
    else:
        finish = "length" if truncated else "stop"
    return Reply(
        model=controls.model or model,
        text="".join(words),
        pieces=split_pieces(words, controls.chunks),
        tool_calls=controls.tool_calls,
        tool_pieces=tool_pieces,
        input_tokens=count_tokens(input_chars),
        output_tokens=len(words) + sum(len(pieces) for pieces in tool_pieces),
        finish=finish,
    )
