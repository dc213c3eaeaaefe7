"""PII detectors: one module per kind of identifier, each validated (checksums, structure), not bare regex."""

from __future__ import annotations

from agentwatch.detectors.base import Detector
from agentwatch.detectors.pii.card import CardDetector
from agentwatch.detectors.pii.email import EmailDetector
from agentwatch.detectors.pii.iban import IBANDetector
from agentwatch.detectors.pii.ip import IPv4Detector, IPv6Detector
from agentwatch.detectors.pii.phone import PhoneDetector
from agentwatch.detectors.pii.polish import NIPDetector, PESELDetector
from agentwatch.detectors.pii.ssn import SSNDetector

#: The finding types this family reports.
TYPES = ("email", "phone", "us_ssn", "credit_card", "ip_address", "iban", "pesel", "nip")


def detectors() -> list[Detector]:
    return [
        EmailDetector(),
        SSNDetector(),
        CardDetector(),
        IPv4Detector(),
        IPv6Detector(),
        IBANDetector(),
        PESELDetector(),
        NIPDetector(),
        PhoneDetector(),  # last: on the same span a checksum-validated type wins a tie
    ]
