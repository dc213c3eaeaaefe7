"""API keys: missing, unknown, wrong scope, revoked; the proxy's own header; auth off on loopback
only; per-key rate limits on ingest; the provider's key never stored."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import openai
import pytest
from typer.testing import CliRunner

from agentwatch.cli.app import app as cli
from agentwatch.config import ConfigError, load_settings
from agentwatch.server.ratelimit import RateLimiter
from agentwatch.storage.keys import KeyStore
from tests.server.conftest import Served

READ = "/api/v1/events"
INGEST = "/api/v1/events"


def status(served: Served, method: str, path: str, headers: dict[str, str]) -> int:
    with served.client() as client:
        if method == "GET":
            return client.get(path, headers=headers).status_code
        return client.post(path, json={"events": []}, headers=headers).status_code


def test_every_route_but_health_needs_a_key(served: Served) -> None:
    for method, path in [("GET", READ), ("GET", "/api/v1/stats"), ("GET", "/api/v1/anomalies"),
                         ("GET", "/metrics"), ("GET", "/openapi.json"), ("POST", INGEST), ("POST", "/v1/traces"),
                         ("POST", "/proxy/openai/v1/chat/completions")]:  # fmt: skip
        assert status(served, method, path, {}) == 401, path
        assert status(served, method, path, {"Authorization": "Bearer aw_nope_nope"}) == 401, path
    assert status(served, "GET", "/health", {}) == 200


@pytest.mark.parametrize("path", [INGEST, "/v1/traces", "/proxy/openai/v1/chat/completions"])
def test_an_unknown_caller_is_refused_before_its_body_is_read(served: Served, path: str) -> None:
    """Headers announcing 50 MB and no body: without a key the answer comes at once, not after
    the server has waited for (and buffered) the body."""
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {50 * 1024 * 1024}\r\n\r\n".encode()
        )
        reply = sock.recv(4096).decode("latin-1")
    assert reply.startswith("HTTP/1.1 401"), reply[:200]
    assert "www-authenticate: Bearer" in reply.lower().replace(
        "www-authenticate: bearer", "www-authenticate: Bearer"
    )


def test_scopes(served: Served) -> None:
    assert status(served, "GET", READ, served.headers(served.ingest_key)) == 403
    assert status(served, "POST", INGEST, served.headers(served.read_key)) == 403
    assert status(served, "GET", READ, served.headers(served.read_key)) == 200
    assert status(served, "POST", INGEST, served.headers(served.ingest_key)) == 200
    assert status(served, "GET", READ, served.headers(served.admin_key)) == 200
    assert status(served, "POST", INGEST, {"X-Agentwatch-Key": served.admin_key}) == 200


def test_a_revoked_key_is_refused_at_once(served: Served) -> None:
    assert status(served, "GET", READ, served.headers(served.read_key)) == 200
    keys = KeyStore(served.db_path)
    try:
        assert keys.revoke(served.read_record.key_id)
    finally:
        keys.close()
    assert status(served, "GET", READ, served.headers(served.read_key)) == 401


def test_a_tampered_key_with_a_real_id_is_refused(served: Served) -> None:
    tampered = served.read_key[:-4] + ("AAAA" if not served.read_key.endswith("AAAA") else "BBBB")
    assert status(served, "GET", READ, served.headers(tampered)) == 401


def test_the_proxy_takes_its_key_from_x_agentwatch_key_and_passes_authorization_on(served: Served) -> None:
    provider_key = "sk-provider-secret-0123456789"
    client = openai.OpenAI(api_key=provider_key, base_url=f"{served.url}/proxy/openai/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError):  # no agentwatch key: the proxy refuses
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    client = client.with_options(default_headers={"X-Agentwatch-Key": served.ingest_key})
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert len(served.events()) == 1
    stored = b"".join(p.read_bytes() for p in served.db_path.parent.glob(served.db_path.name + "*"))
    assert provider_key.encode() not in stored
    assert served.ingest_key.encode() not in stored


def test_auth_off_is_for_loopback_only(serve: Callable[..., Served]) -> None:
    served = serve(auth=False)
    assert status(served, "GET", READ, {}) == 200
    assert status(served, "POST", INGEST, {}) == 200
    with pytest.raises(ConfigError, match="loopback"):
        load_settings({"server": {"host": "0.0.0.0", "auth": False}})


def test_ingest_is_rate_limited_per_key(serve: Callable[..., Served]) -> None:
    served = serve(ingest_rate=0.001, ingest_burst=2)
    codes = [status(served, "POST", INGEST, served.headers(served.ingest_key)) for _ in range(3)]
    assert codes == [200, 200, 429]
    assert (
        status(served, "POST", INGEST, served.headers(served.admin_key)) == 200
    )  # another key, another bucket
    with served.client() as client:
        reply = client.post(INGEST, json={"events": []}, headers=served.headers(served.ingest_key))
    assert int(reply.headers["retry-after"]) >= 1


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=2, clock=lambda: now[0])
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.5]
    now[0] = 0.5
    assert limiter.acquire("k") == 0.0
    assert limiter.acquire("k") == 0.5
    assert limiter.acquire("other") == 0.0


def test_keys_cli_create_list_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    database = f"sqlite:///{tmp_path}/keys.db"
    created = runner.invoke(
        cli,
        ["keys", "create", "--name", "ci", "--scope", "read", "--scope", "ingest", "--database", database],
    )
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    keys = KeyStore(tmp_path / "keys.db")
    try:
        record = keys.verify(key)
    finally:
        keys.close()
    assert record is not None and sorted(record.scopes) == ["ingest", "read"] and record.name == "ci"
    listed = runner.invoke(cli, ["keys", "list", "--json", "--database", database])
    assert f'"key_id": "{record.key_id}"' in listed.stdout and key not in listed.stdout
    assert runner.invoke(cli, ["keys", "revoke", record.key_id, "--database", database]).exit_code == 0
    assert runner.invoke(cli, ["keys", "revoke", record.key_id, "--database", database]).exit_code == 1
    assert (
        '"revoked_at": null'
        not in runner.invoke(cli, ["keys", "list", "--json", "--database", database]).stdout
    )


def test_serve_refuses_no_auth_on_a_public_host(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["serve", "--host", "0.0.0.0", "--no-auth", "--database", f"sqlite:///{tmp_path}/x.db"]
    )
    assert result.exit_code == 2
    assert "loopback" in result.output
