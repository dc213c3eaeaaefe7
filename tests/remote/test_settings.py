"""Remote mode's settings: endpoint, api_key, spool_path, spool_size."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentwatch.config import ConfigError, load_settings
from agentwatch.remote import spool_file


def test_endpoint_and_key_from_the_environment_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "agentwatch.toml"
    path.write_text('[agentwatch]\nendpoint = "https://monitor.example:8787/"\nspool_size = 50\n')
    env = {"AGENTWATCH_API_KEY": "aw_secret_key_123"}
    s = load_settings(environ=env, config_file=path)
    assert s.endpoint == "https://monitor.example:8787"  # trailing slash dropped
    assert s.api_key is not None and s.api_key.get_secret_value() == "aw_secret_key_123"
    assert s.spool_size == 50
    assert "aw_secret_key_123" not in repr(s) and "aw_secret_key_123" not in str(s.model_dump())
    override = load_settings({"endpoint": "http://127.0.0.1:9000"}, environ=env, config_file=path)
    assert override.endpoint == "http://127.0.0.1:9000"


@pytest.mark.parametrize("bad", ["localhost:8787", "ftp://host", "http://", "127.0.0.1"])
def test_a_bad_endpoint_fails_at_configure_time(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match=r"endpoint \(from argument\): .*http:// or https://"):
        load_settings({"endpoint": bad}, environ={}, config_file=tmp_path / "none.toml")


def test_a_bad_spool_size_names_its_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"spool_size \(from environment\)"):
        load_settings(environ={"AGENTWATCH_SPOOL_SIZE": "0"}, config_file=tmp_path / "none.toml")


def test_the_spool_sits_beside_the_database_unless_placed(tmp_path: Path) -> None:
    none = tmp_path / "none.toml"
    s = load_settings({"database": "sqlite:////var/lib/app/agentwatch.db"}, environ={}, config_file=none)
    assert spool_file(s) == Path("/var/lib/app/agentwatch-spool.db")
    assert spool_file(load_settings(environ={}, config_file=none)) == Path("agentwatch-spool.db")
    placed = load_settings({"spool_path": str(tmp_path / "s.db")}, environ={}, config_file=none)
    assert spool_file(placed) == tmp_path / "s.db"
