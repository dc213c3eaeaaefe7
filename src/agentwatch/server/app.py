"""The ASGI app: ``create_app(settings)`` wires the monitor, the store, keys and the routes.

``uvicorn agentwatch.server.app:create_app --factory`` serves it with the settings from the
environment and ``agentwatch.toml``; ``agentwatch serve`` does the same with its options on top.
The server stores into its own SQLite database even when ``endpoint`` (remote mode) is set in its
environment. On shutdown the monitor drains: what was accepted is stored before the process exits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import aiohttp
import anyio.to_thread
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agentwatch import __version__
from agentwatch.config import Settings, load_settings
from agentwatch.metrics import Metrics
from agentwatch.runtime import Monitor
from agentwatch.server import api, otlp, otlp_status, proxy
from agentwatch.server.auth import Authenticator, require
from agentwatch.server.body import BodyLimit
from agentwatch.server.ingest import Ingestor
from agentwatch.server.proxy import PREFIX, Proxy
from agentwatch.server.ratelimit import RateLimiter
from agentwatch.storage import SQLiteStorage
from agentwatch.storage.keys import ApiKey, KeyStore, Scope


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's JSON error, except on the OTLP route, whose exporters expect a ``Status``."""
    if not isinstance(exc, HTTPException):
        raise exc
    if request.url.path == otlp_status.PATH:
        return otlp.http_error(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))
    return await http_exception_handler(request, exc)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 with where and why, without echoing the input back (a batch can be megabytes, and private)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors[:20]
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The server for ``settings`` (default: environment, ``agentwatch.toml``, defaults)."""
    settings = settings or load_settings()
    # An endpoint set for the apps sharing this environment is not the server's: it stores, analyses
    # and alerts locally (as a remote-mode monitor, it would find no anomalies).
    settings = settings.model_copy(update={"endpoint": None})
    config = settings.server
    monitor = Monitor(settings, storage_factory=lambda s: SQLiteStorage(s.sqlite_path))
    metrics = Metrics(status=monitor.status)
    monitor.listeners.append(metrics.on_event)
    storage = SQLiteStorage(settings.sqlite_path)
    keys = KeyStore(settings.sqlite_path) if config.auth else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=config.upstream_timeout, connect=10.0)
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
        async with aiohttp.ClientSession(
            timeout=timeout, connector=connector, auto_decompress=False, skip_auto_headers=("User-Agent",)
        ) as http:
            app.state.http = http
            try:
                yield
            finally:
                await anyio.to_thread.run_sync(monitor.shutdown)
                storage.close()
                if keys is not None:
                    keys.close()

    app = FastAPI(
        title="agentwatch",
        version=__version__,
        description="Ingest and read agentwatch events; OTLP/HTTP trace receiver.",
        lifespan=lifespan,
        openapi_url=None,  # served below, behind a key like every route but /health
        docs_url=None,
        redoc_url=None,
    )
    app.state.monitor = monitor
    app.state.storage = storage
    auth = app.state.auth = Authenticator(keys)
    app.state.ingestor = Ingestor(
        monitor, RateLimiter(config.ingest_rate, config.ingest_burst), config.commit_timeout
    )
    app.state.upstreams = proxy.upstreams(config.openai_upstream, config.anthropic_upstream)
    app.add_middleware(Proxy)
    app.add_middleware(  # outermost: limits the proxy's bodies too
        BodyLimit,
        max_bytes=config.max_body_bytes,
        passthrough_prefix=PREFIX,
        passthrough_max_bytes=config.proxy_max_body_bytes,
        admits=lambda headers, proxy: auth.admits(headers, proxy=proxy),
    )
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.include_router(api.router)
    app.include_router(otlp.router)

    @app.get("/health", summary="Liveness (no key needed)")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def prometheus(_key: Annotated[ApiKey, Depends(require(Scope.READ))]) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(
        _key: Annotated[ApiKey, Depends(require(Scope.READ))], request: Request
    ) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    return app
