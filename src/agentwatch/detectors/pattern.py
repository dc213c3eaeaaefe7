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
:meth:`PatternDetector.screen` states the same filters as cues, so that the registry can skip the
detector without calling it (:mod:`.prefilter`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from agentwatch.detectors.prefilter import Screen
from agentwatch.model import Finding

#: Findings scoring below this are dropped.
MIN_SCORE = 0.5


@dataclass(frozen=True, slots=True)
class Words:
    """Whole words or phrases, matched ignoring case: what :func:`words` makes."""

    pattern: re.Pattern[str]
    lowered: re.Pattern[str] | None  # the same, case-sensitive, for lowercased ASCII text

    def search(self, text: str) -> bool:
        """Whether ``text`` holds one of the words. An ASCII text (most) is lowercased and searched
        case-sensitively, three times faster than ignoring case; on ASCII the two agree (the
        special case foldings, the Kelvin sign or the long s, are not ASCII)."""
        if self.lowered is not None and text.isascii():
            return self.lowered.search(text.lower()) is not None
        return self.pattern.search(text) is not None


def words(*items: str) -> Words:
    """Any of ``items`` (regex fragments) as whole words, ignoring case."""
    body = r"(?<!\w)(?:" + "|".join(items) + r")(?!\w)"
    lowered = re.compile(body, re.ASCII) if body == body.lower() else None  # else: always ignoring case
    return Words(re.compile(body, re.IGNORECASE), lowered)


_NUMBER_RUN = re.compile(r"\d[\d ().\-]{5,}[\d)]", re.ASCII)  # ASCII classes scan ~4x faster
#: The cue of a text with a run of digits (the same pattern: ASCII characters are single UTF-8 bytes).
NUMBER_RUN = Screen(patterns=(r"[0-9][0-9 ().\-]{5,}[0-9)]",))
#: Any non-ASCII character: beside a cue written with ASCII digits and letters, it stands for the
#: other characters that ``\d`` (any decimal digit) or ``[a-z]`` ignoring case (the Kelvin sign) match.
NON_ASCII = r"[\x80-\xff]"


def shapes(*patterns: str) -> Screen:
    """A screen of ``patterns`` (ASCII digits for the pattern's ``\\d``), or any non-ASCII character."""
    return Screen(patterns=(*patterns, NON_ASCII))


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

    positive: Words | None = None
    negative: Words | None = None
    boost: float = 0.3
    penalty: float = 0.45
    before: int = 40
    after: int = 20

    def adjust(
        self,
        text: str,
        start: int,
        end: int,
        score: float,
        otherwise: float | None = None,
        first: Callable[[], bool] | None = None,
    ) -> float | None:
        """``score`` lowered and raised by the words near ``text[start:end]``; None below :data:`MIN_SCORE`.

        With ``otherwise`` and ``first``: the score is ``score`` if ``first()`` else ``otherwise``,
        and ``first`` (a costly validation) is called only when the two would end differently.
        A word search is skipped when neither of its outcomes lifts a score to :data:`MIN_SCORE` (the
        positive words first: most candidates without them stay below it whatever the negative ones).
        """
        scores = (score,) if otherwise is None or otherwise == score else (score, otherwise)
        penalised: tuple[bool, ...] = (False,) if self.negative is None else (False, True)
        raised: tuple[bool, ...] = (False,) if self.positive is None else (False, True)
        if self._below(scores, penalised, raised):
            return None
        # a label may sit on the line before ("Phone:\n..."); what follows counts up to the line's end
        after = text[end : end + self.after].partition("\n")[0]
        near = text[max(0, start - self.before) : start] + " \n " + after
        if self.positive is not None:
            raised = (self.positive.search(near),)
            if self._below(scores, penalised, raised):
                return None
        if self.negative is not None:
            penalised = (self.negative.search(near),)
        final = self._outcome(score, penalised[0], raised[0])
        if len(scores) == 2:
            other = self._outcome(scores[1], penalised[0], raised[0])
            if final != other and not (final < MIN_SCORE and other < MIN_SCORE):
                final = final if first is None or first() else other
        return final if final >= MIN_SCORE else None

    def _outcome(self, score: float, penalised: bool, raised: bool) -> float:
        if penalised:
            score -= self.penalty
        if raised:
            score += self.boost
        return min(1.0, max(0.0, score))

    def _below(
        self, scores: tuple[float, ...], penalised: tuple[bool, ...], raised: tuple[bool, ...]
    ) -> bool:
        """Whether every outcome still possible scores below :data:`MIN_SCORE`."""
        for score in scores:  # loops: a generator costs more than the few sums
            for lowered in penalised:
                for boosted in raised:
                    if self._outcome(score, lowered, boosted) >= MIN_SCORE:
                        return False
        return True


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

    def screen(self) -> Screen | None:
        """The cues of :meth:`triggered`: a run of digits for a numeric detector, else the trigger's
        substrings (None for a pattern trigger, or none). A subclass that widens :meth:`triggered` or
        :meth:`scan` gets None unless it states its own."""
        cls = type(self)
        if cls.triggered is not PatternDetector.triggered or cls.scan is not PatternDetector.scan:
            return None
        if self.numeric:
            return NUMBER_RUN
        trigger = self.trigger
        if isinstance(trigger, str):
            return Screen(literals=(trigger,))
        if isinstance(trigger, tuple):
            return Screen(literals=trigger)
        return None

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
        return [
            Finding(
                kind=self.kind,
                type=self.type,
                detector=self.name,
                start=start,
                end=end,
                score=round(score, 2),
            )
            for start, end, score in self._scored(text)
        ]

    def _scored(self, text: str) -> Iterator[tuple[int, int, float]]:
        """The candidates with their score in context, those below :data:`MIN_SCORE` left out."""
        context = self.context
        for start, end, base in self._candidates(text):
            score = base if context is None else context.adjust(text, start, end, base)
            if score is not None and score >= MIN_SCORE:
                yield start, end, score
