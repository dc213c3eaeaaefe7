"""The risk stage: one explainable score per event, 0-100, with its level and the reasons behind it.

Risk comes from *signals*: each names its points (0-100, how risky it is on its own) and a reason.
:class:`FindingSignals` turns the detectors' findings into signals; other sources (anomalies, a
user's history) plug in as more :class:`SignalSource` objects. Signals combine like independent
chances (``1 - Π(1 - p)``), so two medium signals make more than either and nothing exceeds 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from agentwatch.model import Finding, LLMCall, Risk, Severity

#: Points of a finding type at score 1.0, before its location is weighed.
WEIGHTS: dict[str, float] = {
    "private_key": 95, "openai_key": 90, "anthropic_key": 90, "aws_access_key": 90, "github_token": 90,
    "slack_token": 85, "stripe_key": 90, "google_api_key": 85, "jwt": 70, "generic_secret": 60,
    "us_ssn": 60, "credit_card": 60, "pesel": 55, "iban": 45, "nip": 25, "email": 20, "phone": 20,
    "ip_address": 10,
    "instruction_override": 70, "prompt_extraction": 65, "jailbreak": 70, "indirect_injection": 75,
    "obfuscation": 45, "classifier": 70,
}  # fmt: skip
#: Points of a type missing above, by kind; kinds not here (cost, usage) carry no risk.
KIND_WEIGHTS: dict[str, float] = {"secret": 70, "pii": 20, "injection": 60}
#: Where a finding was seen changes its weight: data leaving in a response counts more, the
#: developer's own system prompt less, instructions arriving in tool output more.
LOCATION_FACTORS: dict[tuple[str, str], float] = {
    ("pii", "response"): 1.25,
    ("secret", "response"): 1.1,
    ("pii", "system"): 0.5,
    ("secret", "system"): 0.8,
    ("injection", "system"): 0.5,
    ("injection", "tool_output"): 1.15,
}
LEVELS: tuple[tuple[int, Severity], ...] = (
    (80, Severity.CRITICAL),
    (50, Severity.HIGH),
    (25, Severity.MEDIUM),
    (0, Severity.LOW),
)


@dataclass(frozen=True, slots=True)
class Signal:
    points: float  # 0-100: the risk this signal carries on its own
    reason: str


class SignalSource(Protocol):
    def signals(self, event: LLMCall) -> Iterable[Signal]: ...


def level_of(score: int) -> Severity:
    return next(level for floor, level in LEVELS if score >= floor)


def finding_signals(findings: Iterable[Finding]) -> Iterator[Signal]:
    """One signal per (kind, type, location) of ``findings``; repeats raise it a little."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.kind, finding.type, finding.location), []).append(finding)
    for (kind, type_, location), found in groups.items():
        weight = WEIGHTS.get(type_, KIND_WEIGHTS[kind]) if kind in KIND_WEIGHTS else 0.0
        if not weight:
            continue
        best = max(f.score for f in found)
        p = min(1.0, weight * LOCATION_FACTORS.get((kind, location), 1.0) * best / 100)
        p = 1 - (1 - p) ** min(len(found), 3)
        count = f"{len(found)} x " if len(found) > 1 else ""
        yield Signal(100 * p, f"{count}{kind} {type_} in {location} (score {best:.2f})")


class FindingSignals:
    """The detectors' findings as risk signals."""

    def signals(self, event: LLMCall) -> Iterable[Signal]:
        return finding_signals(event.findings)


def combine(signals: Iterable[Signal]) -> Risk:
    ranked = sorted(signals, key=lambda s: -s.points)
    remaining = 1.0
    for signal in ranked:
        remaining *= 1 - min(100.0, max(0.0, signal.points)) / 100
    score = round(100 * (1 - remaining))
    return Risk(score=score, level=level_of(score), reasons=[f"{s.reason}: +{s.points:.0f}" for s in ranked])


class RiskStage:
    name = "risk"

    def __init__(self, sources: Sequence[SignalSource] = (FindingSignals(),)) -> None:
        self.sources = list(sources)

    def process(self, event: LLMCall) -> None:
        signals = [signal for source in self.sources for signal in source.signals(event)]
        event.risk = combine(signals) if signals else Risk()  # no signal: score 0, low, no reasons
