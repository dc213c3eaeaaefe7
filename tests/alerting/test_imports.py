"""An app with no alert channels pays for none: their modules load when a channel is configured."""

from __future__ import annotations

import ast
import subprocess
import sys

CHANNEL_MODULES = ("rich", "smtplib", "agentwatch.alerting.console", "agentwatch.alerting.email")


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys; {code}; print(sorted(m for m in {CHANNEL_MODULES!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded: list[str] = ast.literal_eval(result.stdout)
    return loaded


def test_importing_and_configuring_agentwatch_loads_no_channel() -> None:
    assert _loaded_after("import agentwatch; agentwatch.configure(database='sqlite:///:memory:')") == []


def test_a_configured_channel_loads_its_module() -> None:
    code = (
        "import agentwatch; from agentwatch.alerting import build_channels; "
        "from agentwatch.alerting.settings import AlertSettings; "
        "build_channels(AlertSettings(channels={'ops': {'type': 'console'}}))"
    )
    assert "agentwatch.alerting.console" in _loaded_after(code)
