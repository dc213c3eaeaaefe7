"""The registry's prefilter: a detector it skips on a text would have found nothing there.

Checked per detector (every detector that finds something in a text must be among those the
prefilter lets run on it) and whole (the registry's findings equal those of every detector run
directly, merged the same way), on the detectors' own cases, on random texts made of the pieces
that matter (digits, separators, keywords in any case, the characters Unicode folds oddly), and on
the shared data sets.
"""

from __future__ import annotations

import os
import random
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from agentwatch.detectors import Detector, DetectorRegistry, prefilter
from agentwatch.detectors.base import _best_per_span
from agentwatch.detectors.pattern import PatternDetector
from agentwatch.detectors.prefilter import Prefilter, Screen, _Known
from agentwatch.detectors.secrets import generic
from agentwatch.model import Finding
from tests.detectors import test_pii, test_prefilters, test_secrets

REGISTRY = DetectorRegistry(
    ["agentwatch.detectors.pii:detectors", "agentwatch.detectors.secrets:detectors"], plugins=False
)
DETECTORS = REGISTRY.detectors
PREFILTER = prefilter.build(DETECTORS)

# (detector, a text it finds something in) for those whose cues the PII and secret cases miss
EXTRA = [
    ("pii.ipv6", "ping ::1 or fe80::1ff:fe23:4567:890a now"),
    ("pii.ipv6", "host 2001:0db8:0000:0000:0000:ff00:0042:8329"),
    ("pii.ipv4", "from 10.0.0.1"),
    ("pii.phone", "call (415)\u00a0867-5309"),  # a no-break space: not ASCII
    ("pii.us_ssn", "SSN 536-22-147\u0665"),  # an Arabic-Indic digit is a digit to the pattern
    ("secret.generic_secret", "PASSWORD = 'Tr0ub4dor&3xyz'"),
    ("secret.generic_secret", "has\u0141o: Zaq12wsx!Cde3"),
    ("secret.generic_secret", "api_\u212aey: 9f8A7b6C5d4E3f2a"),  # the Kelvin sign lowercases to k
]
CASE_TEXTS = [c[1] for c in test_pii.CASES] + [c[1] for c in test_secrets.CASES] + [e[1] for e in EXTRA]
CASE_TEXTS += test_prefilters.TRICKY


def direct(text: str, detectors: list[Detector]) -> list[Finding]:
    """Every detector run on ``text``, merged as the registry merges: what the prefilter must not change."""
    return _best_per_span([finding for detector in detectors for finding in detector.scan(text)])


def assert_screens_hold(text: str) -> None:
    assert PREFILTER is not None
    chosen = PREFILTER.plan(DETECTORS, PREFILTER.opened(text))
    for detector in DETECTORS:
        if detector not in chosen:
            assert detector.scan(text) == [], (detector.name, text)
    assert REGISTRY.scan(text) == direct(text, DETECTORS), text


def test_hyperscan_is_there() -> None:
    """Installed with agentwatch (``pyproject.toml``): without it every test here would pass trivially."""
    assert PREFILTER is not None
    assert isinstance(REGISTRY._prefilter, Prefilter)


@pytest.mark.parametrize("text", CASE_TEXTS)
def test_every_detector_that_finds_something_is_let_through(text: str) -> None:
    assert_screens_hold(text)


@pytest.mark.parametrize(("name", "text"), EXTRA)
def test_extra_cases_find_what_they_are_for(name: str, text: str) -> None:
    assert any(f.detector == name for f in REGISTRY.scan(text)), (name, text)


def test_a_plain_text_reaches_no_pii_or_secret_detector() -> None:
    assert PREFILTER is not None
    text = "Summarise this article about the Olympics in 300 words, please."
    assert PREFILTER.plan(DETECTORS, PREFILTER.opened(text)) == []


#: The pieces random texts are made of: what the cues, patterns and case folding look at.
PIECES = [
    *"0123456789", *" ().-+/_:=@#%'\"\n", "00", "+48 ", "PL", "DE89", "GB", "ext", "x", "::", "a:b", "fe80",
    "1.2.3.4", "2024-11-27", "sk-", "sk-ant-api03-", "ghp_", "xoxb-", "AKIA", "AIza", "eyJ", "_live_",
    "whsec_", "PRIVATE KEY", "-----BEGIN ", "pass", "PaSsWoRd", "pwd", "SECRET", "tOkEn", "key", "Auth",
    "credentials", "hasło", "HASLO", "api_key", "client-secret", " is ", "Bearer ", "phone", "card",
    "ssn", "iban", "pesel", "NIP", "order", "\u212a", "\u0130", "\u0131", "\u017f", "\u0141", "\u00a0",
    "\uff10", "\u0663", "\u2028", "é", "word", "Hello", "abcdef", "Z9xQ", "Tr0ub4dor&3",
]  # fmt: skip


def random_texts(count: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    positives = [c[1] for c in test_pii.CASES + test_secrets.CASES if c[2]]
    for _ in range(count):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 40)))
        if rng.random() < 0.3:  # a real positive amid the noise
            text = text[: len(text) // 2] + rng.choice(positives) + text[len(text) // 2 :]
        yield text


def test_random_texts() -> None:
    for text in random_texts(3000, seed=7):
        assert_screens_hold(text)


def _shared_texts() -> list[str]:
    from evals.data import DATASETS, benign_prompts, chunks_of, presidio_research, wnut17_sentences

    if not (DATASETS / "pii").is_dir():
        message = f"shared data sets not found at {DATASETS} (set AGENTWATCH_DATASETS)"
        if os.environ.get("AGENTWATCH_REQUIRE_DATASETS"):
            pytest.fail(message)
        pytest.skip(message)
    presidio = [row["full_text"] for row in presidio_research()]
    prompts = benign_prompts()
    return presidio + wnut17_sentences() + prompts + chunks_of(prompts[:2500]) + chunks_of(presidio[:1500])


def test_shared_data_sets() -> None:
    """Property-style: over every PII and benign text of the shared data, skipping changes nothing."""
    texts = _shared_texts()
    assert len(texts) > 10_000
    for text in texts:
        assert_screens_hold(text)


def test_unscreened_detectors_run_on_every_text() -> None:
    @dataclass  # eq without frozen: not hashable, which a plugin's detector need not be
    class Everything:
        name: str = "custom.everything"
        kind: str = "tone"

        def scan(self, text: str) -> list[Finding]:
            return [Finding(kind=self.kind, type="any", detector=self.name, start=0, end=len(text))]

    class Widened(PatternDetector):  # a plugin widening triggered(): its trigger is no screen
        kind, type = "pii", "widened"
        trigger = "@"
        pattern = __import__("re").compile(r"\bhello\b")

        def triggered(self, text: str) -> bool:
            return True

        def check(self, value: str) -> float | None:
            return 0.9

    registry = DetectorRegistry(
        ["agentwatch.detectors.pii:detectors", lambda: [Everything(), Widened()]], plugins=False
    )
    found = registry.scan("hello there")
    assert [(f.detector, f.start) for f in found] == [("pii.widened", 0), ("custom.everything", 0)]
    assert Widened().screen() is None
    assert [f.detector for f in registry.scan("hi", only=[Everything()])] == ["custom.everything"]


def test_without_hyperscan_every_detector_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # import fails
    registry = DetectorRegistry(["agentwatch.detectors.pii:detectors"], plugins=False)
    assert prefilter.build(registry.detectors) is None
    text = "Call me at +48 601 234 567 or mail jan@example.pl"
    assert [f.type for f in registry.scan(text)] == ["phone", "email"]


def test_a_failing_screen_leaves_every_detector_running(caplog: pytest.LogCaptureFixture) -> None:
    class Faulty:
        name, kind = "custom.faulty", "pii"

        def screen(self) -> Screen:
            raise RuntimeError("bug in a plugin")

        def scan(self, text: str) -> list[Finding]:
            return []

    registry = DetectorRegistry(["agentwatch.detectors.pii:detectors", lambda: [Faulty()]], plugins=False)
    assert [f.type for f in registry.scan("mail jan@example.pl")] == ["email"]
    assert registry._prefilter is None
    assert "prefilter could not be built" in caplog.text


def test_a_failing_scan_runs_every_detector(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("bug in the match handler")

    monkeypatch.setattr(prefilter, "_record", broken)
    registry = DetectorRegistry(["agentwatch.detectors.pii:detectors"], plugins=False)
    assert [f.type for f in registry.scan("mail jan@example.pl")] == ["email"]
    assert "prefilter failed" in caplog.text


def test_threads_each_get_their_own_scratch_space() -> None:
    texts = list(random_texts(300, seed=11))
    expected = [REGISTRY.scan(text) for text in texts]
    results: list[bool] = []

    def work() -> None:
        results.append(all(REGISTRY.scan(t) == e for t, e in zip(texts, expected, strict=True)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 4


def test_generic_secret_screen_covers_every_way_to_lowercase_into_a_keyword() -> None:
    """``text.lower()`` holds a keyword only if the text holds it (ASCII letters in either case), or a
    character the screen lists: checked over every code point."""
    letters = set("".join(generic._KEYWORDS))
    listed = set(generic._SCREEN.literals)
    for code in range(0x80, sys.maxunicode + 1):
        char = chr(code)
        lowered = char.lower()
        if char in letters or not (set(lowered) & letters or any(c.isascii() for c in lowered)):
            continue
        assert char in listed, f"U+{code:04X} lowercases to {lowered!r}"


def test_hex_digits_ignoring_case_are_ascii() -> None:
    """The IPv6 screen spells the pattern's ``[0-9a-f]`` (case ignored) in ASCII: nothing else matches it."""
    import re

    hex_digit = re.compile("[0-9a-f]", re.IGNORECASE)
    assert not [c for c in range(0x80, sys.maxunicode + 1) if hex_digit.fullmatch(chr(c))]


def test_a_list_seen_before_must_hold_the_very_same_detectors() -> None:
    @dataclass
    class Equal:  # equal to any other Equal: a list of new ones compares equal to the old
        name: str = "custom.equal"
        kind: str = "tone"

        def scan(self, text: str) -> list[Finding]:
            return []

    old, new = [Equal()], [Equal()]
    assert old == new
    assert _Known(old, {}).holds(old) and not _Known(old, {}).holds(new)
    assert _Known(DETECTORS, {}).trusted and _Known(DETECTORS, {}).holds(list(DETECTORS))
