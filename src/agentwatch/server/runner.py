"""Running the server: in the foreground (``agentwatch serve``) or in a thread (tests, benchmarks).

Both use uvicorn with the app's lifespan, so stopping drains the monitor: what the server
acknowledged is stored before it goes. In the foreground uvicorn handles SIGINT and SIGTERM.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

import uvicorn
from fastapi import FastAPI

from agentwatch.uvicorn_thread import UvicornThread

log = logging.getLogger(__name__)

#: Seconds open connections (a proxied stream) get to finish when the server stops.
GRACEFUL_SHUTDOWN = 30


def _config(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
    )


def serve(app: FastAPI, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM, then drain."""
    uvicorn.Server(_config(app, host, port, "info")).run()


class ServerThread:
    """The app served by uvicorn in a daemon thread on a loopback port (0: a free one)."""

    def __init__(self, app: FastAPI, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = 0
        self._runner = UvicornThread(
            app,
            host=host,
            port=port,
            name="agentwatch-serve",
            lifespan="on",
            graceful_shutdown=GRACEFUL_SHUTDOWN,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Self:
        self.port = self._runner.start(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, let open requests finish, drain the monitor, join the thread."""
        if not self._runner.stop(timeout):
            log.warning("the agentwatch server thread did not stop within %.1f s", timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
