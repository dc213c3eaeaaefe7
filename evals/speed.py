"""Throughput on ~500-character texts: agentwatch's detectors beside Presidio's regex-only analyzer.

Two pools of 500-character texts, cut from the shared data: benign chat prompts (Dolly, WildGuard:
typical traffic, few numbers) and presidio-research's texts (dense with PII). Each pass runs every
text once; the figure is the median of the passes, and agentwatch and Presidio alternate passes in
the same process, so machine load hits both alike; times are this process's CPU time (time.process_time),
so waiting for a shared core is not counted. One thread. Presidio runs its pattern
recognizers with the ``no_op`` NLP engine (no spaCy pipeline), once restricted to the six entity
types evaluated here and once with all its default recognizers.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from agentwatch.detectors import Detector, default_registry
from agentwatch.model import LLMCall
from agentwatch.pipeline import DetectorStage, RedactionStage, RiskStage
from evals.data import benign_prompts, chunks_of, presidio_research
from evals.pii import TYPES, presidio_analyzer

SYSTEM = "You are a helpful assistant for Acme Corp. Answer briefly and politely; never share internal data."


def _pass_us(texts: Sequence[str], run: Callable[[str], object]) -> float:
    started = time.process_time()  # CPU time: a pass pre-empted by other processes is not charged for it
    for text in texts:
        run(text)
    return (time.process_time() - started) / len(texts) * 1e6


def _families(*kinds: str) -> Callable[[str], object]:
    registry = default_registry()
    only: list[Detector] = [d for d in registry.detectors if not kinds or d.kind in kinds]
    return lambda text: registry.scan(text, only=only)


def _event_runner() -> Callable[[str], object]:
    """The detector, risk and redaction stages on an event: system prompt, a prompt, a reply."""
    stages = [DetectorStage(), RiskStage(), RedactionStage(capture_content=True)]
    now = datetime.now(UTC)

    def run(text: str) -> None:
        half = len(text) // 2
        event = LLMCall(
            event_id="e", trace_id="t", span_id="s", provider="openai", operation="chat",
            start_time=now, end_time=now, latency_ms=1.0,
            input_messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": text[:half]}],
            output_text=text[half:],
        )  # fmt: skip
        for stage in stages:
            stage.process(event)

    return run


def report(*, rounds: int = 15, **_: object) -> str:
    pools = {
        "chat": chunks_of(benign_prompts()[:2500])[:300],
        "pii-dense": chunks_of([r["full_text"] for r in presidio_research()[:1500]])[:300],
    }
    presidio_6, presidio_all = presidio_analyzer("no_op"), presidio_analyzer("no_op")
    entities = list(TYPES.values())
    runners: dict[str, Callable[[str], object]] = {
        "agentwatch, all detectors": _families(),
        "  pii": _families("pii"),
        "  secret": _families("secret"),
        "  pii + secret": _families("pii", "secret"),
        "  injection": _families("injection"),
        "agentwatch, stages on an event*": _event_runner(),
        "Presidio regex-only, 6 types": lambda t: presidio_6.analyze(t, language="en", entities=entities),
        "Presidio regex-only, all recognizers": lambda t: presidio_all.analyze(t, language="en"),
    }
    for pool in pools.values():  # warm up: lazy imports, compiled patterns, phonenumbers metadata
        for run in runners.values():
            _pass_us(pool[:20], run)
    samples: dict[tuple[str, str], list[float]] = {(r, p): [] for r in runners for p in pools}
    for _ in range(rounds):
        for pool_name, pool in pools.items():
            for name, run in runners.items():
                samples[name, pool_name].append(_pass_us(pool, run))
    median = {key: statistics.median(values) for key, values in samples.items()}
    lines = [
        f"Throughput, 500-character texts ({', '.join(f'{p}: {len(t)}' for p, t in pools.items())}), "
        f"median of {rounds} passes, CPU time, one thread",
        "",
        f"{'':<40}" + "".join(f"{p + ' us/text':>18}{'docs/s':>10}" for p in pools),
    ]
    for name in runners:
        cells = "".join(f"{median[name, p]:>18,.0f}{1e6 / median[name, p]:>10,.0f}" for p in pools)
        lines.append(f"{name:<40}{cells}")
    for ours in ("agentwatch, all detectors", "  pii + secret"):
        for baseline in ("Presidio regex-only, 6 types", "Presidio regex-only, all recognizers"):
            ratios = ", ".join(f"{p} {median[baseline, p] / median[ours, p]:.1f}x" for p in pools)
            lines.append(f"{ours.strip()} vs {baseline}: {ratios}")
    lines.append(
        "* detector + risk + redaction stages on one event: a 100-char system prompt, the text's first half "
        "as the prompt, its second half as the reply"
    )
    return "\n".join(lines)
