"""The cheap pre-filters never hide a match: wherever a detector's pattern finds a candidate, its
trigger lets the text through (the filters only skip texts the pattern would find nothing in); and
the fast paths (case-sensitive word search of lowercased ASCII, skipped context searches, the generic
secret's pattern tried only at its keywords) answer as the slow ones do."""

from __future__ import annotations

import random
import re

import pytest

from agentwatch.detectors import default_registry
from agentwatch.detectors.injection.heuristics import _BASE64, _may_hold_base64
from agentwatch.detectors.injection.normalize import normalize
from agentwatch.detectors.pattern import (
    _NUMBER_RUN,
    MIN_SCORE,
    Context,
    PatternDetector,
    Words,
    number_windows,
)
from agentwatch.detectors.secrets import generic
from agentwatch.detectors.secrets.generic import GenericSecretDetector
from tests.detectors import test_pii, test_secrets

TRICKY = [
    "IBAN \u212aL12 1090 1014 0000 0712 1981 2874 and 12345678",  # Kelvin sign: [a-z] ignoring case
    "IBAN PL\u0666\u0661 1090 1014 0000 0712 1981 2874 and 12345678",  # Arabic-Indic digits
    "IBAN P\u013161 1090 1014 0000 0712 1981 2874 and 12345678",  # dotless i
    "konto: PL61109010140000071219812874, żółw 1234567",
    "tel. ０１２３４５６７８９ or 012 345 678",  # fullwidth digits
    "ghp_" + "a" * 36,
    "sk-" + "B" * 40,
    "AIza" + "x" * 35,
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
    "aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ=",
    "----- ....... (((((( 1-2-3-4-5-6-7",
]
TEXTS = [case[1] for case in test_pii.CASES] + [case[1] for case in test_secrets.CASES] + TRICKY
PATTERN_DETECTORS = [d for d in default_registry().detectors if isinstance(d, PatternDetector)]


@pytest.mark.parametrize("text", TEXTS)
def test_a_trigger_lets_through_every_text_the_pattern_matches(text: str) -> None:
    for detector in PATTERN_DETECTORS:
        if any(detector.pattern.finditer(text)) and (not detector.numeric or number_windows(text)):
            assert detector.triggered(text), (detector.name, text)


@pytest.mark.parametrize("text", TEXTS)
def test_number_windows_and_base64_screens_agree_with_their_patterns(text: str) -> None:
    number_windows.cache_clear()
    assert bool(number_windows(text)) == bool(_NUMBER_RUN.search(text))
    if _BASE64.search(text) and max(map(len, normalize(text).text.split()), default=0) >= 24:
        assert _may_hold_base64(text, normalize(text))


def test_a_replaced_trigger_gets_its_own_screen() -> None:
    from agentwatch.detectors.secrets.keys import OpenAIKeyDetector

    detector = OpenAIKeyDetector()
    assert detector.triggered("key sk-abc") and not detector.triggered("key sk_abc")  # screened on "-"
    detector.trigger = "sk_"
    assert detector.triggered("key sk_abc") and not detector.triggered("key sk-abc")


def _contexts() -> list[Context]:
    return [d.context for d in PATTERN_DETECTORS if d.context is not None]


def _words_of(context: Context) -> list[Words]:
    return [w for w in (context.positive, context.negative) if w is not None]


def _near_texts(words: Words, count: int, seed: int) -> list[str]:
    """Short texts around the words' own items: in any case, glued to letters or not, ASCII or not."""
    rng = random.Random(seed)
    items = re.sub(r"\\.|[?()]", "", words.pattern.pattern[len(r"(?<!\w)(?:") : -len(r")(?!\w)")]).split("|")
    pieces = [*items, " ", "\n", "x", "_", "1", ".", "-", "#", "\u212a", "\u017f", "\u0131", "é", "ß"]
    out = []
    for _ in range(count):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 8)))
        out.append("".join(c.upper() if rng.random() < 0.3 else c for c in text))
    return out


def test_words_search_ascii_text_as_the_case_ignoring_pattern_does() -> None:
    for i, context in enumerate(_contexts()):
        for words in _words_of(context):
            assert words.lowered is not None  # every built-in list takes the fast path
            for text in _near_texts(words, 400, seed=i):
                assert words.search(text) == (words.pattern.search(text) is not None), text


def _eager_adjust(context: Context, text: str, start: int, end: int, score: float) -> float:
    """Context.adjust as it was: both searches, always."""
    after = text[end : end + context.after].partition("\n")[0]
    near = text[max(0, start - context.before) : start] + " \n " + after
    if context.negative is not None and context.negative.pattern.search(near):
        score -= context.penalty
    if context.positive is not None and context.positive.pattern.search(near):
        score += context.boost
    return min(1.0, max(0.0, score))


def test_adjust_skips_only_searches_that_cannot_change_the_outcome() -> None:
    rng = random.Random(5)
    for i, context in enumerate(_contexts()):
        near = [t for w in _words_of(context) for t in _near_texts(w, 60, seed=100 + i)]
        for _ in range(600):
            text = rng.choice(near) + " 1234567 " + rng.choice(near)
            start = text.index("1234567")
            base = rng.choice([-0.1, 0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.55, 0.6, 0.75, 0.85, 0.9, 0.95])
            eager = _eager_adjust(context, text, start, start + 7, base)
            lazy = context.adjust(text, start, start + 7, base)
            assert lazy == (eager if eager >= MIN_SCORE else None), (text, base)


def test_generic_secret_tries_ascii_text_only_where_a_match_can_start() -> None:
    detector = GenericSecretDetector()
    rng = random.Random(9)
    pieces = [
        *generic._STARTS, "word", "PASSWORD", "Api-Key", "_", "x", " ", "=", ":", " is ", "=>", '"', "'",
        "Bearer ", "s", ".db", "-", "Tr0ub4dor&3", "9f8A7b6C5d4E3f2", "\n", "(", "author", "keys", "has lo",
    ]  # fmt: skip
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30)))
        lowered = text.lower()
        for pos, endpos in [(0, len(text)), (rng.randrange(len(text) + 1), len(text))]:
            fast = [
                m.span(1) for m in generic._matches_at_words(detector.pattern, text, lowered, pos, endpos)
            ]
            assert fast == [m.span(1) for m in detector.pattern.finditer(text, pos, endpos)], (text, pos)


def test_adjust_asks_for_a_validation_only_when_it_changes_the_outcome() -> None:
    rng = random.Random(6)
    bases = [-0.1, 0.0, 0.2, 0.25, 0.3, 0.35, 0.5, 0.55, 0.6, 0.85, 0.95]
    for i, context in enumerate(_contexts()):
        near = [t for w in _words_of(context) for t in _near_texts(w, 60, seed=200 + i)]
        for _ in range(600):
            text = rng.choice(near) + " 1234567 " + rng.choice(near)
            start = text.index("1234567")
            valid, invalid, verdict = rng.choice(bases), rng.choice(bases), rng.random() < 0.5
            asked: list[bool] = []

            def first(verdict: bool = verdict, asked: list[bool] = asked) -> bool:
                asked.append(verdict)
                return verdict

            if_valid, if_not = (_eager_adjust(context, text, start, start + 7, b) for b in (valid, invalid))
            expected = if_valid if verdict else if_not
            lazy = context.adjust(text, start, start + 7, valid, invalid, first)
            assert lazy == (expected if expected >= MIN_SCORE else None), (text, valid, invalid)
            if not asked:  # not asked: the answer could not matter
                assert if_valid == if_not or max(if_valid, if_not) < MIN_SCORE
