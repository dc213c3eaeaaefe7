"""Email addresses: a permissive pattern, then the address's structure is checked."""

from __future__ import annotations

import re

from agentwatch.detectors.pattern import Context, PatternDetector, words

#: File names like ``icon@2x.png`` look like addresses.
_FILE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "pdf", "js", "css"})
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)


class EmailDetector(PatternDetector):
    kind = "pii"
    type = "email"
    trigger = "@"
    pattern = re.compile(
        r"(?<![\w.%+-])[\w.%+-]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,24}(?![\w-])", re.IGNORECASE
    )
    context = Context(negative=words("example", "placeholder"), penalty=0.1)

    def check(self, value: str) -> float | None:
        local, _, domain = value.rpartition("@")
        if local.startswith(".") or local.endswith(".") or ".." in local:
            return None
        labels = domain.split(".")
        if labels[-1].lower() in _FILE_SUFFIXES or not all(_LABEL.fullmatch(label) for label in labels):
            return None
        return 0.9
