"""The redaction stage: PII and secrets in the content that will be stored are masked, hashed or dropped.

It runs after the detectors and the risk stage and before the content policy. Per finding type
(settings ``[agentwatch.redaction]``): ``mask`` replaces the value with ``[EMAIL]``, ``hash`` with
``[EMAIL:<12 hex of HMAC-SHA256>]`` (equal values stay joinable, the value is not kept; the key:
:mod:`agentwatch.pipeline.hashkey`), ``drop``
replaces the whole message with ``[dropped: email]``. Secrets are redacted even when redaction is
turned off (or the detectors are), and the strings in ``metadata``, request parameters and error
messages are always cleared of secrets:
API keys are never stored, whatever the settings.

Only the detectors that found something in this event run again (to get offsets in each text), so
an event without findings costs nothing here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any

from agentwatch.detectors.base import Detector, DetectorRegistry, default_registry
from agentwatch.detectors.settings import DetectorSettings, RedactionMode, RedactionSettings
from agentwatch.model import Finding, LLMCall
from agentwatch.pipeline.detect import content_text, texts_of
from agentwatch.pipeline.hashkey import HashKey

REDACTED_KINDS = frozenset({"pii", "secret"})


class Redactor:
    """Rewrites one text given the findings in it. ``hash_key`` keys the hash mode when the settings
    give no ``hash_key`` (see :mod:`agentwatch.pipeline.hashkey`)."""

    def __init__(self, settings: RedactionSettings, hash_key: HashKey | None = None) -> None:
        self.settings = settings
        given = settings.hash_key.encode()
        self._key: Callable[[], bytes] = (lambda: given) if given else (hash_key or HashKey(None))

    def applies(self, finding: Finding) -> bool:
        return finding.kind == "secret" or (self.settings.enabled and finding.kind in REDACTED_KINDS)

    def mode(self, finding: Finding) -> RedactionMode:
        if finding.kind == "secret" and not self.settings.enabled:
            return "mask"  # secrets are never stored, redaction on or off
        return self.settings.mode(finding.kind, finding.type)

    def replacement(self, finding: Finding, value: str) -> str:
        label = finding.type.upper()
        if self.mode(finding) == "hash":
            digest = hmac.new(self._key(), value.encode("utf-8", "replace"), hashlib.sha256)
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
            if start < pos:  # inside a span already replaced: what runs past it goes with it
                pos = max(pos, end)
                continue
            out += (text[pos:start], self.replacement(finding, text[start:end]))
            pos = end
        out.append(text[pos:])
        return "".join(out)


#: No built-in secret is shorter (``pwd=`` and eight characters): shorter request parameters
#: (``low``, ``auto``, a tool's name) are not scanned.
SHORTEST_SECRET = 12


class RedactionStage:
    name = "redaction"

    def __init__(
        self,
        settings: RedactionSettings | None = None,
        *,
        capture_content: bool,
        registry: DetectorRegistry | None = None,
        detectors: DetectorSettings | None = None,
        hash_key: HashKey | None = None,
    ) -> None:
        self.settings = settings or RedactionSettings()
        self.capture_content = capture_content
        self.registry = registry or default_registry()
        self.redactor = Redactor(self.settings, hash_key)
        #: what the detector stage scanned: secrets it could not have found are looked for here
        self.detector_settings = detectors or DetectorSettings()
        # (the registry's detectors, their secret detectors, those the detector stage does not run)
        self._secrets: tuple[object, list[Detector], list[Detector]] = (None, [], [])

    def secret_detectors(self) -> tuple[list[Detector], list[Detector]]:
        """Every secret detector, and those that the detector stage's settings turn off."""
        built = self.registry.detectors
        if self._secrets[0] is not built:
            secrets = [d for d in built if d.kind == "secret"]
            scanned = self.detector_settings
            unscanned = [d for d in secrets if not (scanned.enabled and scanned.wants(d.name))]
            self._secrets = (built, secrets, unscanned)
        return self._secrets[1], self._secrets[2]

    def _redact(self, text: str, detectors: Sequence[Detector]) -> str:
        findings = self.registry.scan(text, only=detectors, strict=True)
        return self.redactor.apply(text, findings) if findings else text

    def _clear_secrets(self, value: Any, secrets: Sequence[Detector], shortest: int = 1) -> Any:
        """``value`` with the secrets in every string it holds (nested mappings and lists too) masked."""
        if isinstance(value, str):
            return self._redact(value, secrets) if len(value) >= shortest else value
        if isinstance(value, dict):
            return {key: self._clear_secrets(item, secrets, shortest) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._clear_secrets(item, secrets, shortest) for item in value]
        return value

    def process(self, event: LLMCall) -> None:
        try:
            self._process(event)
        except Exception:
            # fail closed: what could not be redacted is not stored (the pipeline counts the failure)
            event.input_messages = None
            event.output_text = None
            event.metadata = {}
            event.request_parameters = {}
            for call in event.tool_calls:
                call.arguments = ""
            if event.error is not None:
                event.error.message = ""
            raise

    def _process(self, event: LLMCall) -> None:
        secrets, unscanned = self.secret_detectors()
        if event.metadata:
            event.metadata = self._clear_secrets(event.metadata, secrets)
        if event.request_parameters:
            event.request_parameters = self._clear_secrets(event.request_parameters, secrets, SHORTEST_SECRET)
        if event.error is not None and event.error.message:
            event.error.message = self._redact(event.error.message, secrets)
        if not self.capture_content:
            return  # the content policy removes the content itself
        limit = self.detector_settings.max_chars
        fired = {f.detector for f in event.findings if self.redactor.applies(f)}
        # content not read as a string, and text past max_chars, were not all scanned by the detectors
        unread = any(not isinstance(m.get("content"), str | None) for m in event.input_messages or ())
        long = any(len(text) > limit for _, _, text in texts_of(event))
        if not fired and not unscanned and not unread and not long:
            return  # nothing to redact
        built = self.registry.detectors
        # secrets the detector stage did not look for (turned off) are looked for here: never stored
        detectors = [d for d in built if d.name in fired or d in unscanned]
        # past max_chars the detector stage did not look at all: every secret detector runs there
        beyond = [d for d in built if d.name in fired or d.kind == "secret"] if long else detectors

        def redact(text: str) -> str:
            chosen = beyond if len(text) > limit else detectors
            return self._redact(text, chosen) if chosen else text

        for message in event.input_messages or ():
            content: Any = message.get("content")
            if content is not None and not isinstance(content, str):  # as the detectors read it
                content = message["content"] = content_text(content)
            if content:
                message["content"] = redact(content)
        if event.output_text:
            event.output_text = redact(event.output_text)
        for call in event.tool_calls:
            if call.arguments:
                call.arguments = redact(call.arguments)
