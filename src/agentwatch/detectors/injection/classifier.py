"""A small logistic-regression classifier over word unigrams and bigrams of the normalised text.

The weights ship inside the package (``weights.json.gz``, made by ``evals/injection/train.py``
from the labelled data; nothing is downloaded). Inference is a dictionary lookup per distinct
feature and one sigmoid: plain Python, no numpy.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources import files
from itertools import pairwise, repeat
from typing import Any

from agentwatch.detectors.injection.normalize import normalize
from agentwatch.model import Finding

WEIGHTS_FILE = "weights.json.gz"


def features(tokens: list[str]) -> set[str]:
    """The distinct features of a normalised text's words: the words and adjacent word pairs."""
    grams = set(tokens)
    grams.update(map(" ".join, pairwise(tokens)))
    return grams


@dataclass(frozen=True)
class Weights:
    bias: float
    weights: dict[str, float]
    threshold: float  # chosen by the training script on out-of-fold scores (never the test sets)
    meta: dict[str, Any]

    @cached_property
    def tables(self) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
        """The weights of words, and of word pairs keyed by ``(first, second)``: the pairs of a text
        as tuples cost less to make and look up than as joined strings."""
        words: dict[str, float] = {}
        pairs: dict[tuple[str, str], float] = {}
        for feature, weight in self.weights.items():
            first, space, second = feature.partition(" ")
            if space and " " not in second:
                pairs[first, second] = weight
            else:
                words[feature] = weight
        return words, pairs

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Weights:
        return cls(float(data["bias"]), dict(data["weights"]), float(data["threshold"]), dict(data["meta"]))


@cache
def shipped_weights() -> Weights:
    """The weights shipped with the package (read once)."""
    raw = files(__package__).joinpath(WEIGHTS_FILE).read_bytes()
    return Weights.from_json(json.loads(gzip.decompress(raw)))


class InjectionClassifier:
    """Detector: one ``classifier`` finding when the probability reaches ``threshold``."""

    name = "injection.classifier"
    kind = "injection"

    def __init__(self, threshold: float, weights: Weights | None = None) -> None:
        self.threshold = threshold
        self.model = weights or shipped_weights()

    def score(self, text: str) -> float:
        """Probability in [0, 1] that ``text`` is an injection or jailbreak attempt."""
        words, pairs = self.model.tables
        norm = normalize(text)
        # the weights of features(): the distinct words (a set shared with the heuristics) and the
        # distinct word pairs that have one (most have none)
        z = (
            self.model.bias
            + sum(map(words.get, norm.vocabulary, repeat(0.0)))
            + sum(map(pairs.__getitem__, set(filter(pairs.__contains__, pairwise(norm.tokens)))))
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def scan(self, text: str) -> list[Finding]:
        if not isinstance(text, str) or not text:
            return []
        score = self.score(text)
        if score < self.threshold:
            return []
        return [Finding(kind="injection", type="classifier", detector=self.name, score=round(score, 4))]
