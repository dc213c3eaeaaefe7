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

    def _candidates(self, text: str) -> Iterator[tuple[int, int, float]]:
        for start, end, score in super()._candidates(text):
            address = _STREET_AFTER.match(text, end) or _ADDRESS_BEFORE.search(
                text[max(0, start - 12) : start]
            )
            yield start, end, score - 0.3 if address else score

    def check(self, value: str) -> float | None:
        core = _EXTENSION.sub("", value)
        digits = sum(c.isdigit() for c in core)
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
            return 0.85 if _valid(international, None) else 0.3
        regions = REGIONS if separated or core.startswith("0") else BARE_REGIONS
        if any(_valid(core, region) for region in regions):
            return 0.6 if separated else 0.55 if digits >= 10 else 0.35
        return 0.35 if separated else 0.2
