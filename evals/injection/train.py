"""Train the injection classifier and choose the detection threshold; write the shipped weights.

    python -m evals.injection.train            # rewrites src/agentwatch/detectors/injection/weights.json.gz
    python -m evals.injection.train --check    # trains, compares with the shipped file, writes nothing

Deterministic: same data, same code -> the same file byte for byte (weights rounded, JSON keys
sorted, gzip without a timestamp). The split is documented in :mod:`evals.injection.data`.

Cross-fitting over the training and validation splits together (the held-out sets play no part):
each text's fold is ``zlib.crc32(text) % FOLDS``; for each fold a model trained on the other folds
scores it, so every text gets a score from a model that never saw it ("out of fold"). The
threshold is the lowest score at which at most 1% of those out-of-fold benign scores are flagged
by the two detectors together (heuristics and classifier). The shipped model is then trained on
all the texts, plus scikit-learn's docstrings as benign technical text (``sklearn_docs``: in the
training folds, never in the threshold). Before, the classifier learnt from the training split only
and the validation split was only scored: training on both doubled the data (evals/README.md).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentwatch.detectors.injection.classifier import WEIGHTS_FILE, InjectionClassifier, Weights, features
from agentwatch.detectors.injection.heuristics import InjectionHeuristics
from agentwatch.detectors.injection.normalize import normalize
from evals.injection.data import DEFAULT_ROOT, Sample, crc, sklearn_docs, train_and_validation

OUTPUT = Path(__file__).resolve().parents[2] / "src" / "agentwatch" / "detectors" / "injection" / WEIGHTS_FILE
# Inverse L2 strength and minimum document frequency: out-of-fold TPR at 1% FPR of C 0.1, 0.3, 1, 3
# and min_df 1, 2 were all within 0.02 of each other (0.772-0.794); 0.3 and 2 were kept.
C = 0.3
MIN_DF = 2  # a feature must occur in two training texts
FOLDS = 5
TARGET_FPR = 0.01


def _analyze(text: str) -> list[str]:
    return sorted(features(normalize(text).tokens))


def _fit(train: Sequence[Sample]) -> tuple[float, dict[str, float]]:
    from sklearn.feature_extraction.text import CountVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    vectorizer = CountVectorizer(analyzer=_analyze, min_df=MIN_DF)
    x = vectorizer.fit_transform([s.text for s in train])
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=0)
    model.fit(x, [s.label for s in train])
    names = vectorizer.get_feature_names_out()
    weights = {
        str(n): round(float(w), 4) for n, w in zip(names, model.coef_[0], strict=True) if abs(w) >= 5e-4
    }
    return round(float(model.intercept_[0]), 4), weights


def choose_threshold(scores: Sequence[float], labels: Sequence[int], target_fpr: float = TARGET_FPR) -> float:
    """The lowest threshold at which at most ``target_fpr`` of the benign scores reach it."""
    benign = sorted((s for s, y in zip(scores, labels, strict=True) if y == 0), reverse=True)
    allowed = int(target_fpr * len(benign))  # benign texts allowed at or above the threshold
    # scores strictly above the (allowed+1)-th highest benign score are safe
    bound = benign[allowed] if allowed < len(benign) else 0.0
    above = sorted({s for s in scores if s > bound})
    return math.ceil((above[0] if above else bound + 1e-4) * 1e4) / 1e4


def out_of_fold_scores(samples: Sequence[Sample], extra: Sequence[Sample] = ()) -> list[float]:
    """Each of ``samples``' combined score (heuristics, and a classifier trained on the other folds of
    ``samples`` and ``extra``)."""
    heuristics = InjectionHeuristics(1.0)
    scores = [heuristics.score(s.text) for s in samples]
    folds = [crc(s.text) % FOLDS for s in samples]
    for fold in range(FOLDS):
        rest = [s for s, f in zip(samples, folds, strict=True) if f != fold]
        bias, weights = _fit(rest + [s for s in extra if crc(s.text) % FOLDS != fold])
        classifier = InjectionClassifier(1.0, Weights(bias, weights, 0.5, {}))
        for i, f in enumerate(folds):
            if f == fold:
                scores[i] = max(scores[i], classifier.score(samples[i].text))
    return scores


def build(root: Path = DEFAULT_ROOT) -> bytes:
    """Choose the threshold out of fold, train on everything, return the file's bytes."""
    train, valid = train_and_validation(root)
    samples, extra = train + valid, sklearn_docs()
    threshold = choose_threshold(out_of_fold_scores(samples, extra), [s.label for s in samples])
    bias, weights = _fit(samples + extra)
    data: dict[str, Any] = {
        "bias": bias,
        "threshold": threshold,
        "weights": weights,
        "meta": {
            "features": "distinct word unigrams and bigrams of the normalised text (agentwatch features())",
            "model": f"logistic regression, L2, C={C}, class_weight=balanced, min_df={MIN_DF}",
            "train": _counts(samples + extra),
            "validation": {
                "scheme": f"{FOLDS}-fold cross-fitting over the training texts (fold = crc32(text) % {FOLDS})",
                "from_training_split": len(train),
                "from_validation_split": len(valid),
            },
            "threshold_rule": (
                f"lowest combined score (heuristics, out-of-fold classifier) with benign FPR <= {TARGET_FPR} "
                "over the dataset texts (sklearn_docs excluded)"
            ),
        },
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def _counts(samples: Sequence[Sample]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in samples:
        key = f"{s.source}:{s.label}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_ROOT, help="the injection datasets folder")
    parser.add_argument("--check", action="store_true", help="compare with the shipped file, write nothing")
    args = parser.parse_args(argv)
    blob = build(args.datasets)
    digest = hashlib.sha256(blob).hexdigest()
    if args.check:
        same = OUTPUT.read_bytes() == blob
        print(f"{'matches' if same else 'DIFFERS FROM'} the shipped {OUTPUT.name} (sha256 {digest})")
        return 0 if same else 1
    OUTPUT.write_bytes(blob)
    meta = json.loads(gzip.decompress(blob))
    print(f"wrote {OUTPUT} ({len(blob)} bytes, {len(meta['weights'])} features, sha256 {digest})")
    print(f"threshold chosen out of fold: {meta['threshold']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
