"""What the built-in detectors found in the last texts scanned, for a second look at the same text.

The redaction stage asks the registry again for the findings of the detectors that fired in an
event, text by text, to get their offsets: the detector stage has just scanned those texts. A scan
with ``remember=True`` (the detector stage's) keeps each built-in detector's findings on a text
in which something was found; a later scan of that text reads them back instead of running those
detectors again. Built-in detectors are pure functions of the text, so the findings are the same;
plugins are always run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from agentwatch.model import Finding

#: Texts remembered, and the longest remembered.
RECENT_TEXTS = 16
RECENT_MAX_CHARS = 16_000
_BUILTIN = "agentwatch.detectors."


def is_builtin(detector: object) -> bool:
    """Whether ``detector`` is one of agentwatch's own (a pure function of the text it reads)."""
    return type(detector).__module__.startswith(_BUILTIN)


@dataclass(slots=True)
class Scan:
    """One text's scan: the prefilter's answer (None: no prefilter) and each detector's findings."""

    opened: int | None
    found: dict[int, tuple[Finding, ...]] = field(default_factory=dict)  # id(detector) -> findings

    def add(self, detector: object, findings: list[Finding]) -> None:
        """Keep a copy of ``findings`` (the caller goes on to change its own, their location)."""
        self.found[id(detector)] = tuple(finding.model_copy() for finding in findings)

    def findings(self, detector: object) -> list[Finding] | None:
        """Copies of what ``detector`` found, or None when it did not run in this scan."""
        kept = self.found.get(id(detector))
        return None if kept is None else [finding.model_copy() for finding in kept]


class RecentScans:
    """The scans of the last :data:`RECENT_TEXTS` texts, each held with the detectors it names."""

    def __init__(self) -> None:
        self._scans: OrderedDict[str, tuple[Scan, list[object]]] = OrderedDict()
        self._lock = threading.Lock()  # the registry is shared by threads

    def get(self, text: str) -> Scan | None:
        kept = self._scans.get(text) if self._scans else None
        return None if kept is None else kept[0]

    def put(self, text: str, scan: Scan, detectors: list[object]) -> None:
        """Remember ``scan`` of ``text``; ``detectors`` keeps alive those whose ids it holds."""
        if len(text) > RECENT_MAX_CHARS:
            return
        with self._lock:
            self._scans[text] = (scan, detectors)
            self._scans.move_to_end(text)
            if len(self._scans) > RECENT_TEXTS:
                self._scans.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._scans.clear()
