"""Processing: normalise a raw record into an event, then run the stages.

Order: normalise -> tokens -> cost -> (detectors -> risk) -> content policy. The stages in
parentheses plug in through the :class:`Stage` protocol.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentwatch.analysis.fingerprint import CallFingerprints
from agentwatch.pipeline.content import ContentPolicy
from agentwatch.pipeline.cost import CostStage
from agentwatch.pipeline.normalize import Normalizer
from agentwatch.pipeline.stage import Pipeline, Stage
from agentwatch.pipeline.tokens import TokensStage
from agentwatch.pricing import CustomPrice


def default_pipeline(
    *,
    capture_content: bool,
    user_id: str | None = None,
    agent: str | None = None,
    prices: Mapping[str, CustomPrice] | None = None,
) -> Pipeline:
    return Pipeline(
        Normalizer(user_id=user_id, agent=agent),
        [TokensStage(), CostStage(prices=prices), CallFingerprints(), ContentPolicy(capture_content)],
    )


__all__ = ["ContentPolicy", "CostStage", "Normalizer", "Pipeline", "Stage", "TokensStage", "default_pipeline"]
