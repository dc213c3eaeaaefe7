"""Processing: normalise a raw record into an event, then run the stages.

Order: normalise -> (tokens -> cost -> detectors -> risk) -> content policy. The stages in
parentheses plug in through the :class:`Stage` protocol.
"""

from __future__ import annotations

from agentwatch.pipeline.content import ContentPolicy
from agentwatch.pipeline.normalize import Normalizer
from agentwatch.pipeline.stage import Pipeline, Stage


def default_pipeline(*, capture_content: bool) -> Pipeline:
    return Pipeline(Normalizer(), [ContentPolicy(capture_content)])


__all__ = ["ContentPolicy", "Normalizer", "Pipeline", "Stage", "default_pipeline"]
