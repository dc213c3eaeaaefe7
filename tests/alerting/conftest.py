"""Real receivers on loopback: an HTTP server that records what it gets (or fails, or hangs) and an
SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from agentwatch.model import Anomaly, Severity


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """``status``: what to answer; ``hang``: seconds to wait before answering (a receiver that times out)."""

    url: str = ""
    status: int = 200
    hang: float = 0.0
    requests: list[Received] = field(default_factory=list)
    got: threading.Event = field(default_factory=threading.Event)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            receiver.got.set()
            if receiver.hang:
                time.sleep(receiver.hang)
            self.send_response(receiver.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve()


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    yield from _serve()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client gave up on a hanging answer: expected here


def _serve() -> Iterator[Receiver]:
    receiver = Receiver()
    server = _Server(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with socket.socket() as probe:  # a free port: aiosmtpd checks it is up by connecting to it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox("127.0.0.1", port)
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def anomaly(
    severity: Severity = Severity.HIGH, type_: str = "cost_spike", fp: str = "fp-1", n: int = 1
) -> Anomaly:
    return Anomaly(
        anomaly_id=f"an-{n}",
        type=type_,
        severity=severity,
        description="Cost $0.0400 is 36.4x the usual for openai/gpt-4o-mini",
        detected_at=datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
        observed=0.04,
        threshold=0.0033,
        baseline=0.0011,
        window="EWMA of 30 events",
        scope={"provider": "openai", "model": "gpt-4o-mini"},
        event_ids=["e41"],
        recommended_action="Look for a prompt or loop that grew; set a budget",
        fingerprint=fp,
    )
