"""The detector stage: every registered detector over every text of a call, each finding with its location.

Locations: ``system`` (system and developer messages), ``prompt`` (user and assistant turns),
``tool_output`` (tool-role messages: what a tool returned to the model), ``response`` (the model's
reply) and ``tool_arguments`` (arguments of the tool calls the model asked for). A response that
repeats a stretch of the system prompt is reported as an ``injection`` / ``prompt_extraction`` finding
(the system prompt leaked). Offsets are into the text of that one message or field, and ``index``
says which: the message's position in ``input_messages``, or the tool call's in ``tool_calls``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from agentwatch.detectors.base import Detector, DetectorRegistry, default_registry
from agentwatch.detectors.recent import is_builtin
from agentwatch.detectors.settings import DetectorSettings
from agentwatch.model import Finding, LLMCall
from agentwatch.pipeline.normalize import _json, _text

SYSTEM_ROLES = frozenset({"system", "developer"})
TOOL_ROLES = frozenset({"tool", "function", "function_call_output", "tool_result", "ipython"})

#: A response repeating this many characters of the system prompt verbatim leaks it.
LEAK_WINDOW = 48
#: The findings of this many recently scanned texts (of at most ``RECENT_MAX_CHARS``) are remembered.
RECENT_TEXTS = 64
RECENT_MAX_CHARS = 16_000


def location_of(role: str) -> str:
    if role in SYSTEM_ROLES:
        return "system"
    return "tool_output" if role in TOOL_ROLES else "prompt"


def content_text(content: Any) -> str:
    """A message's content as text: the SDK capture gives a string, but an event sent to
    ``agentwatch serve`` as JSON may hold a list of parts or any other JSON value."""
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list | tuple) and all(
        isinstance(p, str) or (isinstance(p, dict) and isinstance(p.get("text"), str)) for p in content
    ):
        return _text(content)  # text parts: their text
    return _json(content)  # anything else whole: nothing in it escapes the detectors


def texts_of(event: LLMCall) -> Iterator[tuple[str, int | None, str]]:
    """(location, index, text) for every piece of text the event carries (``index``: the message's
    position in ``input_messages`` or the tool call's in ``tool_calls``; None for the response)."""
    for index, message in enumerate(event.input_messages or ()):
        content = content_text(message.get("content"))
        if content:
            yield location_of(str(message.get("role", "user"))), index, content
    if event.output_text:
        yield "response", None, event.output_text
    for index, call in enumerate(event.tool_calls):
        if call.arguments:
            yield "tool_arguments", index, call.arguments


def system_prompt_leak(system: str, response: str) -> Finding | None:
    """A finding when ``response`` repeats stretches of ``system`` verbatim, scored by how much."""
    if len(system) < LEAK_WINDOW or len(response) < LEAK_WINDOW:
        return None
    step = LEAK_WINDOW // 2
    windows = range(0, len(system) - LEAK_WINDOW + 1, step)
    spans = [
        (at, at + LEAK_WINDOW)
        for at in (response.find(system[i : i + LEAK_WINDOW]) for i in windows)
        if at >= 0
    ]
    if not spans:
        return None
    share = len(spans) / len(windows)
    return Finding(
        kind="injection",
        type="prompt_extraction",
        detector="leak.system_prompt",
        location="response",
        start=min(s for s, _ in spans),
        end=max(e for _, e in spans),
        score=round(min(1.0, 0.7 + 0.3 * share), 2),
    )


class DetectorStage:
    name = "detectors"

    def __init__(
        self, settings: DetectorSettings | None = None, registry: DetectorRegistry | None = None
    ) -> None:
        self.settings = settings or DetectorSettings()
        self.registry = registry or default_registry()
        self._detectors: list[Detector] | None = None
        self._cacheable = False
        self._recent: OrderedDict[str, tuple[Finding, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def detectors(self) -> list[Detector]:
        if self._detectors is None:
            chosen = self.registry.detectors
            threshold = self.settings.injection_threshold
            if threshold is not None:
                from agentwatch.detectors import injection

                configured = injection.detectors(injection_threshold=threshold)
                chosen = [d for d in chosen if not d.name.startswith("injection.")] + list(configured)
            self._detectors = [d for d in chosen if self.settings.wants(d.name)]
            self._cacheable = all(map(is_builtin, self._detectors))
        return self._detectors

    def _scan(self, text: str) -> list[Finding]:
        """The findings in ``text``; those of a text seen lately are remembered, when every detector is
        a built-in one (a pure function of the text): a system prompt comes with every call, and a
        chat resends its history."""
        detectors = self.detectors
        if not self._cacheable or len(text) > RECENT_MAX_CHARS:
            return self.registry.scan(text, only=detectors, remember=True)
        with self._lock:  # stages may be shared by threads (the server's ingestion, the worker)
            recent = self._recent.get(text)
            if recent is not None:
                self._recent.move_to_end(text)
        if recent is not None:
            return [finding.model_copy() for finding in recent]
        failures = sum(self.registry.failures.values())
        found = self.registry.scan(text, only=detectors, remember=True)  # read back by redaction
        if sum(self.registry.failures.values()) == failures:  # a detector that failed may not next time
            remembered = tuple(finding.model_copy() for finding in found)
            with self._lock:
                self._recent[text] = remembered
                if len(self._recent) > RECENT_TEXTS:
                    self._recent.popitem(last=False)
        return found

    def process(self, event: LLMCall) -> None:
        if not self.settings.enabled:
            return
        limit = self.settings.max_chars
        texts = list(texts_of(event))
        found: list[Finding] = []
        for location, index, text in texts:
            for finding in self._scan(text[:limit]):
                finding.location = location
                finding.index = index
                found.append(finding)
        system = "\n".join(text for location, _, text in texts if location == "system")
        if system and event.output_text and self.settings.wants("leak.system_prompt"):
            leak = system_prompt_leak(system[:limit], event.output_text[:limit])
            if leak is not None:
                found.append(leak)
        event.findings.extend(found)
