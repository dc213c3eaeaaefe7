"""One pass over a text that tells which detectors can possibly find something in it.

A detector may have a ``screen()`` method returning a :class:`Screen`: cues (substrings or small
patterns) at least one of which is in every text the detector finds anything in. The registry
compiles the cues of all its detectors into one Intel Hyperscan database, scans each text once
(one or two microseconds for 500 characters) and calls only the detectors with a cue in the text, in
registration order, plus every detector without a screen (plugins, the injection family). A
typical chat text then reaches none of the PII and secret detectors.

A screen is a promise, not a guess: a detector skipped by it would have found nothing (the
detector's own checks still run when it is called). Without Hyperscan (a platform with no wheel),
or if a scan fails, every detector runs, as before: slower, never different.
"""

from __future__ import annotations

import logging
import operator
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from agentwatch.detectors.base import Detector

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: Entries of each memo of a prefilter's plans (who runs on a text); a full memo starts again.
PLANS = 256


@dataclass(frozen=True, slots=True)
class Screen:
    """Cues of a detector: a text holding none of them is one it finds nothing in."""

    literals: tuple[str, ...] = ()  # substrings, exactly
    caseless: tuple[str, ...] = ()  # substrings, their ASCII letters in either case
    patterns: tuple[str, ...] = ()  # Hyperscan (PCRE) patterns over the text's UTF-8 bytes


def screen_of(detector: Detector) -> Screen | None:
    """The detector's screen, or None when it has none (it then always runs)."""
    method = getattr(detector, "screen", None)
    if method is None:
        return None
    screen = method()
    return screen if isinstance(screen, Screen) else None


def _escaped(value: str) -> bytes:
    """``value``'s UTF-8 bytes as a pattern matching them literally (``\\xNN`` each but letters and digits)."""
    return b"".join(
        bytes((b,)) if chr(b).isascii() and chr(b).isalnum() else b"\\x%02x" % b
        for b in value.encode("utf-8", "surrogatepass")
    )


@lru_cache(maxsize=8)
def _compiled(hyperscan: Any, cues: tuple[tuple[tuple[bytes, int], int], ...]) -> Any:
    """The database of ``((pattern, flags), id)`` cues: compiling takes 50-100 ms, so registries
    with the same detectors (a test's, a second stage's) share one (scans only read it)."""
    database = hyperscan.Database()
    database.compile(
        expressions=[pattern for (pattern, _), _ in cues],
        ids=[id_ for _, id_ in cues],
        elements=len(cues),
        flags=[flags for (_, flags), _ in cues],
    )
    return database


def _record(cue: int, start: int, end: int, flags: int, found: list[int]) -> None:
    found.append(cue)


class _Known:
    """A detector list seen before, and its plans."""

    __slots__ = ("detectors", "plans", "trusted")

    def __init__(self, detectors: Sequence[Detector], plans: dict[int, list[Detector]]) -> None:
        self.detectors = detectors[:]  # a copy: the list seen may change
        self.plans = plans
        # ``==`` compares detectors by identity, unless one defines its own equality (a dataclass plugin)
        self.trusted = all(type(d).__eq__ is object.__eq__ for d in self.detectors)

    def holds(self, detectors: Sequence[Detector]) -> bool:
        """Whether ``detectors`` are the very detectors of this list, in the same order."""
        if self.detectors != detectors:
            return False
        return self.trusted or all(map(operator.is_, self.detectors, detectors))


class Prefilter:
    """The cues of ``detectors`` in one Hyperscan database; :meth:`select` picks who runs on a text."""

    def __init__(self, hyperscan: Any, detectors: Sequence[Detector]) -> None:
        cues: dict[tuple[bytes, int], set[int]] = {}  # (pattern, flags) -> indexes of the detectors
        self._detectors = list(detectors)  # alive as long as the ids below name them
        self._screened: dict[int, int] = {}  # id(detector) -> its bit in the masks
        for index, detector in enumerate(self._detectors):
            screen = screen_of(detector)
            if screen is None:
                continue
            self._screened[id(detector)] = index
            single = hyperscan.HS_FLAG_SINGLEMATCH
            for pattern, flags in (
                *((_escaped(s), single) for s in screen.literals),
                *((_escaped(s), single | hyperscan.HS_FLAG_CASELESS) for s in screen.caseless),
                *((p.encode(), single) for p in screen.patterns),
            ):
                cues.setdefault((pattern, flags), set()).add(index)
        # cues that open the same detectors share an id: a text reports each id at most once
        groups: dict[frozenset[int], int] = {}
        ids = [groups.setdefault(frozenset(opened), len(groups)) for opened in cues.values()]
        self._opens = [sum(1 << i for i in opened) for opened in groups]  # id -> bit mask of detectors
        self._database: Any = _compiled(hyperscan, tuple(zip(cues, ids, strict=True))) if cues else None
        self._hyperscan = hyperscan
        self._local = threading.local()  # a scratch space per thread: scans run without the GIL
        # who runs, per set of cues found (a bit mask), per detector list: by its id (a list kept by
        # its owner) and by its detectors' ids (a list made per event); the ids stay valid: the
        # detectors they name are held by the plans or by this prefilter
        self._plans: dict[tuple[int, ...], dict[int, list[Detector]]] = {}
        self._lists: dict[int, _Known] = {}
        self._failed = False

    def opened(self, text: str) -> int | None:
        """The bit mask of the screened detectors with a cue in ``text`` (None: the scan failed)."""
        if not self._opens:
            return 0
        try:
            scratch = getattr(self._local, "scratch", None)
            if scratch is None:
                scratch = self._local.scratch = self._hyperscan.Scratch(self._database)
            found: list[int] = []
            # (data, match_event_handler, flags, context, scratch): positional, a little faster
            self._database.scan(text.encode("utf-8", "surrogatepass"), _record, 0, found, scratch)
        except Exception:
            if not self._failed:
                self._failed = True
                log.warning("agentwatch: detector prefilter failed; every detector runs", exc_info=True)
            return None
        mask = 0
        for cue in found:
            mask |= self._opens[cue]
        return mask

    def plan(self, detectors: Sequence[Detector], mask: int | None) -> Sequence[Detector]:
        """Those of ``detectors`` that run on a text whose cues open ``mask`` (None: all of them)."""
        if mask is None:
            return detectors
        known = self._lists.get(id(detectors))  # the same list again (a stage's): its id, checked
        if known is None or not known.holds(detectors):
            key = tuple(map(id, detectors))  # a new list (one event's): its detectors' ids
            plans = self._plans.get(key)
            if plans is None:
                plans = self._remember(self._plans, key, {})
            known = self._remember(self._lists, id(detectors), _Known(detectors, plans))
        plan = known.plans.get(mask)
        if plan is None:
            bits = self._screened
            plan = [d for d in detectors if id(d) not in bits or mask >> bits[id(d)] & 1]
            self._remember(known.plans, mask, plan)
        return plan

    @staticmethod
    def _remember(memo: dict[Any, Any], key: object, value: _T) -> _T:
        if len(memo) >= PLANS:
            memo.clear()
        memo[key] = value
        return value


def build(detectors: Sequence[Detector]) -> Prefilter | None:
    """The prefilter of ``detectors``, or None without Hyperscan (or if its database cannot be built)."""
    try:
        import hyperscan
    except Exception:  # not installed (no wheel for this platform), or its library would not load
        log.debug("agentwatch: hyperscan is not available; every detector runs on every text", exc_info=True)
        return None
    try:
        return Prefilter(hyperscan, detectors)
    except Exception:
        log.warning(
            "agentwatch: the detector prefilter could not be built; every detector runs", exc_info=True
        )
        return None
