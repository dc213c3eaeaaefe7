"""The risk score: findings become signals, signals combine, the level and reasons explain the score."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import pytest

from agentwatch.model import Finding, LLMCall, Severity
from agentwatch.pipeline.risk import RiskStage, Signal, combine, finding_signals, level_of
from tests.cli.conftest import make_call


def finding(kind: str, type_: str, location: str = "prompt", score: float = 1.0) -> Finding:
    return Finding(kind=kind, type=type_, detector=f"{kind}.{type_}", location=location, score=score)


def risk_of(*findings: Finding) -> tuple[int, Severity, list[str]]:
    event = make_call(1, ago=timedelta(0), findings=list(findings))
    RiskStage().process(event)
    return event.risk.score, event.risk.level, event.risk.reasons


@pytest.mark.parametrize(
    ("findings", "score", "level"),
    [
        ([], 0, Severity.LOW),
        ([finding("pii", "ip_address")], 10, Severity.LOW),
        ([finding("pii", "email")], 20, Severity.LOW),
        ([finding("pii", "email", "response")], 25, Severity.MEDIUM),  # leaving in a reply counts more
        ([finding("pii", "email", "system")], 10, Severity.LOW),  # the developer's own prompt counts less
        ([finding("pii", "us_ssn")], 60, Severity.HIGH),
        ([finding("pii", "us_ssn", score=0.5)], 30, Severity.MEDIUM),
        ([finding("secret", "openai_key")], 90, Severity.CRITICAL),
        ([finding("pii", "email"), finding("pii", "phone")], 36, Severity.MEDIUM),  # 1 - 0.8 * 0.8
        ([finding("pii", "email"), finding("pii", "email")], 36, Severity.MEDIUM),  # repeats add up too
        ([finding("cost", "unpriced_model"), finding("usage", "stream_usage_missing")], 0, Severity.LOW),
        ([finding("pii", "brand_new_type")], 20, Severity.LOW),  # unknown types weigh as their kind
    ],
)
def test_score_and_level(findings: list[Finding], score: int, level: Severity) -> None:
    assert risk_of(*findings)[:2] == (score, level)


def test_reasons_name_each_signal_strongest_first() -> None:
    _, _, reasons = risk_of(
        finding("pii", "email", "response", 0.9),
        finding("secret", "aws_access_key", "tool_arguments", 0.9),
        finding("pii", "email", "response", 0.8),
    )
    assert reasons == [
        "secret aws_access_key in tool_arguments (score 0.90): +81",
        "2 x pii email in response (score 0.90): +40",
    ]


def test_more_signal_sources_plug_in() -> None:
    class Anomalies:
        def signals(self, event: LLMCall) -> Iterable[Signal]:
            return [Signal(50, "latency spike (anomaly)")]

    from agentwatch.pipeline.risk import FindingSignals

    event = make_call(1, ago=timedelta(0), findings=[finding("pii", "email")])
    RiskStage([FindingSignals(), Anomalies()]).process(event)
    assert (event.risk.score, event.risk.level) == (60, Severity.HIGH)
    assert event.risk.reasons == ["latency spike (anomaly): +50", "pii email in prompt (score 1.00): +20"]


def test_combining_never_exceeds_100() -> None:
    risk = combine(
        finding_signals([finding("secret", "private_key")] * 5 + [finding("injection", "jailbreak")])
    )
    assert risk.score == 100 and risk.level is Severity.CRITICAL
    assert [level_of(s) for s in (0, 24, 25, 49, 50, 79, 80, 100)] == [
        Severity.LOW, Severity.LOW, Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH, Severity.HIGH,
        Severity.CRITICAL, Severity.CRITICAL,
    ]  # fmt: skip
