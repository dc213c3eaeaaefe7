"""A regex detector with a validator and context words, the shape most PII and secret detectors share.

A candidate is found by a regular expression, then ``check`` validates it (checksum, structure)
and gives its base score; words near it raise the score (``card``, ``phone``) or lower it
(``order``, ``version``). Findings scoring below :data:`MIN_SCORE` are not reported.

Cheap pre-filters keep a typical text's cost to microseconds: ``trigger`` (substrings or a pattern
the text must contain) skips the regex entirely on most texts (the rarest character all the
substrings share is looked for first: one ``memchr``), and detectors of numbers (``numeric = True``)
run their pattern only around the runs of digits that :func:`number_windows` finds once per text
for all of them (most texts have none, which a byte translation and one substring search tell).
A pre-filter only ever skips texts in which the pattern would find nothing: findings never change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from agentwatch.model import Finding

#: Findings scoring below this are dropped.
MIN_SCORE = 0.5


def words(*items: str) -> re.Pattern[str]:
    """A case-insensitive pattern matching any of ``items`` as whole words."""
    return re.compile(r"(?<!\w)(?:" + "|".join(items) + r")(?!\w)", re.IGNORECASE)


_NUMBER_RUN = re.compile(r"\d[\d ().\-]{5,}[\d)]", re.ASCII)  # ASCII classes scan ~4x faster
#: The characters of a run (ASCII digits, `` ().-``) -> "1", every other byte -> " ": a text whose
#: bytes so translated hold no "1111111" has no run, which one substring search tells (the regex
#: costs ten times more on a 500-character text, and most texts have no run).
_RUN_BYTES = bytes(49 if chr(c) in "0123456789 ().-" else 32 for c in range(256))


@lru_cache(maxsize=8)  # the numeric detectors ask in turn about the same text
def number_windows(text: str) -> tuple[tuple[int, int], ...]:
    """Spans around runs of 7+ digits and separators, widened for prefixes (``+``, ``PL``) and extensions."""
    if b"1111111" not in text.encode("utf-8", "surrogatepass").translate(_RUN_BYTES):
        return ()
    windows: list[tuple[int, int]] = []
    for run in _NUMBER_RUN.finditer(text):
        start, end = max(0, run.start() - 3), min(len(text), run.end() + 12)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return tuple(windows)


def merge_windows(centres: Iterable[int], before: int, after: int, length: int) -> list[tuple[int, int]]:
    """Spans ``[centre - before, centre + after)`` clipped to the text, overlapping ones merged."""
    windows: list[tuple[int, int]] = []
    for centre in sorted(centres):
        start, end = max(0, centre - before), min(length, centre + after)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows


#: Characters from the most to the least common in chat text (roughly); those not listed are rarer.
_COMMON = " etaoinsrhldcumfpgwybv.,\nk'ITAS-xCjqMzNBWHPDROGFLEJKVYUQXZ0123456789"


def rarest_common_character(substrings: tuple[str, ...] | re.Pattern[str]) -> str | None:
    """The rarest character that all of ``substrings`` contain (or None): a search for one
    character is a ``memchr``, ten times faster than a search for a string, and often fails."""
    if not substrings or isinstance(substrings, re.Pattern):
        return None
    common = set.intersection(*map(set, substrings))
    if not common or all(len(s) == 1 for s in substrings):
        return None
    return max(common, key=lambda c: (c not in _COMMON, _COMMON.find(c), c))


@dataclass(frozen=True, slots=True)
class Context:
    """Words near a candidate that raise (``positive``) or lower (``negative``) its score."""

    positive: re.Pattern[str] | None = None
    negative: re.Pattern[str] | None = None
    boost: float = 0.3
    penalty: float = 0.45
    before: int = 40
    after: int = 20

    def adjust(self, text: str, start: int, end: int, score: float) -> float:
        # a label may sit on the line before ("Phone:\n..."); what follows counts up to the line's end
        after = text[end : end + self.after].partition("\n")[0]
        near = text[max(0, start - self.before) : start] + " \n " + after
        if self.negative is not None and self.negative.search(near):
            score -= self.penalty
        if self.positive is not None and self.positive.search(near):
            score += self.boost
        return min(1.0, max(0.0, score))


class PatternDetector:
    """Find candidates with ``pattern``, validate them with :meth:`check`, score them in context."""

    kind: str
    type: str
    pattern: re.Pattern[str]
    trigger: str | tuple[str, ...] | re.Pattern[str] | None = None
    numeric: bool = False  # search only around runs of digits (see number_windows)
    context: Context | None = None
    group: int = 0  # the regex group that is the finding
    # (the trigger it was made for, the rarest character all its substrings share)
    _screen: tuple[object, str | None] = (None, None)

    def __init__(self) -> None:
        self.name = f"{self.kind}.{self.type}"

    def check(self, value: str) -> float | None:
        """The base score of a candidate, or None when it is not valid."""
        raise NotImplementedError

    def matches(self, text: str) -> Iterable[re.Match[str]]:
        if not self.numeric:
            return self.pattern.finditer(text)
        return (m for pos, endpos in number_windows(text) for m in self.pattern.finditer(text, pos, endpos))

    def _candidates(self, text: str) -> Iterable[tuple[int, int, float]]:
        for match in self.matches(text):
            score = self.check(match.group(self.group))
            if score is not None:
                yield match.start(self.group), match.end(self.group), score

    def triggered(self, text: str) -> bool:
        """The cheap test a text must pass before the pattern runs."""
        trigger = self.trigger
        if trigger is None:
            return True
        made_for, screen = self._screen
        if made_for is not trigger:  # first use, or the trigger was replaced
            screen = rarest_common_character((trigger,) if isinstance(trigger, str) else trigger)
            self._screen = (trigger, screen)
        if screen is not None and screen not in text:
            return False  # the rarest character every trigger has (``_``, ``-``) is absent
        if isinstance(trigger, str):
            return trigger in text
        if isinstance(trigger, tuple):
            for substring in trigger:  # noqa: SIM110 - a generator (any) costs more than the searches
                if substring in text:
                    return True
            return False
        return trigger.search(text) is not None

    def scan(self, text: str) -> list[Finding]:
        if self.numeric:
            if not number_windows(text):
                return []
            if self.trigger is not None and not self.triggered(text):
                return []
        elif not self.triggered(text):
            return []
        found = []
        for start, end, base in self._candidates(text):
            score = base if self.context is None else self.context.adjust(text, start, end, base)
            if score >= MIN_SCORE:
                found.append(
                    Finding(
                        kind=self.kind,
                        type=self.type,
                        detector=self.name,
                        start=start,
                        end=end,
                        score=round(score, 2),
                    )
                )
        return found
