"""Help texts keep their square brackets (Rich would read ``[...]`` as markup and drop it)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agentwatch.cli.app import app


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["serve", "--help"], "[agentwatch.server]"),
        (["serve", "--help"], "[default:"),
        (["alerts", "test", "--help"], "[agentwatch.alerts.channels]"),
        (["keys", "create", "--help"], "[default: ingest]"),
    ],
)
def test_bracketed_help_text_is_shown(args: list[str], shown: str) -> None:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert shown in result.output
