"""The README's detection examples give what the README says."""

from __future__ import annotations

import re
from pathlib import Path

import agentwatch
from agentwatch.detectors.settings import RedactionSettings
from agentwatch.pipeline.redact import Redactor

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Detection, risk and redaction") : README.index("## `agentwatch serve`")]


def test_scan_example() -> None:
    call, output = re.findall(r">>> (agentwatch\.scan\(.*\))\n(.*)\n", SECTION)[0]
    text = re.fullmatch(r'agentwatch\.scan\("(.*)"\)', call)
    assert text is not None
    assert repr(agentwatch.scan(text.group(1))) == output


def test_redaction_examples() -> None:
    key = re.findall(r'hash_key = "(.*)"', README)[0]
    rows = dict(re.findall(r"^\| `(mask|hash|drop)` \| `([^`]*)`", SECTION, flags=re.MULTILINE))
    for mode, stored in rows.items():
        settings = RedactionSettings(default=mode, hash_key=key)
        assert (
            Redactor(settings).apply("Mail jan@example.pl", agentwatch.scan("Mail jan@example.pl")) == stored
        )
    assert set(rows) == {"mask", "hash", "drop"}
