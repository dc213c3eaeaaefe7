"""Generic secrets: a high-entropy value assigned to a word like ``password``, ``token`` or ``secret``.

``password: Tr0ub4dor&3`` and ``"api_key": "9f8a..."`` fire; ``password: <your password>``,
``token: null`` and ``the secret is patience`` do not. Values that a provider-specific detector
recognises (``sk-...``, ``ghp_...``) are left to it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from agentwatch.detectors.pattern import PatternDetector, merge_windows
from agentwatch.detectors.prefilter import Screen

_KNOWN_PREFIXES = (
    "sk-",
    "sk_",
    "rk_",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "ghr_",
    "github_pat_",
    "xox",
    "AIza",
    "eyJ",
)
#: ``create_token(user)``, ``settings.api_key``, ``os.environ``: code, not a value.
_CODE = re.compile(r"[\w.]*\(.*|[A-Za-z_]\w*(?:[._]\w+)+")
_KEYWORDS = ("pass", "pwd", "secret", "token", "key", "auth", "credential", "hasło", "haslo")
#: A text whose lowercase holds a keyword holds one of the keywords with its ASCII letters in either
#: case, or a character that is none of their letters but lowercases to one (\u0130 -> "i\u0307",
#: the Kelvin sign -> "k", "\u0141" -> "\u0142"); tests/detectors/test_prefilter.py checks every code point.
_SCREEN = Screen(caseless=_KEYWORDS, literals=("\u0130", "\u212a", "\u0141"))
_NOT_A_VALUE = re.compile(
    r"(?i)^(?:https?://.*|<.*>|\{.*\}|\$\{?\w+\}?|%\(?\w+\)?s?|\*+|x+|\.+|null|none|true|false|undefined|changeme|redacted|"
    r"your[-_ ]?\w*|example\w*|placeholder\w*|dummy\w*|secret|password|token)$"
)


#: What a match of the pattern starts with, after its optional "_".
_STARTS = (
    "passw",
    "pwd",
    "secret",
    "token",
    "api",
    "access",
    "private",
    "auth",
    "credential",
    "client",
    "has",
)


def _matches_at_words(
    pattern: re.Pattern[str], text: str, lowered: str, pos: int, endpos: int
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text, pos, endpos)`` for an ASCII ``text``, trying only where a match can
    start: at one of :data:`_STARTS` in either case, or an "_" before one (a search tries every
    position, ten times slower). Non-ASCII text takes the search: there ``(?i)`` also matches the
    long s and the dotless i, which ``str.lower`` leaves alone."""
    starts = set()
    for word in _STARTS:
        i = lowered.find(word, pos, endpos)
        while i != -1:
            starts.add(i)
            if i > pos and text[i - 1] == "_":
                starts.add(i - 1)
            i = lowered.find(word, i + 1, endpos)
    done = pos
    for start in sorted(starts):
        if start >= done and (match := pattern.match(text, start, endpos)) is not None:
            yield match
            done = match.end()  # as a search goes on: after the match (never empty: 8+ characters)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


class GenericSecretDetector(PatternDetector):
    kind = "secret"
    type = "generic_secret"
    pattern = re.compile(
        r"(?i)(?:\b|_)(?:passw(?:or)?d|passwort|pwd|secret|token|api[-_ ]?key|access[-_ ]?key|private[-_ ]?key|"
        r"auth(?:orization)?|credentials?|client[-_ ]?secret|has[łl]o)s?(?:[-_.]\w+)?[\"']?\s*(?:[:=]|=>|\bis\b|:=)\s*"
        r"(?:bearer\s+|basic\s+)?[\"'`]?([^\s\"'`,;)}\]]{8,256})"
    )
    group = 1

    def screen(self) -> Screen:
        return _SCREEN

    def matches(self, text: str) -> Iterable[re.Match[str]]:
        """The pattern runs only around the keywords (``password``, ``token``...), found by ``str.find``."""
        lowered = text.lower()
        at = []
        for word in _KEYWORDS:
            i = lowered.find(word)
            while i != -1:
                at.append(i)
                i = lowered.find(word, i + 1)
        ascii_only = text.isascii()
        for pos, endpos in merge_windows(at, 24, 320, len(text)):
            if ascii_only:
                yield from _matches_at_words(self.pattern, text, lowered, pos, endpos)
            else:
                yield from self.pattern.finditer(text, pos, endpos)

    def check(self, value: str) -> float | None:
        if value.startswith(_KNOWN_PREFIXES) or _NOT_A_VALUE.match(value) or _CODE.fullmatch(value):
            return None
        classes = sum(
            (any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value),
             any(not c.isalnum() for c in value))
        )  # fmt: skip
        bits = entropy(value)
        if classes < 2 or bits < 2.5 or value.isalpha():
            return None
        return 0.9 if bits >= 3.5 and len(value) >= 16 else 0.75
