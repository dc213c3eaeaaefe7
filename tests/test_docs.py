"""The README documents every field of the event model, with its OpenTelemetry name."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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


def _section(start: str, end: str) -> str:
    return README[README.index(start) : README.index(end, README.index(start))]


def _first_cells(section: str) -> list[str]:
    """The first cell of each table row (``\\|`` is a pipe inside a cell)."""
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [re.split(r"(?<!\\)\|", row)[1].replace("\\|", "|") for row in rows]


def test_configuration_table_lists_every_setting() -> None:
    from agentwatch.config import Settings

    section = _section("## Configuration", "```toml")
    documented = set(re.findall(r"`([a-z_]+)`", " ".join(_first_cells(section))))
    assert documented == set(Settings.model_fields)


def test_server_settings_table_lists_every_server_setting() -> None:
    from agentwatch.server.settings import ServerSettings

    section = _section("Settings, in the `[agentwatch.server]` table", "\n\n`uvicorn")
    documented = set(re.findall(r"`([a-z_]+)`", " ".join(_first_cells(section))))
    assert documented == set(ServerSettings.model_fields)


def test_anomaly_table_matches_the_catalogue() -> None:
    from agentwatch.analysis.catalogue import ANOMALY_TYPES

    section = _section("## Anomaly rules", "- **Baselines**")
    rows = [line.split("|") for line in section.splitlines() if line.startswith("| `")]
    documented = {row[1].strip().strip("`"): row[4].strip() for row in rows}
    assert documented == {name: t.severity.value for name, t in ANOMALY_TYPES.items()}


def test_cli_reference_commands_exist() -> None:
    """Every command of the CLI reference exists, with the options it is shown with."""
    import typer

    from agentwatch.cli.app import app

    root = typer.main.get_command(app)
    section = _section("## CLI reference", "## The provider emulator")
    usages = re.findall(r"`agentwatch ([^`]*)`|`(keys [^`]*)`", " ".join(_first_cells(section)))
    assert len(usages) > 15
    for usage in (a or b for a, b in usages):
        command: Any = root
        for word in re.findall(r"(?<![-\w])[a-z]+(?![\w|])", usage):
            sub = getattr(command, "commands", {}).get(word)
            if sub is None:
                assert not hasattr(command, "commands"), (usage, word)  # not a subcommand
                break
            command = sub
        options = {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}
        for option in re.findall(r"--[a-z-]+", usage):
            assert option in options, (usage, option)
