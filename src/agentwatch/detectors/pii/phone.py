"""Phone numbers: phone-shaped digit groups, validated with Google's libphonenumber (``phonenumbers``).

International numbers (``+48 ...``, ``0044 ...``) must be valid for their country code. National
numbers are tried in :data:`REGIONS` (US, UK, Germany, Poland, France); a number valid
in none of them, or a bare run of digits, needs a phone word nearby (``phone``, ``call``, ``tel``,
``fax``, ``telefon``...). Dates, IP addresses, versions, SSNs and prices are shaped out before
``phonenumbers`` (imported on first use) is asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from agentwatch.detectors.pattern import Context, PatternDetector, words

#: Regions whose national formats are tried for numbers without a country code.
REGIONS = ("US", "GB", "DE", "PL", "FR")
#: Those of them whose national numbers are not written after a trunk "0": a bare run of digits
#: without the 0 is no British, German or French number (a Unix timestamp, 1706826999, is valid as one).
BARE_REGIONS = ("US", "PL")

_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}|\d{1,2}\.\d{1,2}\.\d{2}")
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")
_POSTCODE = re.compile(r"\d{4}-\d{3}|\d{2}-\d{3}")
#: "17151 2450 Crown St", "Apt. 712 21 36 Rue de Pologne": a house number and a street, not a phone.
_STREET_AFTER = re.compile(
    r" {1,3}(?:[A-Z]\w{2,}|(?:\w+ )?(?i:street|st|road|rd|avenue|ave|lane|drive|close|court|place|sq|rue|ul)\b)"
)
_ADDRESS_BEFORE = re.compile(r"(?i)(?:apt\.?|suite|address:?|ul\.)\s*$")
_EXTENSION = re.compile(r"\s*(?:x|ext\.?)\s*\d{1,6}$", re.IGNORECASE)


@cache
def _phonenumbers() -> Any:
    import phonenumbers

    return phonenumbers


@lru_cache(maxsize=4096)  # a chat resends its history with every call: the same numbers come back
def _valid(number: str, region: str | None) -> bool:
    pn = _phonenumbers()
    try:
        parsed = pn.parse(number, region)
    except pn.NumberParseException:
        return False
    return bool(pn.is_valid_number(parsed))


# fmt: off
_POSITIVE = words(
    "phone", "phones", "tel", "telephone", "mobile", "cell", "fax", "call", "called", "calling", "office",
    "desk", "contact", "reach", "sms", "text me", "whatsapp", "answering", "messages to", "dial", "telefon",
    "tel\\.", "komórka", "komórkowy", "zadzwoń", "handy", "rufnummer", "numer telefonu",
)
_NEGATIVE = words(
    "order", "invoice", "tracking", "ticket", "ref", "reference", "sku", "isbn", "version", "build",
    "release", "serial", "account", "id", "price", "total", "usd", "eur", "pln", "zł", "ssn", "iban",
    "card", "pesel", "nip", "zip", "postal", "license", "licence", "bestellung", "zamówienie", "zamówienia",
)
# fmt: on


class PhoneDetector(PatternDetector):
    kind = "pii"
    type = "phone"
    numeric = True
    # digit groups are atomic (\d++): a long run of digits cannot be split in many ways (no backtracking blow-up)
    pattern = re.compile(
        r"(?<![\w@/.+#$€£-])(?:\+|\b00)?\(?\d++(?:(?:\)[ .-]?|[ .-]\(?| ?\()?\d++){0,7}\)?"
        r"(?:\s*(?:x|ext\.?)\s*\d{1,6})?(?![\w@/]|[.,:-]\d)",
        re.IGNORECASE,
    )
    context = Context(positive=_POSITIVE, negative=_NEGATIVE, boost=0.3, penalty=0.5)

    def _scored(self, text: str) -> Iterator[tuple[int, int, float]]:
        """As for any pattern, but ``phonenumbers`` (about 25 us a number and region) is asked only
        when the answer can change the outcome: not when, valid or not, the words nearby leave the
        number below the reporting score."""
        context = self.context
        assert context is not None  # set on the class
        for match in self.matches(text):
            shape = _shape(match.group())
            if shape is None:
                continue
            start, end = match.span()
            valid, invalid = shape.valid, shape.invalid
            if _STREET_AFTER.match(text, end) or _ADDRESS_BEFORE.search(text[max(0, start - 12) : start]):
                valid, invalid = valid - 0.3, invalid - 0.3
            score = context.adjust(text, start, end, valid, invalid, shape.is_valid)
            if score is not None:
                yield start, end, score

    def check(self, value: str) -> float | None:
        shape = _shape(value)
        if shape is None:
            return None
        return shape.valid if shape.is_valid() else shape.invalid


@dataclass(frozen=True, slots=True)
class _Shape:
    """A phone-shaped candidate: the number to validate, where, and its score if valid or not."""

    number: str
    regions: tuple[str | None, ...]
    valid: float
    invalid: float

    def is_valid(self) -> bool:
        return any(_valid(self.number, region) for region in self.regions)


def _shape(value: str) -> _Shape | None:
    """None for what is no phone number whatever ``phonenumbers`` says (a date, a decimal...)."""
    core = _EXTENSION.sub("", value) if "x" in value or "X" in value else value  # "x 204", "ext. 204"
    digits = sum(map(str.isdigit, core))
    if not 7 <= digits <= 15 or core.count("(") != core.count(")"):
        return None
    if (
        core.count(".") == 1
        or _DATE.fullmatch(core)
        or _DOTTED_QUAD.fullmatch(core)
        or _SSN_SHAPE.fullmatch(core)
        or _POSTCODE.fullmatch(core)
    ):
        return None  # a decimal, a date, an IPv4 address, an SSN, a postcode
    separated = not core.isdigit()
    if core.startswith(("+", "00")):
        international = "+" + core.lstrip("+")[2:] if core.startswith("00") else core
        return _Shape(international, (None,), 0.85, 0.3)
    regions = REGIONS if separated or core.startswith("0") else BARE_REGIONS
    return _Shape(
        core, regions, 0.6 if separated else 0.55 if digits >= 10 else 0.35, 0.35 if separated else 0.2
    )
