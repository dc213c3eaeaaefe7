"""Asking OpenAI streams for their usage without the caller noticing (the ``stream_usage`` setting).

An OpenAI chat (or legacy completions) stream reports usage only if the request sets
``stream_options={"include_usage": True}``; the provider then adds ``"usage": null`` to every
chunk and one last chunk with no choices and the usage. With ``stream_usage`` on and the caller
having left ``include_usage`` unset, agentwatch sends the request with it set, reads the usage
chunk, and hands the caller exactly the chunks it would have had otherwise: the usage chunk is
not passed on and the other chunks forget the ``usage`` field was sent. Raw-response calls
(``with_raw_response``, ``with_streaming_response``) are left alone: their bytes reach the
caller unparsed, so they cannot be filtered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentwatch.capture.record import ClientDefaults
from agentwatch.payload import field

__all__ = ["USAGE_ON_REQUEST", "ask_for_usage", "usage_only"]

#: APIs whose streams report usage only when asked (``stream_options.include_usage``).
USAGE_ON_REQUEST = frozenset({"chat.completions", "completions"})
_RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"


def usage_only(chunk: Any) -> bool:
    """For a stream whose usage agentwatch asked for: True for the usage chunk (the caller would
    not have had it); for the others, forget that the provider sent ``"usage": null`` so that
    they are what they would have been (``to_dict()``, ``model_fields_set``)."""
    if field(chunk, "usage") is not None and not field(chunk, "choices"):
        return True
    if isinstance(chunk, dict):
        chunk.pop("usage", None)
    else:
        fields_set = getattr(chunk, "__pydantic_fields_set__", None)
        if fields_set is not None:
            fields_set.discard("usage")
    return False


def ask_for_usage(api: str, options: Any, defaults: ClientDefaults) -> Any:
    """``options`` with ``stream_options.include_usage`` added when the setting is on and the caller
    left it unset; None when nothing is to change. The caller's own dicts are never modified."""
    wanted = defaults.stream_usage
    body = options.json_data
    if wanted is None or api not in USAGE_ON_REQUEST or not isinstance(body, Mapping):
        return None
    stream_options = body.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, Mapping):
        return None
    if stream_options is not None and stream_options.get("include_usage") is not None:
        return None  # the caller chose
    headers = options.headers
    if isinstance(headers, Mapping) and _RAW_RESPONSE_HEADER in headers:
        return None  # raw responses: the caller reads the bytes, which cannot be filtered
    if not wanted():
        return None
    new_body = {**body, "stream_options": {**(stream_options or {}), "include_usage": True}}
    return options.model_copy(update={"json_data": new_body})
