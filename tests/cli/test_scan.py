"""``agentwatch scan``: a file or stdin, a table or JSON, secrets never printed whole."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import invoke, row, run_script

KEY = "sk-proj-" + "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc8Vb7Nm6Qa5Ws4Ed3"
TEXT = f"Contact jan@example.pl, PESEL 90031512348.\nOPENAI_API_KEY={KEY}\n"


def test_scan_a_file_as_a_table(tmp_path: Path) -> None:
    path = tmp_path / "prompt.txt"
    path.write_text(TEXT, encoding="utf-8")
    result = invoke("scan", str(path))
    assert result.exit_code == 0, result.output
    assert row(result.output, "email") == ["8-22", "pii", "email", "0.90", "pii.email", "jan@example.pl"]
    assert row(result.output, "pesel")[2:] == ["pesel", "0.90", "pii.pesel", "90031512348"]
    assert row(result.output, "openai_key")[5] == "sk-p…d3 (59 chars)"
    assert KEY not in result.output
    assert "Risk: 94 critical" in result.output
    assert "secret openai_key in prompt (score 0.95): +86" in result.output


def test_scan_stdin_as_json() -> None:
    result = invoke("scan", "--json", input=TEXT)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(f["kind"], f["type"], f["start"], f["end"]) for f in data["findings"]] == [
        ("pii", "email", 8, 22),
        ("pii", "pesel", 30, 41),
        ("secret", "openai_key", 58, 117),
    ]
    assert data["findings"][0]["text"] == "jan@example.pl"
    assert data["risk"]["level"] == "critical" and data["risk"]["score"] == 94


def test_nothing_found_and_a_missing_file(tmp_path: Path) -> None:
    assert "Nothing found" in invoke("scan", input="Summarise the plot of Hamlet.").output
    missing = invoke("scan", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_invalid_utf8_is_scanned_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "binary.bin"
    path.write_bytes(b"\xff\xfe mail jan@example.pl \xc3\x28 \x00")
    result = run_script("scan", str(path), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [f["type"] for f in json.loads(result.stdout)["findings"]] == ["email"]
