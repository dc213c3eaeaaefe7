"""The fingerprint stage: keyed hashes of what a call asked and of the tools it was told to call.

It runs before the content policy strips the text, so ``repeated_calls`` can spot an agent
sending the same request (or calling the same tool with the same arguments) again and again
without any prompt being stored. The key is random per process: a hash cannot be matched
against guessed prompts, and means nothing outside the process that made it.
"""

from __future__ import annotations

import hashlib
import json
import os

from agentwatch.model import LLMCall


class CallFingerprints:
    name = "fingerprint"

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or os.urandom(16)

    def _hash(self, value: object) -> str:
        text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.blake2b(text.encode("utf-8", "replace"), key=self._key, digest_size=8).hexdigest()

    def process(self, event: LLMCall) -> None:
        model = event.request_model or event.response_model
        if event.input_messages:
            event.prompt_fingerprint = self._hash([model, event.input_messages])
        if event.tool_calls:
            event.tool_fingerprint = self._hash(sorted((c.name, c.arguments) for c in event.tool_calls))
