"""Running the emulator: in a background thread (:class:`Emulator`) or in the foreground (:func:`serve`)."""

from __future__ import annotations

import http.client
import logging
from types import TracebackType
from typing import Self

import uvicorn
from starlette.applications import Starlette

from agentwatch.testing.app import create_app
from agentwatch.uvicorn_thread import UvicornThread

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
        self._runner = UvicornThread(self.app, host=_HOST, port=port, name="agentwatch-emulator")

    @property
    def port(self) -> int:
        if self._runner.port is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._runner.port

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
        if self._runner.running:
            raise RuntimeError("the emulator is already running")
        self._runner.start(_START_TIMEOUT)
        try:
            self._check_health()
        except BaseException:
            self.stop()
            raise
        logger.debug("emulator serving on %s", self.url)
        return self

    def _check_health(self) -> None:
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
        if not self._runner.stop(timeout / 2):
            logger.warning("the emulator's server thread did not stop within %.1f s", timeout)

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
