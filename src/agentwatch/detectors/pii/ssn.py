"""US Social Security numbers: area, group and serial rules (SSA), dashed, spaced or bare with context."""

from __future__ import annotations

import re

from agentwatch.detectors.pattern import Context, PatternDetector, shapes, words
from agentwatch.detectors.prefilter import Screen

#: Numbers printed on sample cards and in advertising; never issued to anyone.
_NEVER_ISSUED = frozenset({"078051120", "219099999", "123456789", "111111111", "987654320"})


def valid_ssn(digits: str) -> bool:
    """Area not 000, 666 or 900-999; group not 00; serial not 0000; not a known sample number."""
    if len(digits) != 9 or not digits.isdigit() or digits in _NEVER_ISSUED:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


class SSNDetector(PatternDetector):
    kind = "pii"
    type = "us_ssn"
    numeric = True
    pattern = re.compile(r"(?<![\w.,/+-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w/-]|[.,]\d)")
    context = Context(
        positive=words("ssn", "ssns", "social security", "social sec", "ss#", "ss #", "taxpayer"),
        negative=words(
            "order",
            "invoice",
            "tracking",
            "ref",
            "reference",
            "phone",
            "tel",
            "fax",
            "call",
            "zip",
            "suite",
            "apt",
        ),
    )

    def screen(self) -> Screen:
        return shapes(r"[0-9]{3}[ \-]?[0-9]{2}[ \-]?[0-9]{4}")  # the pattern without its lookarounds

    def check(self, value: str) -> float | None:
        digits = value.replace("-", "").replace(" ", "")
        if not valid_ssn(digits):
            return None
        return 0.3 if digits == value else 0.6  # a bare 9-digit number needs context words
