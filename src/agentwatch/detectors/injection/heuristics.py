"""Rule-based injection detection: the rules of :mod:`.rules` over normalised text, plus the
disguises found on the way (invisible characters, look-alike letters, spaced letters, base64 or
Unicode-tag payloads that decode to instructions).

One finding per family that matched, with the best rule's score; spans point into the original
text when normalisation changed nothing but case (otherwise they are ``None``). Which rules a text's
words make worth a regex is found in C when the compiled core is there (:mod:`.speedups`), else in
Python (the reference); the regexes are Python's.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache

from agentwatch.detectors.injection import speedups
from agentwatch.detectors.injection.anchors import start_words
from agentwatch.detectors.injection.normalize import HEAD, Normalized, clip, normalize, words
from agentwatch.detectors.injection.rules import RULES, Rule
from agentwatch.detectors.pattern import rarest_common_character
from agentwatch.model import Finding

_BASE64 = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{24,}={0,2}(?![\w+/=-])")
# A disguise alone is suspicious; a disguise around a rule match is an attack.
_DISGUISE_SCORES = {
    "tag_characters": 0.9,
    "spaced_letters": 0.5,
    "zero_width": 0.5,
    "confusables": 0.6,
    "wide_or_styled_letters": 0.3,
}
_DISGUISED_ATTACK = 0.95
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Match:
    family: str
    score: float
    start: int | None
    end: int | None


class _Compiled:
    """The rules, indexed by trigger word: a text's words pick the rules worth trying. ``compiled``:
    the index in C too, when the compiled core is there (:attr:`triggers`), with the words each
    rule's matches start with (:mod:`.anchors`), which tell where to start searching."""

    def __init__(self, rules: tuple[Rule, ...], *, compiled: bool = True) -> None:
        self.rules = rules
        self.groups = [len(rule.triggers) for rule in rules]
        self.full = [(1 << n) - 1 for n in self.groups]  # every group's bit set: a candidate
        self.index: dict[str, list[tuple[int, int]]] = {}  # word -> (rule, group) it triggers
        # triggers that are not words: substrings, each with its rarest character
        self.fragments: list[tuple[str, str, int, int]] = []
        for r, rule in enumerate(rules):
            for g, group in enumerate(rule.triggers):
                for trigger in group:
                    if _WORD.fullmatch(trigger):
                        self.index.setdefault(trigger, []).append((r, g))
                    else:
                        rare = rarest_common_character((trigger,)) or trigger
                        self.fragments.append((trigger, rare, r, g))
        # word -> (the one-group rules it makes candidates, (rule, group bit) of the others)
        self.by_word: dict[str, tuple[frozenset[int], tuple[tuple[int, int], ...]]] = {
            word: (
                frozenset(r for r, _ in entries if self.groups[r] == 1),
                tuple((r, 1 << g) for r, g in entries if self.groups[r] > 1),
            )
            for word, entries in self.index.items()
        }
        self.vocabulary = frozenset(self.index)
        self.fragment_bits = [0] * len(rules)  # rule -> bits of its groups that have a fragment
        for _, _, r, g in self.fragments:
            self.fragment_bits[r] |= 1 << g
        self.triggers = self._compile() if compiled and speedups.AVAILABLE else None

    def _compile(self) -> speedups.Triggers | None:
        starts: dict[str, list[int]] = {}  # word -> the rules whose matches can start with it
        for r, rule in enumerate(self.rules):
            for word in sorted(start_words(rule.pattern) or ()):
                starts.setdefault(word, []).append(r)
        table = {word: (list(self.index.get(word, ())), starts.get(word, [])) for word in self.index | starts}
        fragments = [(fragment, r, g, rare) for fragment, rare, r, g in self.fragments]
        return speedups.triggers(table, fragments, self.groups)

    def _searches(self, text: str, norm: Normalized | None) -> list[tuple[int, int]]:
        """The rules worth a regex on ``text``, each with where its matches can start."""
        if self.triggers is not None:
            return self.triggers.candidates(speedups.Words(text) if norm is None else norm.word_index)
        return [(r, 0) for r in self._candidates(text, set(words(text)) if norm is None else norm.vocabulary)]

    def _candidates(self, text: str, tokens: AbstractSet[str]) -> list[int]:
        """The rules worth a regex on ``text``, whose distinct words are ``tokens`` (the reference
        of ``Triggers.candidates``)."""
        found: set[int] = set()
        partial: dict[int, int] = {}  # rule -> bits of its groups that have a word in the text
        by_word = self.by_word
        for word in self.vocabulary & tokens:  # a set intersection: most words trigger nothing
            singles, groups = by_word[word]
            found |= singles
            for r, bit in groups:
                partial[r] = partial.get(r, 0) | bit
        full = self.full
        for fragment, rare, r, g in self.fragments:
            if partial.get(r, 0) | self.fragment_bits[r] != full[r]:
                continue  # the rule lacks a word that no fragment can stand in for
            if rare in text and fragment in text:  # one character first: a faster search
                partial[r] = partial.get(r, 0) | 1 << g
        found.update(r for r, bits in partial.items() if bits == full[r])
        return sorted(found)

    def matches(self, text: str, norm: Normalized | None = None) -> dict[str, Match]:
        """The best match of each family in ``text`` (lower-cased), whose normalisation ``norm``
        is, when there is one (its words are known already)."""
        found: dict[str, Match] = {}
        for r, start in self._searches(text, norm):
            rule = self.rules[r]
            m = rule.pattern.search(text, start)
            if m is None:
                continue
            best = found.get(rule.family)
            if best is None or rule.score > best.score:
                found[rule.family] = Match(rule.family, rule.score, m.start(), m.end())
        return found


@cache
def _rules(compiled: bool) -> _Compiled:
    return _Compiled(RULES, compiled=compiled)


def _decoded_payloads(text: str) -> list[tuple[int, int, str]]:
    """Base64 runs in ``text`` that decode to readable text: (start, end, decoded lower-cased)."""
    payloads = []
    for m in _BASE64.finditer(text):
        run = m.group()
        if run.isalpha() and (run.islower() or run.isupper()):
            continue  # a long word, not base64
        try:
            raw = base64.b64decode(
                run + "=" * (-len(run) % 4), altchars=b"-_" if "-" in run or "_" in run else None
            )
            decoded = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if decoded.isprintable() or all(ch.isprintable() or ch.isspace() for ch in decoded):
            payloads.append((m.start(), m.end(), decoded.lower()))
    return payloads


#: Bytes of the base64 alphabets -> "a", everything else (UTF-8 bytes of other letters too) -> " ".
_BASE64_BYTES = bytes(
    97 if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "+/_-") else 32 for c in range(256)
)
_BASE64_CHARS = bytes(c for c in range(128) if _BASE64_BYTES[c] == 97).decode("ascii")
_BASE64_RUN = b"a" * 24


def _may_hold_base64(text: str, norm: Normalized, *, compiled: bool = True) -> bool:
    """Whether ``text`` has a run of 24 base64 characters (the least :data:`_BASE64` matches; found
    with a byte translation and one substring search, or by the compiled core) and ``norm`` a word
    of 24 characters."""
    if compiled and speedups.AVAILABLE:
        return speedups.run_of(text, _BASE64_CHARS, 24) and speedups.unbroken(norm.text, 24)
    raw = text.encode("utf-8", "surrogatepass")
    if _BASE64_RUN not in raw.translate(_BASE64_BYTES):
        return False  # _decoded_payloads would find nothing
    return max(map(len, norm.text.split()), default=0) >= 24  # base64 runs have no spaces


def analyse(text: str, *, compiled: bool = True) -> list[Match]:
    """Every family that matched ``text``, with its best score and span in ``text``. ``compiled=False``:
    the pure-Python code even when the compiled core is there."""
    rules = _rules(compiled)
    clipped = clip(text)
    shift = len(text) - len(clipped)  # clipped texts: the tail moved left by this much
    return [_unclip(m, shift) for m in _analyse(clipped, rules)] if shift > 0 else _analyse(clipped, rules)


def _unclip(match: Match, shift: int) -> Match:
    if match.start is None or match.end is None or match.start <= HEAD:
        return match
    return Match(match.family, match.score, match.start + shift, match.end + shift)


def _analyse(text: str, rules: _Compiled) -> list[Match]:
    norm = normalize(text)
    found = rules.matches(norm.text, norm)
    if found and not norm.exact:
        found = {f: Match(f, m.score, None, None) for f, m in found.items()}
    disguise = _disguise(norm, bool(found), rules) if norm.hidden or norm.disguises else _NO_DISGUISE
    for start, end, decoded in (
        _decoded_payloads(text) if _may_hold_base64(text, norm, compiled=rules.triggers is not None) else ()
    ):
        if rules.matches(decoded):
            disguise = max(disguise, Match("obfuscation", _DISGUISED_ATTACK, start, end), key=_score)
    if disguise.score > 0:
        found["obfuscation"] = max(found.get("obfuscation", disguise), disguise, key=_score)
    return list(found.values())


_NO_DISGUISE = Match("obfuscation", 0.0, None, None)


def _score(match: Match) -> float:
    return match.score


def _disguise(norm: Normalized, attack: bool, rules: _Compiled) -> Match:
    score = 0.0
    if norm.hidden:
        score = _DISGUISED_ATTACK if rules.matches(norm.hidden) else 0.0
    for name in norm.disguises:
        score = max(score, _DISGUISED_ATTACK if attack else _DISGUISE_SCORES[name])
    return Match("obfuscation", score, None, None)


class InjectionHeuristics:
    """Detector: the rule families. Findings at or above ``threshold`` only."""

    name = "injection.heuristic"
    kind = "injection"

    def __init__(self, threshold: float, *, compiled: bool = True) -> None:
        """``compiled=False``: the pure-Python code even when the compiled core is there."""
        self.threshold = threshold
        self.compiled = compiled

    def score(self, text: str) -> float:
        """The highest family score for ``text`` (0 when nothing matched)."""
        return max((m.score for m in analyse(text, compiled=self.compiled)), default=0.0)

    def scan(self, text: str) -> list[Finding]:
        if not isinstance(text, str) or not text:
            return []
        return [
            Finding(
                kind="injection", type=m.family, detector=self.name, start=m.start, end=m.end, score=m.score
            )
            for m in analyse(text, compiled=self.compiled)
            if m.score >= self.threshold
        ]
