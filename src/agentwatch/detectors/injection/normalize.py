"""Undo the cheap disguises before matching: Unicode compatibility forms, invisible characters,
look-alike letters from other scripts, accents, and letters spaced out one by one.

``normalize(text)`` returns the lower-cased text to match on, its words and the disguises it removed.
Plain ASCII text (most traffic) takes a fast path: lower-case, split, collapse spaced letters; so
does text whose other characters are only typographic punctuation and accented Latin letters
(mapped to ASCII by a table that gives what the full path gives).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

from agentwatch.detectors.injection import speedups

#: Longest text scanned: the first ``HEAD`` and the last ``TAIL`` characters of longer texts
#: (injections hide at the end of long documents too). Bounds the time spent on one text.
HEAD = 8_000
TAIL = 4_000

# Zero-width and other invisible format characters used to split trigger words.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u3164\ufeff\uffa0"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f]"
)
# Unicode "tag" characters (U+E0000-E007F) mirror ASCII invisibly: "ASCII smuggling".
_TAG = re.compile("[\U000e0000-\U000e007f]")
# Fullwidth forms and mathematical alphanumerics: letters that NFKC turns into plain ASCII ones.
_WIDE = re.compile("[\uff01-\uff5e\U0001d400-\U0001d7ff]")
# Letters from Cyrillic, Greek and IPA that look like Latin ones (after NFKC, before accents go).
_LOOKALIKES = "аеорсухіјѕԁһԛԝӏАВЕКМНОРСТУХІЈЅԌαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧɡɑɩʏℓı"
_TWINS = "aeopcyxijsdhqwlabekmhopctyxijsgabeiknoptuxabezhikmnoptyxgaiyli"
_CONFUSABLES = str.maketrans(_LOOKALIKES, _TWINS)
_LOOKALIKE = re.compile(f"[{_LOOKALIKES}]")
_LATIN = re.compile("[A-Za-z]")
# Letters NFKD does not decompose, and the combining marks (accents) it splits off the others.
_LETTERS = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "ß": "ss"}
_LETTER = re.compile(f"[{''.join(_LETTERS)}]")
# Typographic punctuation and spaces -> ASCII, one character for one (spans stay valid), so that
# English with curly quotes takes the ASCII fast path.
_TYPOGRAPHY = {
    **dict.fromkeys("‘’‚′", "'"),
    **dict.fromkeys("“”„″«»", '"'),
    **dict.fromkeys("–—‐‑−", "-"),
    "…": ".",
    **dict.fromkeys("\u00a0\u2002\u2003\u2009\u200a\u202f", " "),
}
_TYPOGRAPHIC = re.compile(f"[{''.join(_TYPOGRAPHY)}]")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

# Five or more single letters separated by one space/dot/dash/underscore: "i g n o r e".
_SPACED = re.compile(r"(?<![^\W_])(?:[^\W\d_][ .\-_*]){4,}[^\W\d_](?![^\W_])")
_SPACER = re.compile(r"[ .\-_*]")
TOKEN = re.compile(r"\w+")


# ASCII characters that are not word characters -> space: ``text.translate(_SEPARATORS).split()``
# equals ``TOKEN.findall(text)`` on ASCII text, at half the cost (and on the bytes, at a quarter).
_SEPARATORS = str.maketrans({c: " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")})
_BYTE_SEPARATORS = bytes(c if c < 128 and (chr(c).isalnum() or c == 95) else 32 for c in range(256))


@dataclass(frozen=True)
class Normalized:
    text: str  # lower-cased, disguises removed: what the patterns and the classifier read
    exact: bool  # True when ``text`` is the input lower-cased character for character (spans valid)
    # zero_width, tag_characters, wide_or_styled_letters, confusables, spaced_letters
    disguises: tuple[str, ...]
    hidden: str = ""  # text smuggled in Unicode tag characters, decoded

    @cached_property
    def tokens(self) -> list[str]:
        """The words of ``text`` (runs of word characters), in order (made when first asked: the
        compiled core reads ``text`` itself)."""
        return words(self.text)

    @cached_property
    def word_index(self) -> speedups.Words:
        """The words of ``text`` for the compiled core (only when it is there: ``speedups.AVAILABLE``)."""
        return speedups.Words(self.text)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """The distinct words (the heuristics and the classifier both ask: computed once)."""
        return frozenset(self.tokens)


def clip(text: str) -> str:
    """The part of ``text`` that is scanned (see :data:`HEAD`, :data:`TAIL`)."""
    if len(text) <= HEAD + TAIL + 1:  # (+1: clipping is idempotent)
        return text
    return text[:HEAD] + "\n" + text[-TAIL:]


def words(text: str) -> list[str]:
    """The words of ``text`` (runs of word characters), in order."""
    if text.isascii():
        return text.encode("ascii").translate(_BYTE_SEPARATORS).decode("ascii").split()
    return TOKEN.findall(text)


def normalize(text: str) -> Normalized:
    """Normalise ``text`` (clipped first) for matching. Cached: every detector asks for the same text
    (treat the result as read-only)."""
    return _normalize(clip(text))


def clear_cache() -> None:
    """Forget the cached normalisations (for measuring the cost of new texts)."""
    _normalize.cache_clear()


def _latin_letters() -> dict[str, str]:
    """Accented Latin letters (Latin-1 and Latin Extended-A) -> the ASCII letters that the full
    normalisation makes of them, whatever surrounds them: precomposed letters whose canonical
    decomposition is an ASCII letter and combining accents, and the letters of :data:`_LETTERS`
    (look-alikes and invisible characters excluded). ``tests/detectors/injection/test_normalize.py``
    checks each against the full path."""
    table: dict[str, str] = {}
    for code in range(0xC0, 0x180):
        char = chr(code)
        if char in _CONFUSABLE_CHARS or _INVISIBLE.match(char):
            continue
        if char in _LETTERS:
            table[char] = _LETTERS[char]
            continue
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[:1], decomposed[1:]
        canonical = "<" not in unicodedata.decomposition(char)
        if canonical and base.isascii() and base.isalpha() and marks and not _COMBINING.sub("", marks):
            table[char] = base
    return table


#: Typographic characters and accented Latin letters -> ASCII: a text made of nothing else (most
#: English and European text) takes the fast path.
_TO_ASCII: dict[str, str] = {}  # filled at the end of the module (needs the tables below)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _to_ascii(match: re.Match[str]) -> str:
    char = match.group()
    return _TO_ASCII.get(char, char)


@lru_cache(maxsize=64)
def _normalize(text: str) -> Normalized:
    if text.isascii():  # what _normalize_fully makes of it, with fewer steps
        return _unspaced(text.lower(), exact=True)
    folded = _NON_ASCII.sub(_to_ascii, text)
    if folded.isascii():  # what the full path below makes of it, faster
        lowered = folded.lower()
        return _unspaced(lowered, exact=len(lowered) == len(text))
    return _normalize_fully(text)


def _normalize_fully(text: str) -> Normalized:
    if not text.isascii():
        text = _TYPOGRAPHIC.sub(lambda m: _TYPOGRAPHY[m.group()], text)
    if text.isascii():
        return _unspaced(text.lower(), exact=True)
    disguises: list[str] = []
    hidden = ""
    stripped = _INVISIBLE.sub("", text)
    if len(stripped) != len(text):
        disguises.append("zero_width")
    if _TAG.search(stripped):
        hidden = "".join(chr(ord(ch) - 0xE0000) for ch in _TAG.findall(stripped))
        stripped = _TAG.sub("", stripped)
        if len(hidden.strip()) > 7:  # longer than a flag's region code: a smuggled message
            disguises.append("tag_characters")
    if _WIDE.search(stripped):
        disguises.append("wide_or_styled_letters")
    folded = unicodedata.normalize("NFKC", stripped)
    if _LOOKALIKE.search(folded) and _LATIN.search(folded):  # look-alikes beside Latin: word by word
        folded, mixed = _unconfused(folded)
        if mixed:
            disguises.append("confusables")
    plain = _COMBINING.sub(
        "", unicodedata.normalize("NFKD", _LETTER.sub(lambda m: _LETTERS[m.group()], folded))
    )
    lowered = plain.lower()
    norm = _unspaced(lowered, exact=not disguises and len(lowered) == len(text))
    return Normalized(norm.text, norm.exact, (*disguises, *norm.disguises), hidden.lower())


def _one_letter_run(tokens: list[str], length: int) -> bool:
    """Whether ``length`` one-letter words follow each other (the lengths as bytes, one search)."""
    try:
        lengths = bytes(map(len, tokens))
    except ValueError:  # a word longer than 255 characters
        lengths = bytes(min(len(token), 2) for token in tokens)
    return b"\x01" * length in lengths


def _unspaced(lowered: str, *, exact: bool) -> Normalized:
    """Collapse letters spaced out one by one ("i g n o r e") when five one-letter words in a row
    suggest some (the regex is the expensive part: most texts skip it)."""
    if speedups.AVAILABLE:
        found = speedups.Words(lowered)
        if found.one_letter_run(5):
            return _collapsed(lowered, exact=exact)
        return _known(Normalized(lowered, exact, ()), "word_index", found)
    tokens = words(lowered)
    if _one_letter_run(tokens, 5):
        return _collapsed(lowered, exact=exact)
    return _known(Normalized(lowered, exact, ()), "tokens", tokens)


def _known(norm: Normalized, name: str, value: object) -> Normalized:
    """``norm`` with the value of its cached property ``name`` already made."""
    norm.__dict__[name] = value
    return norm


def _collapsed(lowered: str, *, exact: bool) -> Normalized:
    collapsed = _SPACED.sub(lambda m: _SPACER.sub("", m.group()), lowered)
    if collapsed != lowered:
        return Normalized(collapsed, False, ("spaced_letters",))
    return Normalized(lowered, exact, ())


_LETTER_RUN = re.compile(r"[^\W\d_]+")
_CONFUSABLE_CHARS = frozenset(_LOOKALIKES)


_COMPILED_CONFUSABLES = speedups.confusables(_LOOKALIKES, _TWINS)


def _unconfused(text: str) -> tuple[str, bool]:
    """``text`` with :func:`_unconfuse` applied to each run of letters, and whether a run it
    changed mixed scripts (in C when the compiled core is there)."""
    if _COMPILED_CONFUSABLES is not None:
        return _COMPILED_CONFUSABLES.unconfuse(text)
    mixed: list[bool] = []
    return _LETTER_RUN.sub(lambda m: _unconfuse(m.group(), mixed), text), any(mixed)


def _unconfuse(word: str, mixed: list[bool]) -> str:
    """Map look-alikes to Latin in a word that mixes them with Latin letters, or is made of nothing
    else; real Cyrillic or Greek words (which have letters without a Latin twin) stay as they are.
    Appends to ``mixed`` whether the word mixed scripts."""
    if word.isascii() or not any(ch in _CONFUSABLE_CHARS for ch in word):
        return word
    has_latin = any(ch.isascii() for ch in word)
    if has_latin or all(ch in _CONFUSABLE_CHARS for ch in word):
        mixed.append(has_latin)
        return word.translate(_CONFUSABLES)
    return word


_TO_ASCII.update(_TYPOGRAPHY)
_TO_ASCII.update(_latin_letters())
