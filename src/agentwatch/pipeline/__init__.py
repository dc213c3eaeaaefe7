"""Processing: normalise a raw record into an event, then run the stages.

Order: normalise -> (tokens -> cost) -> detectors -> risk -> redaction -> content policy. The
stages in parentheses plug in through the :class:`Stage` protocol.
"""

from __future__ import annotations

from agentwatch.detectors.settings import DetectorSettings, RedactionSettings
from agentwatch.pipeline.content import ContentPolicy
from agentwatch.pipeline.detect import DetectorStage
from agentwatch.pipeline.normalize import Normalizer
from agentwatch.pipeline.redact import RedactionStage
from agentwatch.pipeline.risk import RiskStage
from agentwatch.pipeline.stage import Pipeline, Stage


def default_pipeline(
    *,
    capture_content: bool,
    user_id: str | None = None,
    agent: str | None = None,
    detectors: DetectorSettings | None = None,
    redaction: RedactionSettings | None = None,
) -> Pipeline:
    return Pipeline(
        Normalizer(user_id=user_id, agent=agent),
        [
            DetectorStage(detectors),
            RiskStage(),
            RedactionStage(redaction, capture_content=capture_content),
            ContentPolicy(capture_content),
        ],
    )


__all__ = [
    "ContentPolicy",
    "DetectorStage",
    "Normalizer",
    "Pipeline",
    "RedactionStage",
    "RiskStage",
    "Stage",
    "default_pipeline",
]
