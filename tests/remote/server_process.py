"""The real ``agentwatch serve`` as a child process, so a test can kill -9 it and start it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.remote.helpers import wait_for

AGENTWATCH = str(Path(sys.executable).parent / "agentwatch")


def clean_env() -> dict[str, str]:
    """The environment without AGENTWATCH_* (a test's remote-mode settings must not leak in)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AGENTWATCH_")}


class ServerProcess:
    def __init__(self, db: Path, port: int) -> None:
        self.db = db
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.url_db = f"sqlite:///{db}"
        self.log = db.with_suffix(".log")
        self._proc: subprocess.Popen[bytes] | None = None

    def create_key(self, *scopes: str) -> str:
        """A new API key (default scope: ingest), from `agentwatch keys create`."""
        flags = [arg for scope in scopes or ("ingest",) for arg in ("--scope", scope)]
        out = subprocess.run(
            [AGENTWATCH, "keys", "create", *flags, "--database", self.url_db],
            env=clean_env(),
            capture_output=True,
            check=True,
            timeout=60,
        )
        return out.stdout.decode().strip()

    def start(self) -> None:
        with self.log.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    AGENTWATCH,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--database",
                    self.url_db,
                ],
                env=clean_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._healthy, timeout=60, what=f"agentwatch serve on {self.url} (log: {self.log})")

    def _healthy(self) -> bool:
        assert self._proc is not None and self._proc.poll() is None, self.log.read_text()
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=1) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, requests in flight are cut off."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=30)
        self._proc = None
