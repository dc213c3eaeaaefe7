"""An ASGI app served by uvicorn in a daemon thread on a socket bound up front.

What the provider emulator (tests, the demo) and ``agentwatch serve`` in tests and benchmarks
share. Binding the socket before the thread starts gives the port at once (0 picks a free one);
off the main thread uvicorn installs no signal handlers, so the caller stops it with :meth:`stop`.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Literal

import uvicorn


class UvicornThread:
    def __init__(
        self,
        app: Any,
        *,
        host: str,
        port: int = 0,
        name: str,
        lifespan: Literal["on", "off"] = "off",
        graceful_shutdown: int | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.name = name
        self.lifespan = lifespan
        self.graceful_shutdown = graceful_shutdown
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, timeout: float) -> int:
        """Bind, serve, and return the port once uvicorn has started (RuntimeError if it does not)."""
        if self._thread is not None:
            raise RuntimeError(f"{self.name} is already running")
        # An explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it every response waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.requested_port))
        except OSError:
            sock.close()
            raise
        port: int = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=port,
            log_level="warning",
            log_config=None,
            access_log=False,
            lifespan=self.lifespan,
            timeout_graceful_shutdown=self.graceful_shutdown,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"{self.name}-{port}", daemon=True
        )
        self._server, self._thread, self.port = server, thread, port
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop(timeout)
                sock.close()
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0.005)
        return port

    def stop(self, timeout: float) -> bool:
        """Stop accepting, let open requests finish (within ``timeout``), join the thread.

        Past the timeout uvicorn is told to exit at once; returns False if even that did not end it.
        """
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return True
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout / 2)
        self._server = self._thread = None
        self.port = None
        return not thread.is_alive()
