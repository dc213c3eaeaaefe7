"""The proxy streams: the first event reaches the app before the provider has sent the rest.
Also: a client that leaves mid-stream, an unreachable provider, and a shutdown that drains."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import anyio.to_thread
import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from agentwatch.model import Status
from agentwatch.storage import EventFilter, SQLiteStorage
from agentwatch.testing import Emulator
from tests.server.conftest import Served


def chunk(payload: dict[str, object]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


FIRST = chunk({"id": "c1", "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": {"content": "Hel"}}]})
LAST = chunk(
    {
        "id": "c1",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
)


class GatedUpstream:
    """Sends the first chunk, then holds the rest until the test says the first one arrived."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.released_in_time = False
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self.chat, methods=["POST"]),
                Route("/health", lambda request: PlainTextResponse("ok")),
            ]
        )

    async def chat(self, request: Request) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield FIRST
            self.released_in_time = await anyio.to_thread.run_sync(self.release.wait, 20)
            yield LAST
            yield b"data: [DONE]\n\n"

        return StreamingResponse(body(), media_type="text/event-stream")


@pytest.fixture
def gated() -> Iterator[tuple[GatedUpstream, Emulator]]:
    upstream = GatedUpstream()
    with Emulator(app=upstream.app) as server:
        yield upstream, server


def _stream_request(served: Served) -> dict[str, object]:
    return {
        "method": "POST",
        "url": f"{served.url}/proxy/openai/v1/chat/completions",
        "json": {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
        "headers": {"X-Agentwatch-Key": served.ingest_key, "Authorization": "Bearer sk-x"},
    }


def test_the_first_event_is_passed_on_before_the_rest_exists(
    serve: Callable[..., Served], gated: tuple[GatedUpstream, Emulator]
) -> None:
    upstream, server = gated
    served = serve(openai_upstream=server.url)
    with httpx2.Client(timeout=30) as client, client.stream(**_stream_request(served)) as reply:  # type: ignore[arg-type]
        events = reply.iter_lines()
        assert next(events) == FIRST.decode().strip()
        upstream.release.set()  # only now may the provider send the rest
        rest = list(events)
    assert upstream.released_in_time, "the proxy held the first chunk back until the stream ended"
    assert LAST.decode().strip() in rest
    [event] = served.events()
    assert (event.usage.input_tokens, event.usage.output_tokens, event.status) == (3, 2, Status.OK)
    assert event.stream


def test_a_client_leaving_mid_stream_is_recorded_as_incomplete(
    serve: Callable[..., Served], gated: tuple[GatedUpstream, Emulator]
) -> None:
    upstream, server = gated
    served = serve(openai_upstream=server.url)
    with httpx2.Client(timeout=30) as client, client.stream(**_stream_request(served)) as reply:  # type: ignore[arg-type]
        assert next(reply.iter_lines()) == FIRST.decode().strip()
    upstream.release.set()
    for _ in range(200):  # the server notices the disconnect when it next writes
        if served.events():
            break
        threading.Event().wait(0.05)
    [event] = served.events()
    assert event.status is Status.INCOMPLETE
    assert event.request_model == "gpt-4o-mini"


def test_an_unreachable_provider_is_a_502_and_a_recorded_failure(serve: Callable[..., Served]) -> None:
    served = serve(openai_upstream="http://127.0.0.1:9")  # discard port: nothing listens
    request = _stream_request(served)
    with httpx2.Client(timeout=30) as client:
        reply = client.request(**request)  # type: ignore[arg-type]
    assert reply.status_code == 502
    [event] = served.events()
    assert event.status is Status.ERROR and event.error is not None
    assert event.error.type == "APIConnectionError"


def test_stopping_the_server_drains_what_it_recorded(served: Served) -> None:
    with httpx2.Client(timeout=30) as client:
        for _ in range(5):
            reply = client.post(
                f"{served.url}/proxy/openai/v1/chat/completions",
                json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
                headers={"X-Agentwatch-Key": served.ingest_key},
            )
            assert reply.status_code == 200
    served.stop()  # no flush first: the lifespan's shutdown must drain the monitor
    store = SQLiteStorage(served.db_path)
    try:
        assert len(store.events(EventFilter(), 100)) == 5
    finally:
        store.close()
