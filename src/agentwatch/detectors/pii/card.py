"""Payment card numbers: issuer prefix and length (IIN ranges), then the Luhn checksum."""

from __future__ import annotations

import re
from collections.abc import Iterable

from agentwatch.detectors.pattern import Context, PatternDetector, shapes, words
from agentwatch.detectors.prefilter import Screen

#: (lowest prefix, highest prefix, allowed lengths), prefixes compared on their own number of digits.
_ISSUERS: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),  # Visa
    ("51", "55", frozenset({16})),  # Mastercard
    ("2221", "2720", frozenset({16})),  # Mastercard 2-series
    ("34", "34", frozenset({15})),  # American Express
    ("37", "37", frozenset({15})),
    ("300", "305", frozenset({14, 16, 17, 18, 19})),  # Diners Club
    ("36", "36", frozenset(range(14, 20))),
    ("38", "39", frozenset(range(14, 20))),
    ("6011", "6011", frozenset(range(16, 20))),  # Discover
    ("644", "659", frozenset(range(16, 20))),
    ("622126", "622925", frozenset(range(16, 20))),
    ("35", "35", frozenset(range(16, 20))),  # JCB (3528-3589 assigned; generators use all of 35)
    ("2131", "2131", frozenset({15})),
    ("1800", "1800", frozenset({15})),
    ("62", "62", frozenset(range(16, 20))),  # UnionPay
    ("2200", "2204", frozenset(range(16, 20))),  # Mir
    ("50", "50", frozenset(range(12, 20))),  # Maestro
    ("56", "69", frozenset(range(12, 20))),
    ("0604", "0604", frozenset(range(12, 20))),
)

_SEPARATOR = re.compile(r"[ -]")


def luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


#: Length -> the (lowest, highest) prefixes of the schemes issuing numbers of that length.
_BY_LENGTH: dict[int, tuple[tuple[str, str], ...]] = {
    n: tuple((low, high) for low, high, lengths in _ISSUERS if n in lengths) for n in range(12, 20)
}


def issuer_accepts(digits: str) -> bool:
    """Whether some card scheme issues numbers with this prefix and length."""
    return any(low <= digits[: len(low)] <= high for low, high in _BY_LENGTH.get(len(digits), ()))


# fmt: off
_POSITIVE = words(
    "card", "cards", "credit", "debit", "visa", "mastercard", "amex", "discover", "jcb", "maestro", "cc",
    "payment", "pay", "karta", "karty", "kreditkarte",
)
_NEGATIVE = words(
    "order", "invoice", "tracking", "ticket", "ref", "reference", "id", "sku", "isbn", "serial", "account",
    "phone", "tel", "fax", "iban", "pesel", "nip", "zamówienia", "bestellung",
)
# fmt: on


class CardDetector(PatternDetector):
    kind = "pii"
    type = "credit_card"
    numeric = True
    pattern = re.compile(r"(?<![\w.,/+-])\d(?:[ -]?\d){11,18}(?![\w/]|[.,-]\d)")
    context = Context(positive=_POSITIVE, negative=_NEGATIVE, penalty=0.3, boost=0.2)

    def screen(self) -> Screen:
        return shapes(r"[0-9](?:[ \-]?[0-9]){11,18}")  # the pattern without its lookarounds

    def _candidates(self, text: str) -> Iterable[tuple[int, int, float]]:
        for match in self.matches(text):
            # "4111 1111 1111 1111 2024": try the whole run, then without its trailing groups
            start, value = match.start(), match.group()
            for end in (
                match.end(),
                *(start + m.start() for m in reversed(list(_SEPARATOR.finditer(value)))),
            ):
                score = self.check(text[start:end])
                if score is not None:
                    yield start, end, score
                    break

    def check(self, value: str) -> float | None:
        digits = value.replace(" ", "").replace("-", "")
        if len(set(digits)) < 2 or not issuer_accepts(digits) or not luhn(digits):
            return None
        return 0.75
