"""The injection detectors' compiled core, when there is one.

``_speedups`` (C: ``csrc/injection/`` in the repository) does the per-word loops: it finds and
hashes a normalised text's words once (``Words``, kept with the text's normalisation), then the
classifier looks them up in its weights (``Lexicon``) and the heuristics in the rules' trigger
words (``Triggers``); two small scans (``run_of``, ``unbroken``) serve the base64 check, and
``Confusables`` maps look-alike letters to Latin in the words that mix them (normalisation of
non-Latin text). It is optional twice over: the build skips it without a compiler (``setup.py``;
unless ``AGENTWATCH_REQUIRE_SPEEDUPS`` is set), and without it (a warning is logged, once), or with
``AGENTWATCH_PURE_PYTHON=1`` in the environment, the detectors run their
pure-Python code: the reference, which gives the same findings and scores
(``tests/detectors/injection/test_speedups.py`` compares the two on the shared data sets). The
tables handed to C are built at run time from the weights file and ``RULES``; should building
one fail, the detector that wanted it runs its Python code.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

#: Set (to anything but "" or "0") to ignore the compiled core.
PURE_PYTHON_VARIABLE = "AGENTWATCH_PURE_PYTHON"
#: Set (likewise) to make the build fail without the compiled core (``setup.py``, ``.ci/run``).
REQUIRE_VARIABLE = "AGENTWATCH_REQUIRE_SPEEDUPS"


def _is_set(variable: str) -> bool:
    return os.environ.get(variable, "") not in ("", "0")


try:
    if _is_set(PURE_PYTHON_VARIABLE):
        raise ImportError(f"{PURE_PYTHON_VARIABLE} is set")
    from agentwatch.detectors.injection._speedups import (
        Confusables,
        Lexicon,
        Triggers,
        Words,
        run_of,
        unbroken,
    )
except ImportError as error:  # not built (no compiler), or switched off
    AVAILABLE = False
    if _is_set(PURE_PYTHON_VARIABLE):
        log.debug("agentwatch: injection detectors in pure Python (%s)", error)
    else:  # a build without a compiler (pip may have cached and reused it): say so, once
        log.warning(
            "agentwatch: the injection detectors' C extension is not built (%s); running in pure "
            "Python, slower. Reinstall with a C compiler (pip install --no-cache-dir --force-reinstall "
            "agentwatch), or set %s=1 to silence this.",
            error,
            PURE_PYTHON_VARIABLE,
        )
except Exception:  # built but broken: never the host app's problem
    AVAILABLE = False
    log.warning(
        "agentwatch: the injection detectors' compiled core failed to load; pure Python", exc_info=True
    )
else:
    AVAILABLE = True


def confusables(lookalikes: str, latin: str) -> Confusables | None:
    """The compiled mapping of look-alike letters to Latin, or None (no compiled core, or it refused it)."""
    if not AVAILABLE:
        return None
    try:
        return Confusables(lookalikes, latin)
    except Exception:
        log.warning("agentwatch: the compiled look-alike mapping failed; pure Python", exc_info=True)
        return None


def lexicon(words: dict[str, float], pairs: dict[tuple[str, str], float]) -> Lexicon | None:
    """The compiled table of these weights, or None (no compiled core, or it refused them)."""
    if not AVAILABLE:
        return None
    try:
        return Lexicon(words, pairs)
    except Exception:
        log.warning(
            "agentwatch: the injection classifier's compiled table failed; pure Python", exc_info=True
        )
        return None


def triggers(
    words: dict[str, tuple[list[tuple[int, int]], list[int]]],
    fragments: list[tuple[str, int, int, str]],
    groups: list[int],
) -> Triggers | None:
    """The compiled trigger index of the rules, or None (no compiled core, or it refused them)."""
    if not AVAILABLE:
        return None
    try:
        return Triggers(words, fragments, groups)
    except Exception:
        log.warning("agentwatch: the injection rules' compiled index failed; pure Python", exc_info=True)
        return None


# Confusables, Lexicon, Triggers, Words, run_of, unbroken (_speedups.pyi): only when AVAILABLE.
__all__ = [
    "AVAILABLE",
    "PURE_PYTHON_VARIABLE",
    "REQUIRE_VARIABLE",
    "Confusables",
    "Lexicon",
    "Triggers",
    "Words",
    "confusables",
    "lexicon",
    "run_of",
    "triggers",
    "unbroken",
]
