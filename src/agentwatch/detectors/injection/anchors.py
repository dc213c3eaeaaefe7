"""Where a rule's regex can start matching: the words its matches begin with, read off the regex.

Most rules begin ``\\b(?:ignore|disregard|...)\\s+``: every match then starts at a word of the text
that is one of a few words. ``pattern.search(text, pos)`` from the first such word finds what
``pattern.search(text)`` finds (no match can start before it; ``\\b`` and look-behinds still see
the characters before ``pos``), and a text without any of them has no match at all. The compiled
core (:mod:`.speedups`) knows where a text's words are, so it hands the heuristics that position
with the rules worth a regex; the pure-Python code searches whole texts.

:func:`start_words` reads the parsed regex (``re._parser``, the standard library's own parser) and
answers only for the shapes it understands fully: a word boundary, then word characters spelled
out (literals, small character sets, alternatives, optional parts), then something that cannot
continue the word (``\\b``, a space, punctuation). Anything else, or a parser that changed shape,
gives None: search the whole text.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

try:  # the standard library's regex parser (private, untyped: the one ``re`` itself uses)
    _parser: Any = importlib.import_module("re._parser")
    _sre: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - a Python whose re lacks them: no anchors
    _parser = None

#: Most distinct start words kept per rule (more: search the whole text).
LIMIT = 256
_WORD = re.compile(r"\w")
_Items = list[tuple[Any, Any]]  # a parsed sequence: (opcode, argument) pairs


class _Unsure(Exception):
    """The pattern has a shape :func:`start_words` does not read."""


def start_words(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The words every match of ``pattern`` starts with, as whole words of the text (a word
    boundary before, no word character after), or None when the pattern does not say."""
    if _parser is None or pattern.flags & (re.IGNORECASE | re.ASCII | re.VERBOSE):
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        words = _starts(list(parsed.data), boundary=False)
    except (_Unsure, RecursionError, AttributeError, TypeError, ValueError):
        return None
    return frozenset(words) if 0 < len(words) <= LIMIT else None


def _is_word(code: int) -> bool:
    return _WORD.fullmatch(chr(code)) is not None


def _starts(items: _Items, *, boundary: bool) -> set[str]:
    """The words a match of ``items`` starts with; ``boundary``: a ``\\b`` precedes them."""
    while items and items[0] == (_sre.AT, _sre.AT_BOUNDARY):
        boundary, items = True, items[1:]
    if not items:
        raise _Unsure
    op, arg = items[0]
    if op is _sre.BRANCH:
        return _union(_starts(list(alt.data) + items[1:], boundary=boundary) for alt in arg[1])
    if op is _sre.SUBPATTERN:
        return _starts(_group(arg) + items[1:], boundary=boundary)
    if not boundary:  # a match could start inside a word
        raise _Unsure
    return _spell(items, "", 0)


def _spell(items: _Items, word: str, depth: int) -> set[str]:
    """The words that ``word`` followed by what ``items`` match at their start can make."""
    if depth > 100:
        raise _Unsure
    if word and _ends_word(items):
        return {word}
    if not items:
        raise _Unsure  # the match may end inside a word
    (op, arg), rest = items[0], items[1:]
    if op is _sre.LITERAL and _is_word(arg):
        return _spell(rest, word + chr(arg), depth + 1)
    if op is _sre.IN and all(o is _sre.LITERAL and _is_word(a) for o, a in arg):  # [ae]
        return _union(_spell(rest, word + chr(a), depth + 1) for _, a in arg)
    if op is _sre.BRANCH:
        return _union(_spell(list(alt.data) + rest, word, depth + 1) for alt in arg[1])
    if op is _sre.SUBPATTERN:
        return _spell(_group(arg) + rest, word, depth + 1)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and arg[:2] == (0, 1):  # x?: without it, or once
        return _spell(rest, word, depth + 1) | _spell(list(arg[2].data) + rest, word, depth + 1)
    raise _Unsure


def _ends_word(items: _Items) -> bool:
    """Whether what ``items`` match cannot begin with a word character (after word characters:
    the word ends there)."""
    if not items:
        return False  # the match may end here, inside a longer word of the text
    (op, arg), rest = items[0], items[1:]
    if op is _sre.AT:
        return bool(arg is _sre.AT_BOUNDARY)
    if op is _sre.LITERAL:
        return not _is_word(arg)
    if op is _sre.IN:
        return all(
            (o is _sre.LITERAL and not _is_word(a))
            or (o is _sre.CATEGORY and a in (_sre.CATEGORY_SPACE, _sre.CATEGORY_NOT_WORD))
            for o, a in arg
        )
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        low, _, body = arg
        return _ends_word(list(body.data)) and (low >= 1 or _ends_word(rest))
    if op is _sre.BRANCH:
        return all(_ends_word(list(alt.data) + rest) for alt in arg[1])
    if op is _sre.SUBPATTERN:
        return _ends_word(_group(arg) + rest)
    return False


def _group(arg: tuple[Any, ...]) -> _Items:
    """The items of a group; a group that sets flags is not read."""
    _, add_flags, del_flags, body = arg
    if add_flags or del_flags:
        raise _Unsure
    return list(body.data)


def _union(parts: Any) -> set[str]:
    words: set[str] = set()
    for part in parts:
        words |= part
        if len(words) > LIMIT:
            raise _Unsure
    return words
