"""The redaction stage: PII and secrets in the content that will be stored are masked, hashed or dropped.

It runs after the detectors and the risk stage and before the content policy. Per finding type
(settings ``[agentwatch.redaction]``): ``mask`` replaces the value with ``[EMAIL]``, ``hash`` with
``[EMAIL:<12 hex of HMAC-SHA256>]`` (equal values stay joinable, the value is not kept), ``drop``
replaces the whole message with ``[dropped: email]``. Secrets are redacted even when redaction is
turned off, and string values of ``metadata`` and error messages are always cleared of secrets:
API keys are never stored, whatever the settings.

Only the detectors that found something in this event run again (to get offsets in each text), so
an event without findings costs nothing here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from agentwatch.detectors.base import Detector, DetectorRegistry, default_registry
from agentwatch.detectors.settings import RedactionMode, RedactionSettings
from agentwatch.model import Finding, LLMCall

REDACTED_KINDS = frozenset({"pii", "secret"})


class Redactor:
    """Rewrites one text given the findings in it."""

    def __init__(self, settings: RedactionSettings) -> None:
        self.settings = settings

    def applies(self, finding: Finding) -> bool:
        return finding.kind == "secret" or (self.settings.enabled and finding.kind in REDACTED_KINDS)

    def mode(self, finding: Finding) -> RedactionMode:
        if finding.kind == "secret" and not self.settings.enabled:
            return "mask"  # secrets are never stored, redaction on or off
        return self.settings.mode(finding.kind, finding.type)

    def replacement(self, finding: Finding, value: str) -> str:
        label = finding.type.upper()
        if self.mode(finding) == "hash":
            digest = hmac.new(
                self.settings.hash_key.encode(), value.encode("utf-8", "replace"), hashlib.sha256
            )
            return f"[{label}:{digest.hexdigest()[:12]}]"
        return f"[{label}]"

    def apply(self, text: str, findings: Sequence[Finding]) -> str:
        findings = [f for f in findings if self.applies(f)]
        dropped = sorted({f.type for f in findings if self.mode(f) == "drop"})
        if dropped:
            return f"[dropped: {', '.join(dropped)}]"
        out: list[str] = []
        pos = 0
        for finding in sorted(findings, key=lambda f: (f.start or 0, -(f.end or 0))):
            start, end = finding.start or 0, finding.end or 0
            if start < pos:  # inside a span already replaced
                continue
            out += (text[pos:start], self.replacement(finding, text[start:end]))
            pos = end
        out.append(text[pos:])
        return "".join(out)


class RedactionStage:
    name = "redaction"

    def __init__(
        self,
        settings: RedactionSettings | None = None,
        *,
        capture_content: bool,
        registry: DetectorRegistry | None = None,
    ) -> None:
        self.settings = settings or RedactionSettings()
        self.capture_content = capture_content
        self.registry = registry or default_registry()
        self.redactor = Redactor(self.settings)

    def _redact(self, text: str, detectors: Sequence[Detector]) -> str:
        findings = self.registry.scan(text, only=detectors)
        return self.redactor.apply(text, findings) if findings else text

    def process(self, event: LLMCall) -> None:
        if event.metadata or (event.error is not None and event.error.message):
            secrets = [d for d in self.registry.detectors if d.kind == "secret"]
            for key, value in event.metadata.items():
                if isinstance(value, str):
                    event.metadata[key] = self._redact(value, secrets)
            if event.error is not None and event.error.message:
                event.error.message = self._redact(event.error.message, secrets)
        if not self.capture_content or not event.findings:
            return  # the content policy removes the content itself; or nothing to redact
        fired = {f.detector for f in event.findings if self.redactor.applies(f)}
        detectors = [d for d in self.registry.detectors if d.name in fired]
        if not detectors:
            return
        for message in event.input_messages or ():
            content: Any = message.get("content")
            if isinstance(content, str) and content:
                message["content"] = self._redact(content, detectors)
        if event.output_text:
            event.output_text = self._redact(event.output_text, detectors)
        for call in event.tool_calls:
            if call.arguments:
                call.arguments = self._redact(call.arguments, detectors)
