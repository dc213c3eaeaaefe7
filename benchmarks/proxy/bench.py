"""Proxy added latency and OTLP ingest rate, against a baseline measured in the same run.

Latency: the same chat request sent straight to the provider emulator and through
``agentwatch serve``'s proxy (auth on, recording on), in blocks that alternate in random order;
p50 and p99 of each path and the difference (added latency), non-streaming and streaming (time
to first byte and to the last). OTLP: exports of N GenAI spans, protobuf, posted back to back by
one client and by several; spans stored per second (the reply comes after the commit).

    .venv/bin/python benchmarks/proxy/bench.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from agentwatch.storage.keys import KeyStore, Scope

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}
STREAM_BODY = {**BODY, "stream": True, "stream_options": {"include_usage": True}}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_call(
    client: httpx2.Client, url: str, body: dict[str, object], headers: dict[str, str]
) -> tuple[float, float]:
    """(time to first byte, time to last byte) in microseconds."""
    start = time.perf_counter_ns()
    first = 0
    with client.stream("POST", url, json=body, headers=headers) as reply:
        for _ in reply.iter_raw():
            if not first:
                first = time.perf_counter_ns()
    end = time.perf_counter_ns()
    return (first - start) / 1000, (end - start) / 1000


def latency(
    client: httpx2.Client,
    direct: str,
    proxied: str,
    key: str,
    body: dict[str, object],
    blocks: int,
    per_block: int,
) -> dict[str, dict[str, list[float]]]:
    paths = {
        "direct": (direct, {"Authorization": "Bearer sk-test"}),
        "proxy": (proxied, {"Authorization": "Bearer sk-test", "X-Agentwatch-Key": key}),
    }
    samples: dict[str, dict[str, list[float]]] = {name: {"first": [], "last": []} for name in paths}
    for url, headers in paths.values():  # warm-up: connections, code paths
        for _ in range(20):
            timed_call(client, url, body, headers)
    for _ in range(blocks):
        order = list(paths)
        random.shuffle(order)
        for name in order:
            url, headers = paths[name]
            for _ in range(per_block):
                first, last = timed_call(client, url, body, headers)
                samples[name]["first"].append(first)
                samples[name]["last"].append(last)
    return samples


def report_latency(title: str, samples: dict[str, dict[str, list[float]]], which: str) -> None:
    direct, proxy = samples["direct"][which], samples["proxy"][which]
    d50, p50 = statistics.median(direct), statistics.median(proxy)
    d99, p99 = percentile(direct, 0.99), percentile(proxy, 0.99)
    print(
        f"| {title} | {len(proxy)} | {d50:,.0f} | {p50:,.0f} | **+{p50 - d50:,.0f}** | {d99:,.0f} | {p99:,.0f} | +{p99 - d99:,.0f} |"
    )


def span_export(batch: int, seq: int) -> bytes:
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 40,
    }
    now = time.time_ns()
    for i in range(batch):
        span = spans.add()
        span.trace_id = os.urandom(16)
        span.span_id = (seq * batch + i + 1).to_bytes(8, "big")
        span.name = "chat gpt-4o-mini"
        span.start_time_unix_nano = now
        span.end_time_unix_nano = now + 300_000_000
        for name, value in attrs.items():
            any_value = AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value)
            span.attributes.append(KeyValue(key=name, value=any_value))
    return request.SerializeToString()


def otlp_rate(url: str, key: str, batch: int, requests: int, clients: int) -> float:
    bodies = [span_export(batch, seq) for seq in range(requests * clients)]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-protobuf"}

    def send(part: list[bytes]) -> None:
        with httpx2.Client(timeout=60) as client:
            for body in part:
                reply = client.post(f"{url}/v1/traces", content=body, headers=headers)
                assert reply.status_code == 200, reply.text

    parts = [bodies[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=send, args=(part,)) for part in parts]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(bodies) * batch / (time.perf_counter() - start)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def process(args: list[str], url: str, env: dict[str, str]) -> Iterator[str]:
    """A command in its own process (its own GIL, as in production), until it answers /health."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            try:
                if httpx2.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                time.sleep(0.02)
        else:
            raise RuntimeError(f"{args[1]} did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


@contextmanager
def services(tmp: Path) -> Iterator[tuple[str, str, str]]:
    """The emulator and agentwatch serve (proxying to it), each in a process: (emulator, server, key)."""
    db = tmp / "bench.db"
    keys = KeyStore(db)
    key, _ = keys.create("bench", {Scope.ADMIN})
    keys.close()
    (tmp / "agentwatch.toml").write_text(
        "[agentwatch.server]\ningest_rate = 1e9\ningest_burst = 1000000000\n"
    )
    env = {**os.environ, "AGENTWATCH_CONFIG": str(tmp / "agentwatch.toml")}
    env.pop("AGENTWATCH_ENDPOINT", None)
    cli = str(Path(sys.executable).with_name("agentwatch"))
    emulator_port, server_port = free_port(), free_port()
    emulator_url, server_url = f"http://127.0.0.1:{emulator_port}", f"http://127.0.0.1:{server_port}"
    with (
        process([cli, "emulator", "--port", str(emulator_port)], emulator_url, env),
        process(
            [
                cli,
                "serve",
                "--port",
                str(server_port),
                "--database",
                f"sqlite:///{db}",
                "--openai-upstream",
                emulator_url,
            ],
            server_url,
            env,
        ),
    ):
        yield emulator_url, server_url, key


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    blocks, per_block = (6, 25) if args.quick else (20, 50)
    otlp_requests = 10 if args.quick else 40

    with tempfile.TemporaryDirectory() as tmp, services(Path(tmp)) as (emulator, url, key):
        with httpx2.Client(timeout=30) as client:
            direct = f"{emulator}/v1/chat/completions"
            proxied = f"{url}/proxy/openai/v1/chat/completions"
            print(
                f"Proxy added latency: {blocks} blocks x {per_block} calls per path, alternating in random order; microseconds.\n"
            )
            print("| call | n | direct p50 | proxy p50 | added p50 | direct p99 | proxy p99 | added p99 |")
            print("|---|---|---|---|---|---|---|---|")
            plain = latency(client, direct, proxied, key, BODY, blocks, per_block)
            report_latency("chat, non-streaming", plain, "last")
            streamed = latency(client, direct, proxied, key, STREAM_BODY, blocks, per_block)
            report_latency("chat, streaming: first byte", streamed, "first")
            report_latency("chat, streaming: last byte", streamed, "last")
        print(
            f"\nOTLP/HTTP ingest: protobuf exports of GenAI spans, replies after the commit; {otlp_requests} exports per client.\n"
        )
        print("| spans per export | clients | spans stored per second |")
        print("|---|---|---|")
        for batch, clients in ((100, 1), (512, 1), (512, 4)):
            rate = otlp_rate(url, key, batch, otlp_requests, clients)
            print(f"| {batch} | {clients} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
