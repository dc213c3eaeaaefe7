"""``agentwatch serve`` as a process: SIGTERM lets it drain what it recorded into the store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from agentwatch.storage import EventFilter, SQLiteStorage
from agentwatch.testing import Emulator

AGENTWATCH = str(Path(sys.executable).parent / "agentwatch")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_sigterm_drains_the_pipeline(tmp_path: Path, emulator: Emulator) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTWATCH_")}
    args = [AGENTWATCH, "serve", "--port", str(port), "--no-auth", "--openai-upstream", emulator.url]
    proc = subprocess.Popen(
        [*args, "--database", f"sqlite:///{tmp_path}/db.sqlite"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        with httpx2.Client(timeout=30) as client:
            for _ in range(300):  # wait for it to listen
                try:
                    if client.get(f"{url}/health").status_code == 200:
                        break
                except httpx2.HTTPError:
                    time.sleep(0.05)
            for i in range(20):
                reply = client.post(
                    f"{url}/proxy/openai/v1/chat/completions",
                    json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"hi {i}"}]},
                )
                assert reply.status_code == 200
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down (the lifespan drains the monitor), then re-raises the signal it caught.
        assert proc.wait(60) == -signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stderr is not None
    assert b"no auth: loopback only" in proc.stderr.read()
    store = SQLiteStorage(tmp_path / "db.sqlite")
    try:
        assert len(store.events(EventFilter(), 100)) == 20
    finally:
        store.close()
