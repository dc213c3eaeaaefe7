"""Building an :class:`Anomaly` with its evidence: scope, fingerprint, severity and action."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from agentwatch.analysis.catalogue import ANOMALY_TYPES, fingerprint
from agentwatch.model import Anomaly, LLMCall


def model_of(event: LLMCall) -> str:
    return event.request_model or event.response_model or ""


def event_scope(event: LLMCall) -> dict[str, str]:
    """provider, model, user and agent of an event (those it has)."""
    scope = {"provider": event.provider}
    for key, value in (("model", model_of(event)), ("user", event.user_id), ("agent", event.agent)):
        if value:
            scope[key] = value
    return scope


def model_scope(event: LLMCall) -> dict[str, str]:
    scope = {"provider": event.provider}
    if model := model_of(event):
        scope["model"] = model
    return scope


class Evidence:
    """Makes anomalies; ids and the detection time come from injectable factories."""

    def __init__(
        self,
        id_factory: Callable[[], str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._new_id = id_factory or (lambda: os.urandom(12).hex())
        self._now = clock or (lambda: datetime.now(UTC))

    def anomaly(
        self,
        type_: str,
        description: str,
        *,
        scope: dict[str, str],
        event_ids: list[str],
        observed: float | None = None,
        threshold: float | None = None,
        baseline: float | None = None,
        window: str = "event",
        key: tuple[str, ...] = (),
    ) -> Anomaly:
        kind = ANOMALY_TYPES[type_]
        return Anomaly(
            anomaly_id=self._new_id(),
            type=type_,
            severity=kind.severity,
            description=description,
            detected_at=self._now(),
            observed=observed,
            threshold=threshold,
            baseline=baseline,
            window=window,
            scope=scope,
            event_ids=event_ids,
            recommended_action=kind.action,
            fingerprint=fingerprint(type_, scope, *key),
        )
