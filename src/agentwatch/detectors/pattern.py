"""A regex detector with a validator and context words, the shape most PII and secret detectors share.

A candidate is found by a regular expression, then ``check`` validates it (checksum, structure)
and gives its base score; words near it raise the score (``card``, ``phone``) or lower it
(``order``, ``version``). Findings scoring below :data:`MIN_SCORE` are not reported.

Cheap pre-filters keep a typical text's cost to microseconds: ``trigger`` (substrings or a pattern
the text must contain) skips the regex entirely on most texts, and detectors of numbers
(``numeric = True``) run their pattern only around the runs of digits that :func:`number_windows`
finds once per text for all of them.
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


@lru_cache(maxsize=8)  # the numeric detectors ask in turn about the same text
def number_windows(text: str) -> tuple[tuple[int, int], ...]:
    """Spans around runs of 7+ digits and separators, widened for prefixes (``+``, ``PL``) and extensions."""
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
        if isinstance(trigger, str):
            return trigger in text
        if isinstance(trigger, tuple):
            for substring in trigger:  # noqa: SIM110 - a generator (any) costs more than the searches
                if substring in text:
                    return True
            return False
        return trigger.search(text) is not None

    def scan(self, text: str) -> list[Finding]:
        if (self.numeric and not number_windows(text)) or not self.triggered(text):
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
