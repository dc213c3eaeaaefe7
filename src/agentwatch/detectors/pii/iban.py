"""IBANs: the country's length and the ISO 13616 mod-97 check, compact or in groups of four."""

from __future__ import annotations

import re
from collections.abc import Iterator

from agentwatch.detectors.pattern import Context, PatternDetector, number_windows, words
from agentwatch.detectors.prefilter import Screen

#: Country code -> IBAN length (SWIFT IBAN registry).
LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


#: ASCII letters -> "a", ASCII digits -> "d", every other byte -> " ".
_SHAPES = bytes(
    97 if chr(c).isascii() and chr(c).isalpha() else 100 if chr(c) in "0123456789" else 32 for c in range(256)
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
#: The non-ASCII letters that ``[a-z]`` matches when case is ignored (see the ``re`` docs); ``\d``
#: matches every decimal digit (``str.isdecimal``).
_FOLDED_LETTERS = frozenset("\u0130\u0131\u017f\u212a")


def mod97(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, remainder 1."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


class IBANDetector(PatternDetector):
    kind = "pii"
    type = "iban"
    pattern = re.compile(r"(?<![\w-])[a-z]{2}\d{2}(?: ?[a-z0-9]){11,30}(?!\w)", re.IGNORECASE)
    context = Context(positive=words("iban", "account", "konto", "bank", "rachunek", "transfer", "wire"))

    def screen(self) -> Screen:
        """The pattern without its lookarounds, in ASCII: check takes only an ASCII IBAN."""
        return Screen(patterns=("[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,30}",))

    def triggered(self, text: str) -> bool:
        """Every IBAN has a run of digits, and starts with two letters and two digits: "aadd" once
        the bytes are translated (one substring search, where the pattern costs 20 times more)."""
        if not number_windows(text):
            return False
        if not text.isascii() and any(
            ch.isdecimal() or ch in _FOLDED_LETTERS for ch in _NON_ASCII.findall(text)
        ):
            return True  # a digit or letter (to the pattern) that the byte translation misses
        return b"aadd" in text.encode("utf-8", "surrogatepass").translate(_SHAPES)

    def check(self, value: str) -> float | None:
        compact = value.replace(" ", "").upper()
        if (
            LENGTHS.get(compact[:2]) != len(compact)
            or not (compact.isascii() and compact[4:].isalnum())  # the pattern's [a-z] matches a Kelvin sign
            or not mod97(compact)
        ):
            return None
        return 0.9

    def _candidates(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in self.pattern.finditer(text):
            # "PL61 1090 1014 0000 0712 1981 2874 please": the greedy match may run into the next word
            start, value = match.start(), match.group()
            compact_length = LENGTHS.get(value[:2].upper())
            if compact_length is None:
                continue
            end, seen = start, 0
            while end < match.end() and seen < compact_length:
                seen += text[end] != " "
                end += 1
            score = self.check(text[start:end])
            if score is not None and (end == match.end() or not text[end].isalnum()):
                yield start, end, score
