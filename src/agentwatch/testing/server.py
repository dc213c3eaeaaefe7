"""Running the emulator: in a background thread (:class:`Emulator`) or in the foreground (:func:`serve`)."""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from starlette.applications import Starlette

from agentwatch.testing.app import create_app

__all__ = ["Emulator", "serve"]

logger = logging.getLogger(__name__)

_HOST = "127.0.0.1"
_START_TIMEOUT = 10.0


class Emulator:
    """The emulator served by uvicorn in a daemon thread on 127.0.0.1.

    ``port=0`` picks a free port. Use as a context manager, or call
    :meth:`start` and :meth:`stop`::

        with Emulator() as emulator:
            client = openai.OpenAI(api_key="test", base_url=emulator.openai_base_url)
    """

    def __init__(self, port: int = 0, *, app: Starlette | None = None) -> None:
        self.app = app if app is not None else create_app()
        self._requested_port = port
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{_HOST}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """``base_url`` for ``openai.OpenAI``: the URL plus ``/v1``."""
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        """``base_url`` for ``anthropic.Anthropic``: the URL itself."""
        return self.url

    def start(self) -> Self:
        """Bind the port, start serving, and return once the emulator answers."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        # An explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it every response waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((_HOST, self._requested_port))
        except OSError:
            sock.close()
            raise
        port: int = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            host=_HOST,
            port=port,
            log_level="warning",
            log_config=None,
            access_log=False,
            lifespan="off",
        )
        server = uvicorn.Server(config)
        # Off the main thread, uvicorn 0.54 installs no signal handlers (Server.capture_signals).
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"agentwatch-emulator-{port}", daemon=True
        )
        self._server, self._thread, self._port = server, thread, port
        thread.start()
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            sock.close()
            raise
        logger.debug("emulator serving on %s", self.url)
        return self

    def _wait_until_serving(self) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the emulator's server thread exited during startup")
            if time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start in time")
            time.sleep(0.005)
        connection = http.client.HTTPConnection(_HOST, self.port, timeout=_START_TIMEOUT)
        try:
            connection.request("GET", "/health")
            status = connection.getresponse().status
        finally:
            connection.close()
        if status != 200:
            raise RuntimeError(f"the emulator's health check answered {status}")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and join the thread, waiting at most about ``timeout`` seconds."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout / 2)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout / 2)
        if thread.is_alive():
            logger.warning("the emulator's server thread did not stop within %.1f s", timeout)
        self._server = self._thread = self._port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(host: str = _HOST, port: int = 8900) -> None:
    """Serve the emulator in the foreground until interrupted (``agentwatch emulator``)."""
    config = uvicorn.Config(
        create_app(), host=host, port=port, log_level="info", access_log=False, lifespan="off"
    )
    uvicorn.Server(config).run()
