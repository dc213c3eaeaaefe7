"""Processing: normalise a raw record into an event, then run the stages.

Order: normalise -> (tokens -> cost -> detectors -> risk) -> content policy. The stages in
parentheses plug in through the :class:`Stage` protocol.
"""

from __future__ import annotations

from agentwatch.analysis.fingerprint import CallFingerprints
from agentwatch.pipeline.content import ContentPolicy
from agentwatch.pipeline.normalize import Normalizer
from agentwatch.pipeline.stage import Pipeline, Stage


def default_pipeline(
    *, capture_content: bool, user_id: str | None = None, agent: str | None = None
) -> Pipeline:
    return Pipeline(
        Normalizer(user_id=user_id, agent=agent), [CallFingerprints(), ContentPolicy(capture_content)]
    )


__all__ = ["ContentPolicy", "Normalizer", "Pipeline", "Stage", "default_pipeline"]
