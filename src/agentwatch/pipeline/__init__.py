"""Processing: normalise a raw record into an event, then run the stages.

Order: normalise -> tokens -> cost -> detectors -> risk -> call fingerprints -> redaction -> content
policy. Each is a :class:`Stage`.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentwatch.analysis.fingerprint import CallFingerprints
from agentwatch.detectors.settings import DetectorSettings, RedactionSettings
from agentwatch.pipeline.content import ContentPolicy
from agentwatch.pipeline.cost import CostStage
from agentwatch.pipeline.detect import DetectorStage
from agentwatch.pipeline.hashkey import HashKey
from agentwatch.pipeline.normalize import Normalizer
from agentwatch.pipeline.redact import RedactionStage
from agentwatch.pipeline.risk import RiskStage
from agentwatch.pipeline.stage import Pipeline, Stage
from agentwatch.pipeline.tokens import TokensStage
from agentwatch.pricing import CustomPrice


def default_pipeline(
    *,
    capture_content: bool,
    user_id: str | None = None,
    agent: str | None = None,
    prices: Mapping[str, CustomPrice] | None = None,
    detectors: DetectorSettings | None = None,
    redaction: RedactionSettings | None = None,
    hash_key: HashKey | None = None,
) -> Pipeline:
    return Pipeline(
        Normalizer(user_id=user_id, agent=agent),
        [
            TokensStage(),
            CostStage(prices=prices),
            DetectorStage(detectors),
            RiskStage(),
            CallFingerprints(),  # before redaction: a keyed hash of what was sent, never stored
            RedactionStage(
                redaction, capture_content=capture_content, detectors=detectors, hash_key=hash_key
            ),
            ContentPolicy(capture_content),
        ],
    )


__all__ = [
    "ContentPolicy",
    "CostStage",
    "DetectorStage",
    "Normalizer",
    "Pipeline",
    "RedactionStage",
    "RiskStage",
    "Stage",
    "TokensStage",
    "default_pipeline",
]
