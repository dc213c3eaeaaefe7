"""agentwatch demo end to end (real SDKs against the emulator), and its error paths."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import typer

from agentwatch.cli.demo import _needs_extras
from tests.cli.conftest import AGENTWATCH, invoke, run_script


def test_the_offline_demo_end_to_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"

    done = run_script("demo", "--database", url, cwd=tmp_path, timeout=90)

    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in (
        "ANOMALY DETECTED",
        "high_latency",
        "high_token_usage",
        "request_failure",
        "Monitoring Summary",
    ):
        assert expected in out
    assert f"AGENTWATCH_DATABASE={url} agentwatch stats" in out
    stats = json.loads(run_script("stats", "--json", "--database", url, cwd=tmp_path).stdout)
    assert stats["requests"] >= 20
    assert stats["errors"] >= 2
    assert stats["input_tokens"] >= 9000
    anomalies = json.loads(run_script("anomalies", "20", "--json", "--database", url, cwd=tmp_path).stdout)
    assert {"high_latency", "high_token_usage", "request_failure", "pii_detected", "prompt_injection"} <= {
        a["type"] for a in anomalies
    }
    risks = json.loads(run_script("risks", "--json", "--database", url, cwd=tmp_path).stdout)
    assert {f["type"] for e in risks for f in e["findings"]} >= {"credit_card", "phone", "indirect_injection"}
    assert all(e["risk"]["reasons"] for e in risks)
    events = json.loads(run_script("events", "50", "--json", "--database", url, cwd=tmp_path).stdout)
    assert {e["agent"] for e in events} == {"support-agent", "research-agent"}
    assert {e["provider"] for e in events} == {"openai", "anthropic"}
    assert {e["operation"] for e in events} >= {"chat", "embeddings"}
    assert any(e["stream"] and e["provider"] == "anthropic" for e in events)
    assert any(e["tool_calls"] for e in events)
    status = json.loads(run_script("status", "--json", "--database", url, cwd=tmp_path).stdout)
    (process,) = status["processes"]
    assert (process["submitted"], process["written"], process["dropped"]) == (stats["requests"],) * 2 + (0,)
    assert not (tmp_path / "agentwatch.db").exists()


def test_live_without_api_keys_says_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    result = invoke("demo", "--live", "--database", f"sqlite:///{tmp_path}/live.db")

    assert result.exit_code == 1
    assert "OPENAI_API_KEY or ANTHROPIC_API_KEY" in result.stderr
    assert not (tmp_path / "live.db").exists()


@pytest.mark.parametrize(
    ("module", "extra"),
    [("uvicorn", "emulator"), ("starlette.routing", "emulator"), ("openai", "openai")],
)
def test_a_missing_optional_dependency_names_the_extra(
    module: str, extra: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as exit_, _needs_extras():
        raise ModuleNotFoundError(f"No module named {module!r}", name=module)

    assert exit_.value.exit_code == 2
    assert f"pip install 'agentwatch[{extra}]'" in capsys.readouterr().err


def test_other_import_errors_are_not_hidden() -> None:
    with pytest.raises(ModuleNotFoundError), _needs_extras():
        raise ModuleNotFoundError("No module named 'nothing'", name="nothing")


def test_the_emulator_command_serves_in_the_foreground(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(AGENTWATCH), "emulator", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        models = _get_when_up(f"http://127.0.0.1:{port}/v1/models", server)
        assert models["data"]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    assert f"OPENAI_BASE_URL=http://127.0.0.1:{port}/v1" in stderr


def _get_when_up(url: str, server: subprocess.Popen[str]) -> Any:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
