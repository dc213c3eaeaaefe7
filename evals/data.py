"""Reading the shared data sets (``../shared/datasets`` or ``$AGENTWATCH_DATASETS``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve()
#: ``../shared/datasets`` beside the checkout (or beside the folder of worktrees), or $AGENTWATCH_DATASETS.
DATASETS = Path(
    os.environ.get("AGENTWATCH_DATASETS")
    or next(
        (p / "shared" / "datasets" for p in _HERE.parents[2:4] if (p / "shared" / "datasets").is_dir()), ""
    )
)


def presidio_research() -> list[dict[str, Any]]:
    """Both presidio-research synthetic sets, pooled: ``full_text`` and ``spans``."""
    folder = DATASETS / "pii" / "presidio_research"
    rows: list[dict[str, Any]] = []
    for name in ("synth_dataset_v2.json", "generated_large.json"):
        rows.extend(json.loads((folder / name).read_text(encoding="utf-8")))
    return rows


def benign_prompts() -> list[str]:
    """Benign chat prompts: Dolly instructions (with their input) and the WildGuard benign set."""
    folder = DATASETS / "injection"
    prompts = []
    with (folder / "promptshield" / "dolly_benign.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            prompts.append("\n\n".join(p for p in (row["instruction"], row.get("input") or "") if p))
    wildguard = json.loads((folder / "notinject_piguard" / "wildguard.json").read_text(encoding="utf-8"))
    prompts.extend(row["prompt"] for row in wildguard)
    return prompts


def wnut17_sentences() -> list[str]:
    """WNUT17's sentences (tweets, Reddit, YouTube comments), tokens joined by spaces."""
    folder = DATASETS / "pii" / "wnut17"
    sentences: list[str] = []
    for name in ("wnut17train.conll", "emerging.dev.conll", "emerging.test.annotated"):
        tokens: list[str] = []
        for line in [*(folder / name).read_text(encoding="utf-8").splitlines(), ""]:
            if line.strip():
                tokens.append(line.split("\t")[0])
            elif tokens:
                sentences.append(" ".join(tokens))
                tokens = []
    return sentences


def chunks_of(texts: list[str], size: int = 500) -> list[str]:
    """Texts joined (or cut) into pieces of about ``size`` characters, for throughput runs."""
    out, current = [], ""
    for text in texts:
        current = f"{current}\n{text}" if current else text
        while len(current) >= size:
            out.append(current[:size])
            current = current[size:]
    return out
