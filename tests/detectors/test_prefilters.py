"""The cheap pre-filters never hide a match: wherever a detector's pattern finds a candidate, its
trigger lets the text through (the filters only skip texts the pattern would find nothing in)."""

from __future__ import annotations

import pytest

from agentwatch.detectors import default_registry
from agentwatch.detectors.injection.heuristics import _BASE64, _may_hold_base64
from agentwatch.detectors.injection.normalize import normalize
from agentwatch.detectors.pattern import _NUMBER_RUN, PatternDetector, number_windows
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
