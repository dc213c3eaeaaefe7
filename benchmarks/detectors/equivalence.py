"""Equivalence guard for detector optimisations: a digest of every detector's output on every text.

Run it once on the old code (``--write``) and again on the new (``--check``): the findings of each
detector (type, kind, detector, start, end, score rounded to 1e-9), the injection scores, the
registry's merged findings and the detector/risk/redaction stages on an event must be identical,
text by text. Texts: the PII sets (presidio-research, WNUT17), the injection sets (training,
validation and held-out splits of ``evals/injection/data.py``, ``python_docs``, ``sklearn_docs``),
the benign pools (Dolly, WildGuard), the 500-character throughput chunks of ``evals/speed.py``, and
disguised variants of attack texts (zero-width characters, look-alike letters, fullwidth and
mathematical letters, spaced letters, base64 and Unicode-tag payloads), which exercise the slow
normalisation paths that plain text skips.

    python -m benchmarks.detectors.equivalence --write bench-results/equivalence.json
    python -m benchmarks.detectors.equivalence --check bench-results/equivalence.json
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from evals.data import benign_prompts, chunks_of, presidio_research, wnut17_sentences
from evals.injection.data import held_out, python_docs, sklearn_docs, train_and_validation

from agentwatch.detectors import default_registry
from agentwatch.detectors.injection import InjectionClassifier, InjectionHeuristics
from agentwatch.model import Finding, LLMCall
from agentwatch.pipeline import DetectorStage, RedactionStage, RiskStage

_ZW = "\u200b"
_CYRILLIC = str.maketrans("aeopcxi", "аеорсхі")


def _disguised(text: str) -> Iterator[str]:
    """Variants of ``text`` in each disguise the injection normaliser undoes."""
    crc = zlib.crc32(text.encode("utf-8", "surrogatepass"))
    yield _ZW.join(text[i : i + 3] for i in range(0, len(text), 3))  # zero-width every 3 chars
    yield text.translate(_CYRILLIC)  # look-alike letters
    yield "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)  # fullwidth
    yield "".join(chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in text)  # math bold
    head, _, tail = text.partition(" ")
    yield " ".join(head) + " " + tail  # the first word spaced out
    yield "Please decode: " + base64.b64encode(text.encode()).decode() + " thanks"
    yield "Hello" + "".join(chr(0xE0000 + ord(c)) for c in text if ord(c) < 128)  # tag characters
    yield text.replace("'", "’").replace('"', "“").replace("-", "—") + f" café {crc % 97}"


def corpora() -> dict[str, list[str]]:
    train, validation = train_and_validation()
    sets: dict[str, list[str]] = {
        "presidio_research": [r["full_text"] for r in presidio_research()],
        "wnut17": wnut17_sentences(),
        "benign_prompts": benign_prompts(),
        "injection_train": [s.text for s in train],
        "injection_validation": [s.text for s in validation],
        **{f"held_out_{name}": [s.text for s in samples] for name, samples in held_out().items()},
        "python_docs": [s.text for s in python_docs()],
        "sklearn_docs": [s.text for s in sklearn_docs()],
    }
    sets["speed_chat_chunks"] = chunks_of(benign_prompts()[:2500])
    sets["speed_pii_chunks"] = chunks_of(sets["presidio_research"][:1500])
    attacks = [s.text for s in train + validation if s.label == 1][:400]
    sets["disguised_attacks"] = [v for text in attacks for v in _disguised(text[:400])]
    return sets


def _finding(f: Finding) -> list[object]:
    score = round(f.score, 9)
    return [f.kind, f.type, f.detector, f.location, f.start, f.end, score]


def _event_digest(text: str, stages: list[object]) -> list[object]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    half = len(text) // 2
    event = LLMCall(
        event_id="e", trace_id="t", span_id="s", provider="openai", operation="chat",
        start_time=now, end_time=now, latency_ms=1.0,
        input_messages=[
            {"role": "system", "content": "You are a helpful assistant. Never reveal the code 7731."},
            {"role": "user", "content": text[:half]},
        ],
        output_text=text[half:],
        metadata={"note": text[:80]},
    )  # fmt: skip
    for stage in stages:
        stage.process(event)  # type: ignore[attr-defined]
    risk = event.risk
    return [
        [_finding(f) for f in event.findings],
        None if risk is None else [risk.score, str(risk.level), risk.reasons],
        event.input_messages,
        event.output_text,
        event.metadata,
    ]


def digests(sets: dict[str, list[str]]) -> dict[str, list[str]]:
    registry = default_registry()
    detectors = registry.detectors
    heuristics = next(d for d in detectors if isinstance(d, InjectionHeuristics))
    classifier = next(d for d in detectors if isinstance(d, InjectionClassifier))
    stages: list[object] = [DetectorStage(), RiskStage(), RedactionStage(capture_content=True)]
    out: dict[str, list[str]] = {}
    for name, texts in sets.items():
        rows = []
        for text in texts:
            event = _event_digest(text, stages)
            if _event_digest(text, stages) != event:  # the second time, the stage remembers the texts
                raise AssertionError(f"{name}: a repeated event gave other results: {text[:80]!r}")
            record = [
                [[d.name, [_finding(f) for f in d.scan(text)]] for d in detectors],
                [_finding(f) for f in registry.scan(text)],
                round(heuristics.score(text), 9),
                round(classifier.score(text), 9),
                event,
            ]
            blob = json.dumps(record, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
            rows.append(hashlib.sha256(blob).hexdigest()[:16])
        out[name] = rows
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, help="store the digests here")
    action.add_argument("--check", type=Path, help="compare with the digests stored here")
    args = parser.parse_args(argv)
    sets = corpora()
    current = digests(sets)
    total = sum(map(len, current.values()))
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(json.dumps(current))
        print(f"wrote digests of {total:,} texts in {len(current)} sets to {args.write}")
        return 0
    stored: dict[str, list[str]] = json.loads(args.check.read_text())
    differing = 0
    for name, rows in current.items():
        old = stored.get(name, [])
        bad = [i for i, (a, b) in enumerate(zip(rows, old, strict=False)) if a != b]
        if len(rows) != len(old):
            print(f"{name}: {len(old)} texts stored, {len(rows)} now")
            differing += 1
        if bad:
            differing += len(bad)
            print(f"{name}: {len(bad)} of {len(rows)} texts differ, e.g. {bad[:10]}")
            for i in bad[:3]:
                print("   ", repr(sets[name][i][:200]))
    print(f"{total:,} texts in {len(current)} sets compared: {differing} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
