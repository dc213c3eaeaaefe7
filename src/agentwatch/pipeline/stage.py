"""The stage protocol and the pipeline that runs stages in order.

A stage enriches or rewrites one :class:`LLMCall` in place: token estimation, cost, detectors,
risk and redaction are stages. Each stage is fenced off: if one raises, the failure is counted
against that stage, logged once, and the event continues through the others (a cost failure
never loses the token counts).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from agentwatch.capture.record import RawCall
from agentwatch.model import LLMCall

log = logging.getLogger(__name__)


@runtime_checkable
class Stage(Protocol):
    """One step of processing. ``name`` identifies it in counters and logs."""

    name: str

    def process(self, event: LLMCall) -> None: ...


class Pipeline:
    """normalise, then each stage in order."""

    def __init__(self, normalize: Callable[[RawCall], LLMCall], stages: Iterable[Stage] = ()) -> None:
        self.normalize = normalize
        self.stages = list(stages)
        self.failures: Counter[str] = Counter()

    def run_stages(self, event: LLMCall) -> LLMCall:
        for stage in self.stages:
            try:
                stage.process(event)
            except Exception:
                self.failures[stage.name] += 1
                if self.failures[stage.name] == 1:
                    log.exception("agentwatch: stage %r failed; the event goes on without it", stage.name)
        return event

    def __call__(self, raw: RawCall) -> LLMCall:
        return self.run_stages(self.normalize(raw))
