"""Remote mode end to end: the real openai SDK against the emulator, agentwatch in remote mode,
the real ``agentwatch serve`` in a child process that is killed and restarted, the server's
SQLite counted at the end: every call arrives, exactly once."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai import APIStatusError, OpenAI

import agentwatch
from agentwatch.storage import EventFilter
from agentwatch.testing import Emulator
from tests.metrics_scrape import scrape, total
from tests.remote.helpers import free_port, spooled, stored_counts, wait_for
from tests.remote.ingest_server import Fault, IngestServer
from tests.remote.server_process import ServerProcess, clean_env

APP_SCRIPT = Path(__file__).with_name("app_script.py")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "server" / "agentwatch.db", free_port())
    proc.db.parent.mkdir()
    yield proc
    proc.kill()


@pytest.fixture
def app_db(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "app" / "agentwatch.db"
    agentwatch.shutdown()


def client(emulator: Emulator) -> OpenAI:
    return agentwatch.instrument(OpenAI(api_key="test", base_url=emulator.openai_base_url, max_retries=0))


def call(openai: OpenAI, i: int) -> None:
    openai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"call {i}"}])


def test_1000_calls_arrive_exactly_once_across_server_kills(
    emulator: Emulator, server: ServerProcess, app_db: Path
) -> None:
    key = server.create_key()
    server.start()
    agentwatch.configure(
        endpoint=server.url, api_key=key, database=f"sqlite:///{app_db}", flush_interval=0.05
    )
    openai = client(emulator)
    held_back = []
    for i in range(1000):
        if i in (250, 650):
            server.kill()
        if i in (500, 850):
            assert agentwatch.flush(10)
            held_back.append(agentwatch.status().spooled)
            server.start()
        call(openai, i)
    wait_for(lambda: stored_counts(server.db) == (1000, 1000), timeout=120, what="1000 distinct events")
    wait_for(lambda: agentwatch.status().spooled == 0, what="an empty spool")
    status = agentwatch.status()
    assert min(held_back) > 0  # the spool did hold events while the server was down
    assert (status.written, status.dropped) == (1000, 0)
    assert status.sent >= 1000  # a batch cut off by the kill may be sent twice; the server keeps one
    assert stored_counts(server.db) == (1000, 1000)


def test_server_down_from_the_start_then_up(emulator: Emulator, server: ServerProcess, app_db: Path) -> None:
    key = server.create_key()
    agentwatch.configure(
        endpoint=server.url, api_key=key, database=f"sqlite:///{app_db}", flush_interval=0.05
    )
    openai = client(emulator)
    for i in range(200):
        call(openai, i)
    assert agentwatch.flush(10)
    assert agentwatch.status().spooled == 200
    server.start()
    wait_for(lambda: stored_counts(server.db) == (200, 200), timeout=60, what="200 distinct events")
    wait_for(lambda: agentwatch.status().spooled == 0, what="an empty spool")
    assert agentwatch.status().dropped == 0
    agentwatch.shutdown()
    files = [*app_db.parent.iterdir(), *server.db.parent.iterdir()]  # spool, server store, server log
    assert {app_db.parent / "agentwatch-spool.db", server.db, server.log} <= set(files)
    assert not [path for path in files if key.encode() in path.read_bytes()]  # the key is written nowhere


def test_a_500ing_server_loses_nothing(emulator: Emulator, tmp_path: Path, app_db: Path) -> None:
    with IngestServer(tmp_path / "ingest.db") as ingest:
        ingest.state.faults.extend([Fault(500)] * 3)
        agentwatch.configure(endpoint=ingest.url, database=f"sqlite:///{app_db}", flush_interval=0.05)
        openai = client(emulator)
        for i in range(300):
            call(openai, i)
        wait_for(lambda: stored_counts(tmp_path / "ingest.db") == (300, 300), timeout=60, what="300 events")
        assert [r.status for r in ingest.state.requests[:3]] == [500] * 3
        assert agentwatch.status().dropped == 0


def test_the_spool_survives_a_process_restart(
    emulator: Emulator, server: ServerProcess, tmp_path: Path
) -> None:
    key = server.create_key()
    spool = tmp_path / "spool" / "remote.db"
    env = {
        **clean_env(),
        "AGENTWATCH_ENDPOINT": server.url,
        "AGENTWATCH_API_KEY": key,
        "AGENTWATCH_SPOOL_PATH": str(spool),
        "AGENTWATCH_DATABASE": f"sqlite:///{tmp_path / 'app' / 'agentwatch.db'}",
        "AGENTWATCH_SHUTDOWN_TIMEOUT": "0.5",
        "AGENTWATCH_CONFIG": os.devnull,
    }
    run = [sys.executable, str(APP_SCRIPT)]
    subprocess.run([*run, "50", emulator.openai_base_url], env=env, check=True, timeout=120)
    assert spooled(spool) == 50  # the server was down: the first run left all 50 behind
    server.start()
    env["AGENTWATCH_SHUTDOWN_TIMEOUT"] = "30"
    subprocess.run([*run, "0", emulator.openai_base_url], env=env, check=True, timeout=120)
    assert stored_counts(server.db) == (50, 50)  # the second run sent them before it exited
    assert spooled(spool) == 0


def test_the_server_counts_what_remote_apps_send_in_its_metrics(
    emulator: Emulator, server: ServerProcess, app_db: Path
) -> None:
    ingest, read = server.create_key("ingest"), server.create_key("read")
    server.start()
    agentwatch.configure(
        endpoint=server.url, api_key=ingest, database=f"sqlite:///{app_db}", flush_interval=0.05
    )
    openai = client(emulator)
    for i in range(20):
        call(openai, i)
    wait_for(lambda: stored_counts(server.db) == (20, 20), timeout=60, what="20 events")

    def requests_counted() -> float:
        samples, _ = scrape(server.url + "/metrics", {"Authorization": f"Bearer {read}"})
        labels = {"provider": "openai", "model": "gpt-4o-mini", "operation": "chat", "status": "ok"}
        return total(samples, "agentwatch_requests_total", **labels)

    wait_for(lambda: requests_counted() == 20, what="20 requests in /metrics")


def test_a_full_spool_drops_and_counts_new_events(
    emulator: Emulator, app_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    agentwatch.configure(endpoint=nobody, database=f"sqlite:///{app_db}", spool_size=5, shutdown_timeout=0.2)
    openai = client(emulator)
    for i in range(8):
        call(openai, i)
        assert agentwatch.flush(10)  # one write per call: three of them overflow
    status = agentwatch.status()
    assert (status.written, status.spooled, status.dropped, status.sent) == (5, 5, 3, 0)
    assert caplog.text.count("agentwatch-spool.db is full (5 events)") == 1  # once, not per write


FORK_SCRIPT = """
import os, sys, openai, agentwatch
agentwatch.configure()
client = agentwatch.instrument(openai.OpenAI(api_key="sk", base_url=sys.argv[1], max_retries=0))
client.chat.completions.create(model="parent-before", messages=[{"role": "user", "content": "x"}])
pid = os.fork()
if pid == 0:
    for _ in range(3):
        client.chat.completions.create(model="child", messages=[{"role": "user", "content": "x"}])
    agentwatch.shutdown()
    os._exit(0)
_, code = os.waitpid(pid, 0)
client.chat.completions.create(model="parent-after", messages=[{"role": "user", "content": "x"}])
sys.exit(code)
"""


def test_a_forked_child_sends_its_own_events(emulator: Emulator, tmp_path: Path) -> None:
    with IngestServer(tmp_path / "ingest.db") as ingest:
        env = {
            **clean_env(),
            "AGENTWATCH_ENDPOINT": ingest.url,
            "AGENTWATCH_DATABASE": f"sqlite:///{tmp_path / 'app' / 'agentwatch.db'}",
            "AGENTWATCH_CONFIG": os.devnull,
        }
        run = [sys.executable, "-c", FORK_SCRIPT, emulator.openai_base_url]
        result = subprocess.run(run, check=False, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        models = sorted(e.request_model or "" for e in ingest.state.store.events(EventFilter(), limit=100))
    assert models == ["child", "child", "child", "parent-after", "parent-before"]


def _anomaly_types(db: Path) -> list[str]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=10)
    try:
        return [row[0] for row in conn.execute("SELECT type FROM anomalies ORDER BY detected_ts")]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def test_the_server_raises_the_anomalies_not_the_app(
    emulator: Emulator, server: ServerProcess, app_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = server.create_key()
    server.start()
    agentwatch.configure(
        endpoint=server.url, api_key=key, database=f"sqlite:///{app_db}", flush_interval=0.05
    )
    openai = client(emulator)
    call(openai, 0)
    with pytest.raises(APIStatusError):
        openai.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "fails"}],
            extra_headers={"x-emulator-status": "500"},
        )
    wait_for(lambda: _anomaly_types(server.db) == ["request_failure"], what="the server's anomaly")
    assert agentwatch.flush(10)
    # the app raised nothing itself: no alert logged here, and no local database was made
    assert [r for r in caplog.records if r.name == "agentwatch.alerts"] == []
    assert not app_db.exists()
