"""A small logistic-regression classifier over word unigrams and bigrams of the normalised text.

The weights ship inside the package (``weights.json.gz``, made by ``evals/injection/train.py``
from the labelled data; nothing is downloaded). Inference is a table lookup per distinct feature
and one sigmoid: in C when the compiled core is there (:mod:`.speedups`), else in plain Python (the
reference); no numpy.
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

from agentwatch.detectors.injection import speedups
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

    @cached_property
    def lexicon(self) -> speedups.Lexicon | None:
        """:attr:`tables` for the compiled core (None without it)."""
        return speedups.lexicon(*self.tables)

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

    def __init__(self, threshold: float, weights: Weights | None = None, *, compiled: bool = True) -> None:
        """``compiled=False``: the pure-Python code even when the compiled core is there."""
        self.threshold = threshold
        self.model = weights or shipped_weights()
        self._lexicon = self.model.lexicon if compiled else None

    def score(self, text: str) -> float:
        """Probability in [0, 1] that ``text`` is an injection or jailbreak attempt."""
        norm = normalize(text)
        if self._lexicon is not None:
            word_sum, pair_sum = self._lexicon.weigh(norm.word_index)
            z = self.model.bias + word_sum + pair_sum
        else:
            # the weights of features(): the distinct words (a set shared with the heuristics) and
            # the distinct word pairs that have one (most have none)
            words, pairs = self.model.tables
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
