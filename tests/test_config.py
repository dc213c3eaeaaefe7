"""Settings precedence (argument > env > file > default) and clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentwatch.config import ConfigError, load_settings


def test_defaults(tmp_path: Path) -> None:
    s = load_settings(environ={}, config_file=tmp_path / "none.toml")
    assert s.database == "sqlite:///./agentwatch.db"
    assert s.capture_content is False


def test_precedence(tmp_path: Path) -> None:
    path = tmp_path / "agentwatch.toml"
    path.write_text('[agentwatch]\ndatabase = "sqlite:///file.db"\nqueue_size = 7\nbatch_size = 3\n')
    env = {"AGENTWATCH_DATABASE": "sqlite:///env.db", "AGENTWATCH_QUEUE_SIZE": "9"}
    s = load_settings({"database": "sqlite:///arg.db"}, environ=env, config_file=path)
    assert (s.database, s.queue_size, s.batch_size) == ("sqlite:///arg.db", 9, 3)
    assert load_settings(environ={"AGENTWATCH_CONFIG": str(path)}).batch_size == 3


def test_bad_values_name_their_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"queue_size \(from environment\)"):
        load_settings(environ={"AGENTWATCH_QUEUE_SIZE": "lots"}, config_file=tmp_path / "x.toml")
    with pytest.raises(ConfigError, match="only sqlite"):
        load_settings({"database": "mysql://x"}, environ={}, config_file=tmp_path / "x.toml")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"colour": "red"}, environ={}, config_file=tmp_path / "x.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("database = ")
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(environ={}, config_file=broken)


@pytest.mark.parametrize(
    ("name", "value", "read", "expected"),
    [
        ("ANOMALIES", '{"latency_threshold_ms": 100}', lambda s: s.anomalies.latency_threshold_ms, 100),
        ("BUDGETS", '{"user": {"daily_usd": 5}}', lambda s: s.budgets.user.daily_usd, 5),
        ("ALERTS", '{"cooldown_seconds": 60}', lambda s: s.alerts.cooldown_seconds, 60),
        ("SERVER", '{"port": 9999}', lambda s: s.server.port, 9999),
        ("DETECTORS", '{"max_chars": 1000}', lambda s: s.detectors.max_chars, 1000),
        ("REDACTION", '{"default": "hash"}', lambda s: s.redaction.default, "hash"),
    ],
)
def test_a_table_in_the_environment_is_one_json_object(
    tmp_path: Path, name: str, value: str, read: Any, expected: object
) -> None:
    settings = load_settings(environ={f"AGENTWATCH_{name}": value}, config_file=tmp_path / "x.toml")
    assert read(settings) == expected


def test_a_table_that_is_not_json_names_its_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"anomalies \(from environment\)"):
        load_settings(environ={"AGENTWATCH_ANOMALIES": "latency=100"}, config_file=tmp_path / "x.toml")


def test_a_misspelt_setting_in_the_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "agentwatch.toml"
    path.write_text("[agentwatch]\ncapture_contnet = true\n")
    with pytest.raises(ConfigError, match=r"unknown setting.*capture_contnet"):
        load_settings(environ={}, config_file=path)
