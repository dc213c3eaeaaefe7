"""Polish identifiers: PESEL (national id, checksum and birth date) and NIP (tax id, mod-11 checksum).

An 11-digit PESEL with a valid checksum and date is reported on its own; a NIP's ten digits pass
the checksum by chance too often, so a NIP needs a word nearby (``NIP``, ``VAT``, a ``PL`` prefix).
"""

from __future__ import annotations

import re
from datetime import date

from agentwatch.detectors.pattern import Context, PatternDetector, shapes, words
from agentwatch.detectors.prefilter import Screen

_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
#: PESEL month offset -> century.
_CENTURIES = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}
_NEGATIVE = words(
    "order", "invoice", "tracking", "ref", "reference", "phone", "tel", "isbn", "card", "account"
)


def valid_pesel(digits: str) -> bool:
    if len(digits) != 11 or not digits.isdigit():
        return False
    check = (10 - sum(int(d) * w for d, w in zip(digits, _PESEL_WEIGHTS, strict=False)) % 10) % 10
    if check != int(digits[10]):
        return False
    month = int(digits[2:4])
    offset = (month // 20) * 20
    try:
        date(_CENTURIES[offset] + int(digits[:2]), month - offset, int(digits[4:6]))
    except (KeyError, ValueError):
        return False
    return True


def valid_nip(digits: str) -> bool:
    if len(digits) != 10 or not digits.isdigit() or digits[:3] == "000":
        return False
    check = sum(int(d) * w for d, w in zip(digits, _NIP_WEIGHTS, strict=False)) % 11
    return check != 10 and check == int(digits[9])


class PESELDetector(PatternDetector):
    kind = "pii"
    type = "pesel"
    numeric = True
    pattern = re.compile(r"(?<![\w.,/+-])\d{11}(?![\w/]|[.,-]\d)")
    context = Context(positive=words("pesel", "numer pesel", "nr pesel"), negative=_NEGATIVE, boost=0.3)

    def screen(self) -> Screen:
        return shapes("[0-9]{11}")

    def check(self, value: str) -> float | None:
        return 0.6 if valid_pesel(value) else None


class NIPDetector(PatternDetector):
    kind = "pii"
    type = "nip"
    numeric = True
    pattern = re.compile(
        r"(?<![\w.,/+-])(?:PL ?)?(\d{3}-?\d{3}-?\d{2}-?\d{2}|\d{3}-\d{2}-\d{2}-\d{3}|\d{3} \d{3} \d{2} \d{2})"
        r"(?![\w/]|[.,-]\d)"
    )
    group = 1
    context = Context(
        positive=words("nip", "vat", "vat-?id", "tax id", "pl", "regon", "podatnika"), negative=_NEGATIVE
    )

    def screen(self) -> Screen:
        return shapes(  # the pattern's group
            "[0-9]{3}-?[0-9]{3}-?[0-9]{2}-?[0-9]{2}",
            "[0-9]{3}-[0-9]{2}-[0-9]{2}-[0-9]{3}",
            "[0-9]{3} [0-9]{3} [0-9]{2} [0-9]{2}",
        )

    def check(self, value: str) -> float | None:
        return 0.3 if valid_nip(value.replace("-", "").replace(" ", "")) else None
