"""The detector protocol and the registry that runs every registered detector.

A detector reads one piece of text and returns what it found as :class:`Finding` objects, with
``location`` left at its default (the pipeline's detector stage sets it). Detectors come from
factories: callables returning detectors. The built-in families (``pii``, ``secrets``,
``injection``) are registered the same way a third-party plugin is: by a ``"module:callable"``
reference, or through the ``agentwatch.detectors`` entry-point group::

    # a plugin's pyproject.toml
    [project.entry-points."agentwatch.detectors"]
    mine = "my_package.detectors:detectors"     # def detectors() -> list[Detector]

A factory or detector that fails is logged once and skipped: a broken detector never breaks the
host application, and the others still run. A detector may also offer ``screen()``: the cues
without which it finds nothing; the registry then calls it only on texts that hold one
(:mod:`.prefilter`).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from agentwatch.detectors import prefilter
from agentwatch.detectors.recent import RecentScans, Scan, is_builtin
from agentwatch.model import Finding

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "agentwatch.detectors"

#: The built-in detector families, loaded like plugins.
BUILTIN_FACTORIES: tuple[str, ...] = (
    "agentwatch.detectors.pii:detectors",
    "agentwatch.detectors.secrets:detectors",
    "agentwatch.detectors.injection:detectors",
)


@runtime_checkable
class Detector(Protocol):
    name: str  # e.g. "pii.email", "secret.openai_key", "injection.heuristic", "injection.classifier"
    kind: str  # pii | secret | injection

    def scan(self, text: str) -> list[Finding]: ...  # location left at its default; the stage sets it


DetectorFactory = Callable[[], Iterable[Detector]]


def _resolve(reference: str) -> DetectorFactory:
    module_name, _, attribute = reference.partition(":")
    factory: DetectorFactory = getattr(importlib.import_module(module_name), attribute)
    return factory


class DetectorRegistry:
    """Detector factories, instantiated once on first use.

    ``factories`` are callables or ``"module:callable"`` references; ``plugins=True`` adds the
    factories of the ``agentwatch.detectors`` entry-point group.
    """

    def __init__(
        self, factories: Iterable[str | DetectorFactory] = BUILTIN_FACTORIES, *, plugins: bool = True
    ) -> None:
        self._factories: list[str | DetectorFactory] = list(factories)
        if plugins:
            self._factories.extend(ep.value for ep in entry_points(group=ENTRY_POINT_GROUP))
        self._detectors: list[Detector] | None = None
        self._prefilter: prefilter.Prefilter | None = None
        self._recent = RecentScans()
        self.failures: dict[str, int] = {}

    def register(self, factory: str | DetectorFactory) -> None:
        """Add a factory; the detectors are rebuilt on next use."""
        self._factories.append(factory)
        self._detectors = None

    @property
    def detectors(self) -> list[Detector]:
        if self._detectors is None:
            built = self._build()
            self._prefilter = prefilter.build(built)
            self._recent.clear()
            self._detectors = built
        return self._detectors

    def _build(self) -> list[Detector]:
        built: list[Detector] = []
        seen: set[str] = set()
        for factory in self._factories:
            label = factory if isinstance(factory, str) else getattr(factory, "__qualname__", repr(factory))
            try:
                made = list((_resolve(factory) if isinstance(factory, str) else factory)())
            except Exception:
                log.warning("agentwatch: detector factory %s failed; skipped", label, exc_info=True)
                continue
            for detector in made:
                if detector.name not in seen:  # a plugin listed twice runs once
                    seen.add(detector.name)
                    built.append(detector)
        return built

    def scan(
        self,
        text: str,
        *,
        only: Sequence[Detector] | None = None,
        strict: bool = False,
        remember: bool = False,
    ) -> list[Finding]:
        """Every finding of every detector (or of ``only``), sorted by start offset.

        A detector that fails is counted and logged and the others still run; ``strict`` re-raises
        instead (redaction: a text a detector could not read again must not be stored).
        ``remember`` keeps what the built-in detectors found, if anything, for a later scan of
        the same text (:mod:`.recent`): the detector stage's, read back by the redaction stage's."""
        everyone = self.detectors  # built first: the prefilter comes with them
        chosen: Sequence[Detector] = everyone if only is None else only
        earlier = self._recent.get(text)
        screen, opened = self._prefilter, None
        if screen is not None:
            opened = earlier.opened if earlier is not None else screen.opened(text)
            chosen = screen.plan(chosen, opened)
        findings: list[Finding] = []
        scan = Scan(opened) if remember and earlier is None else None  # (what is kept stays kept)
        for detector in chosen:
            if earlier is not None and (known := earlier.findings(detector)) is not None:
                findings.extend(known)
                continue
            try:
                found = detector.scan(text)
                findings.extend(found)  # inside: a plugin's scan may return anything
            except Exception:
                count = self.failures.get(detector.name, 0) + 1
                self.failures[detector.name] = count
                if count == 1:
                    log.exception("agentwatch: detector %s failed; the others still run", detector.name)
                if strict:
                    raise
                continue
            if scan is not None and is_builtin(detector):
                scan.add(detector, found)
        if scan is not None and findings:
            self._recent.put(text, scan, list(chosen))
        return _best_per_span(findings) if findings else findings  # most texts: nothing found


def _best_per_span(findings: list[Finding]) -> list[Finding]:
    """Sorted by start; of PII findings on exactly the same span (a phone-shaped PESEL), the best score."""
    best: dict[tuple[int | None, int | None], Finding] = {}
    kept: list[Finding] = []
    for finding in findings:
        if finding.kind != "pii":
            kept.append(finding)
            continue
        key = (finding.start, finding.end)
        if key not in best or finding.score > best[key].score:  # ties: the first registered wins
            best[key] = finding
    kept.extend(best.values())
    return sorted(kept, key=lambda f: (-1 if f.start is None else f.start, f.end or 0))


@cache
def default_registry() -> DetectorRegistry:
    """The process-wide registry of built-in and plugin detectors."""
    return DetectorRegistry()


def scan(text: str) -> list[Finding]:
    """Run every registered detector over ``text``; findings sorted by where they start."""
    return default_registry().scan(text)
