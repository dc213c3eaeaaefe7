"""The emulator's ASGI application."""

from __future__ import annotations

from collections import Counter

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agentwatch.testing.anthropic_routes import anthropic_error, anthropic_models, messages
from agentwatch.testing.openai_responses import responses
from agentwatch.testing.openai_routes import chat_completions, embeddings, openai_error, openai_models
from agentwatch.testing.wire import count_request, json_response, provider_endpoint

__all__ = ["create_app"]


def _is_anthropic(request: Request) -> bool:
    return "anthropic-version" in request.headers


async def _health(request: Request) -> Response:
    count_request(request)
    return json_response({"status": "ok"})


async def _models(request: Request) -> Response:
    """``GET /v1/models``, in the shape of whichever SDK asks (Anthropic sends ``anthropic-version``)."""
    count_request(request)
    return json_response(anthropic_models() if _is_anthropic(request) else openai_models())


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods get the provider's JSON error rather than plain text."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = f"Unknown request URL: {request.method} {request.url.path} (emulator)"
    return anthropic_error(status, message) if _is_anthropic(request) else openai_error(status, message)


def create_app() -> Starlette:
    """Build the emulator app; ``app.state.requests`` counts requests by path."""
    app = Starlette(
        routes=[
            Route("/health", _health, methods=["GET"]),
            Route("/v1/models", _models, methods=["GET"]),
            Route(
                "/v1/chat/completions", provider_endpoint(openai_error, chat_completions), methods=["POST"]
            ),
            Route("/v1/responses", provider_endpoint(openai_error, responses), methods=["POST"]),
            Route("/v1/embeddings", provider_endpoint(openai_error, embeddings), methods=["POST"]),
            Route("/v1/messages", provider_endpoint(anthropic_error, messages), methods=["POST"]),
        ],
        exception_handlers={404: _http_error, 405: _http_error},
    )
    app.state.requests = Counter()
    return app
