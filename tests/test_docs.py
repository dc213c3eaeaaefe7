"""The README documents every field of the event model, with its OpenTelemetry name."""

from __future__ import annotations

import re
from pathlib import Path

from agentwatch.model import OTEL_ATTRIBUTES, LLMCall, Usage

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## The event model") : README.index("## Anomaly rules")]
ROWS = [line for line in SECTION.splitlines() if line.startswith("| `")]


def test_every_event_field_is_documented() -> None:
    documented = set(re.findall(r"`([a-z0-9_.]+)`", " ".join(row.split("|")[1] for row in ROWS)))
    top_level = {name.split(".")[0] for name in documented}
    assert set(LLMCall.model_fields) - top_level == set()
    usage_fields = {f"usage.{name}" for name in Usage.model_fields}
    assert usage_fields - documented == set()


def test_otel_names_match_the_model_and_the_readme() -> None:
    for field, otel_name in OTEL_ATTRIBUTES.items():
        head, _, tail = field.partition(".")
        model = {"usage": Usage}.get(head)
        if model is not None:
            assert tail in model.model_fields, field
        else:
            assert head in LLMCall.model_fields, field
        row = next((r for r in ROWS if f"`{field}`" in r.split("|")[1]), None)
        assert row is not None and f"`{otel_name}`" in row, (field, otel_name)
