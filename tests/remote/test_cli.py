"""The read commands in remote mode: they say where the events are instead of reading nothing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agentwatch.cli.app import app


@pytest.mark.parametrize("command", [["stats"], ["events", "5"], ["anomalies"], ["risks"], ["status"]])
def test_read_commands_point_at_the_server(command: list[str]) -> None:
    env = {"COLUMNS": "300", "AGENTWATCH_ENDPOINT": "http://127.0.0.1:8787", "AGENTWATCH_CONFIG": "none.toml"}
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 2
    assert "not available in remote mode: events go to http://127.0.0.1:8787" in result.stderr
    assert "AGENTWATCH_ENDPOINT" in result.stderr
