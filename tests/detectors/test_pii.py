"""Every PII detector, table-driven: what must fire and, beside it, what must not (decoys)."""

from __future__ import annotations

from datetime import date

import pytest

from agentwatch.detectors import DetectorRegistry
from tests.detectors.numbers import card, grouped, iban, nip, pesel

PII = DetectorRegistry(["agentwatch.detectors.pii:detectors"], plugins=False)

VISA, MASTERCARD, AMEX = card("4", 16), card("51", 16), card("37", 15)
MC_2_SERIES, DISCOVER, JCB, DINERS = card("2221", 16), card("6011", 16), card("3530", 16), card("36", 14)
MAESTRO_12, VISA_19 = card("6304", 12), card("4", 19)
PESEL_1990, PESEL_2004 = pesel(date(1990, 3, 15), 1234), pesel(date(2004, 12, 1), 5678)
NIP = nip("526000125")
IBAN_PL, IBAN_DE, IBAN_GB = (
    iban("PL", "109010140000071219812874"),
    iban("DE", "370400440532013000"),
    iban("GB", "NWBK60161331926819"),
)
UUID = "123e4567-e89b-12d3-a456-426614174000"
SHA = "3f2a91c0d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3"

# (type, text, the values that must be found: empty for a decoy)
CASES: list[tuple[str, str, list[str]]] = [
    ("email", "Write to jan.kowalski@example.pl today", ["jan.kowalski@example.pl"]),
    ("email", "cc: Anna.Nowak+news@mail.co.uk, ok?", ["Anna.Nowak+news@mail.co.uk"]),
    ("email", "the logo is at assets/logo@2x.png", []),
    ("email", "an @mention and user@localhost and a..b@x.com", []),
    ("phone", "Call me at +48 601 234 567 tomorrow", ["+48 601 234 567"]),
    ("phone", "UK office: +44 20 7946 0958", ["+44 20 7946 0958"]),
    ("phone", "Berlin: +49 30 901820", ["+49 30 901820"]),
    ("phone", "US: (415) 867-5309, ask for Jenny", ["(415) 867-5309"]),
    ("phone", "mobile 07700 900123 (UK national)", ["07700 900123"]),
    ("phone", "Zadzwoń: 601 234 567", ["601 234 567"]),
    ("phone", "Telefon 030 901820", ["030 901820"]),
    ("phone", "Phone: 0048 601 234 567", ["0048 601 234 567"]),
    ("phone", "desk 415-867-5309 x204", ["415-867-5309 x204"]),
    ("phone", "Order 601 234 567 shipped", []),
    ("phone", "released 2026-11-27 at 05:14:55", []),
    ("phone", "pi is 3.14159265 and e is 2.7182818", []),
    ("phone", "build 10.0.19041.1 of version 1.2.3", []),
    ("phone", f"request {UUID} commit {SHA}", []),
    ("phone", "The total was $1 234 567.89 last year", []),
    ("phone", "The shop is at 17151 2450 Crown St", []),
    ("phone", 'created 1706826999, {"updated": 1725792650, "ts": 1639004871}', []),  # Unix timestamps
    ("phone", "mobile 07700900123 or 14158675309", ["07700900123", "14158675309"]),
    ("us_ssn", "My SSN is 536-22-1475.", ["536-22-1475"]),
    ("us_ssn", "social security number 536 22 1475", ["536 22 1475"]),
    ("us_ssn", "SSN: 536221475", ["536221475"]),
    ("us_ssn", "ssn 000-12-3456, 666-12-3456, 912-12-3456", []),
    ("us_ssn", "ssn 536-00-1475 or 536-22-0000", []),
    ("us_ssn", "the sample card shows 078-05-1120", []),
    ("us_ssn", "order number 536221475 shipped", []),
    ("credit_card", f"Visa {VISA} exp 12/27", [VISA]),
    ("credit_card", f"card: {grouped(MASTERCARD)}", [grouped(MASTERCARD)]),
    ("credit_card", f"amex {AMEX[:4]}-{AMEX[4:10]}-{AMEX[10:]}", [f"{AMEX[:4]}-{AMEX[4:10]}-{AMEX[10:]}"]),
    ("credit_card", f"{MC_2_SERIES} / {DISCOVER} / {JCB}", [MC_2_SERIES, DISCOVER, JCB]),
    ("credit_card", f"diners {DINERS}, maestro {MAESTRO_12}, visa {VISA_19}", [DINERS, MAESTRO_12, VISA_19]),
    ("credit_card", f"pay with {grouped(VISA)} 2027 please", [grouped(VISA)]),
    ("credit_card", f"visa {VISA[:-1]}{(int(VISA[-1]) + 1) % 10}", []),  # Luhn fails
    ("credit_card", f"{card('9', 16)} has no issuer", []),
    ("credit_card", f"{card('4', 15)} is a Visa prefix with a wrong length", []),
    ("credit_card", f"Order #{VISA} and tracking {VISA}", []),
    ("credit_card", f"timestamp 1732685695123 and uuid {UUID}", []),
    ("ip_address", "client 203.0.113.42 connected", ["203.0.113.42"]),
    ("ip_address", "from 2001:db8:85a3::8a2e:370:7334 via fe80::1%eth0", ["2001:db8:85a3::8a2e:370:7334"]),
    (
        "ip_address",
        "full 2001:0db8:0000:0000:0000:ff00:0042:8329 here",
        ["2001:0db8:0000:0000:0000:ff00:0042:8329"],
    ),
    ("ip_address", "999.1.1.1 and 1.2.3 and 01.02.03.04.05", []),
    ("ip_address", "upgrade to version 1.2.3.4 now", []),
    ("ip_address", "at 12:30:45, std::vector, mac 00:1a:2b:3c:4d:5e", []),
    ("iban", f"IBAN {IBAN_PL}", [IBAN_PL]),
    ("iban", f"Konto: {grouped(IBAN_PL)} dziękuję", [grouped(IBAN_PL)]),
    ("iban", f"pay {IBAN_DE.lower()} or {IBAN_GB}", [IBAN_DE.lower(), IBAN_GB]),
    ("iban", f"IBAN {IBAN_PL[:-1]}{(int(IBAN_PL[-1]) + 1) % 10}", []),  # mod-97 fails
    ("iban", f"IBAN {IBAN_DE}0", []),  # wrong length for DE
    ("pesel", f"PESEL: {PESEL_1990}", [PESEL_1990]),
    ("pesel", f"nr {PESEL_2004} w systemie", [PESEL_2004]),
    ("pesel", f"PESEL {PESEL_1990[:-1]}{(int(PESEL_1990[-1]) + 1) % 10}", []),
    ("pesel", "PESEL 90131512345", []),  # month 13
    ("nip", f"NIP: {NIP}", [NIP]),
    ("nip", f"NIP {NIP[:3]}-{NIP[3:6]}-{NIP[6:8]}-{NIP[8:]}", [f"{NIP[:3]}-{NIP[3:6]}-{NIP[6:8]}-{NIP[8:]}"]),
    ("nip", f"VAT id PL{NIP}", [NIP]),
    ("nip", f"{NIP} without a word for it", []),
    ("nip", f"NIP {NIP[:-1]}{(int(NIP[-1]) + 1) % 10}", []),
]


@pytest.mark.parametrize(("type_", "text", "expected"), CASES, ids=[f"{c[0]}:{c[1][:40]}" for c in CASES])
def test_detector(type_: str, text: str, expected: list[str]) -> None:
    found = [text[f.start or 0 : f.end or 0] for f in PII.scan(text) if f.type == type_]
    assert found == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hello! Can you summarise this article about the 2024 Olympics in 300 words?",
        f"Deploy {SHA[:7]} (v2.14.4) to prod at 2026-11-27T05:14:55Z; request id {UUID}.",
        "Prices: $19.99, €1,299.00, 1 299 zł; order #A-123456; ISBN 978-3-16-148410-0.",
        "Matrix: [[1, 2, 3], [4, 5, 6]] and the sequence 1 1 2 3 5 8 13 21 34",
    ],
)
def test_benign_text_has_no_pii(text: str) -> None:
    assert PII.scan(text) == []


def test_context_words_raise_and_lower_the_score() -> None:
    plain = next(f for f in PII.scan(f"see {VISA} here") if f.type == "credit_card")
    with_word = next(f for f in PII.scan(f"my credit card {VISA}") if f.type == "credit_card")
    assert with_word.score > plain.score
    assert [f for f in PII.scan(f"invoice {VISA}") if f.type == "credit_card"] == []


def test_findings_carry_kind_detector_and_offsets() -> None:
    text = f"mail a.b@example.com, PESEL {PESEL_1990}"
    assert [(f.kind, f.type, f.detector, f.start, f.end) for f in PII.scan(text)] == [
        ("pii", "email", "pii.email", 5, 20),
        ("pii", "pesel", "pii.pesel", 28, 39),
    ]
