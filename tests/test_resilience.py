"""The host app never pays for agentwatch's troubles: failing stores, full queues, fork, exit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import openai
import pytest

import agentwatch
from agentwatch.config import Settings, load_settings
from agentwatch.model import Anomaly, LLMCall, Usage
from agentwatch.runtime import Monitor
from agentwatch.storage import EventFilter, ProcessReport, SQLiteStorage, Stats
from agentwatch.testing import Emulator
from tests.conftest import Recorder

MESSAGES = [{"role": "user", "content": "hello"}]


class BrokenStore:
    """A store whose every write fails, like a full disk or a database that is down."""

    def __init__(self) -> None:
        self.attempts = 0

    def write_events(self, events: list[LLMCall]) -> list[LLMCall]:
        self.attempts += 1
        raise OSError(28, "No space left on device")

    def write_anomalies(self, anomalies: list[Anomaly]) -> None:
        raise OSError(28, "No space left on device")

    def events(self, where: EventFilter, limit: int = 20, *, min_risk: int | None = None) -> list[LLMCall]:
        return []

    def anomalies(self, since: object = None, limit: int = 10) -> list[Anomaly]:
        return []

    def stats(self, where: EventFilter) -> Stats:
        raise NotImplementedError

    def write_report(self, report: ProcessReport) -> None:
        raise OSError(28, "No space left on device")

    def reports(self, since: object = None) -> list[ProcessReport]:
        return []

    def delete_before(self, cutoff: object) -> int:
        return 0

    def close(self) -> None:
        pass


def test_a_store_that_always_fails_never_reaches_the_app(emulator: Emulator, tmp_path: Path) -> None:
    store = BrokenStore()
    settings = Settings(database=f"sqlite:///{tmp_path}/x.db", queue_size=5, flush_interval=0.05)
    monitor = Monitor(settings, storage_factory=lambda s: store)
    client = openai.OpenAI(api_key="sk", base_url=emulator.openai_base_url, max_retries=0)
    from agentwatch.capture import find_integration
    from agentwatch.capture.record import ClientDefaults

    find_integration(client).instrument(client, ClientDefaults(provider="openai"), monitor.submit)
    for _ in range(12):
        response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert response.choices[0].message.content
        monitor.flush(5)
    status = monitor.status()
    assert store.attempts >= 12
    assert status.written == 0
    assert status.errors >= 12
    assert status.pending == 5  # kept for retry, up to queue_size
    assert status.dropped == 7  # the rest is dropped, and counted
    monitor.shutdown(1)


def test_the_store_recovers_and_nothing_kept_back_is_lost(emulator: Emulator, tmp_path: Path) -> None:
    real = SQLiteStorage(tmp_path / "ok.db")
    broken = BrokenStore()
    current: list[object] = [broken]
    settings = Settings(database=f"sqlite:///{tmp_path}/ok.db", flush_interval=0.05)
    monitor = Monitor(settings, storage_factory=lambda s: current[0])  # type: ignore[arg-type,return-value]
    client = openai.OpenAI(api_key="sk", base_url=emulator.openai_base_url, max_retries=0)
    from agentwatch.capture import find_integration
    from agentwatch.capture.record import ClientDefaults

    find_integration(client).instrument(client, ClientDefaults(provider="openai"), monitor.submit)
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    monitor.flush(5)
    assert monitor.status().pending == 3
    current[0] = real
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    monitor.flush(5)
    assert monitor.status().written == 4
    assert len(real.events(EventFilter(), 10)) == 4
    monitor.shutdown(1)


def test_a_full_queue_drops_and_counts_without_blocking(tmp_path: Path) -> None:
    from agentwatch.transport import BatchQueue

    handled: list[int] = []
    queue: BatchQueue[int] = BatchQueue(handled.extend, max_size=3, batch_size=100, interval=60)
    for i in range(10):
        queue.submit(i)
    assert queue.status().dropped == 7
    assert queue.status().queue_depth == 3
    assert queue.flush(5)
    assert handled == [0, 1, 2]
    queue.shutdown(1)


def test_the_queue_bound_counts_the_events_of_a_submission() -> None:
    """The server queues ingest requests of many events each: the bound is on events, not requests."""
    from agentwatch.transport import BatchQueue

    handled: list[list[str]] = []
    release = threading.Event()

    def slow(batch: list[list[str]]) -> None:
        release.wait(10)
        handled.extend(batch)

    queue: BatchQueue[list[str]] = BatchQueue(slow, max_size=100, batch_size=1, interval=60, weigh=len)
    first = ["a"] * 150  # heavier than the whole queue: taken, as the queue is empty
    assert queue.offer(first, weight=len(first))
    queue.wake()
    while queue.status().queue_depth:  # the worker has taken it and is busy with it
        time.sleep(0.01)
    assert queue.offer(["b"] * 60, weight=60)
    assert queue.offer(["c"] * 40, weight=40)
    assert queue.status().queue_depth == 100
    assert not queue.offer(["d"] * 2, weight=2)  # full: 100 events wait
    assert not queue.offer(["e"])
    release.set()
    assert queue.flush(5)
    assert queue.status().queue_depth == 0 and queue.status().dropped == 2
    assert queue.offer(["f"] * 100, weight=100)
    assert queue.flush(5)
    assert [len(b) for b in handled] == [150, 60, 40, 100]
    queue.shutdown(1)


def test_a_handler_exception_is_counted_not_raised() -> None:
    from agentwatch.transport import BatchQueue

    def boom(batch: list[int]) -> None:
        if batch:
            raise RuntimeError("bug in a stage")

    queue: BatchQueue[int] = BatchQueue(boom, interval=0.01)
    queue.submit(1)
    assert queue.flush(5)
    assert queue.status().handler_errors == 1
    queue.shutdown(1)


def _run(script: str, env_db: Path, emulator: Emulator) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTWATCH_DATABASE": f"sqlite:///{env_db}", "EMU": emulator.openai_base_url}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_exit_right_after_the_last_call_stores_everything(emulator: Emulator, tmp_path: Path) -> None:
    db = tmp_path / "exit.db"
    result = _run(
        """
        import os, openai, agentwatch
        client = agentwatch.instrument(openai.OpenAI(api_key="sk", base_url=os.environ["EMU"]))
        for i in range(50):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": str(i)}])
        """,
        db,
        emulator,
    )
    assert result.returncode == 0, result.stderr
    assert len(SQLiteStorage(db).events(EventFilter(), 100)) == 50


def test_fork_child_records_its_own_calls(emulator: Emulator, tmp_path: Path) -> None:
    db = tmp_path / "fork.db"
    result = _run(
        """
        import os, openai, agentwatch
        client = agentwatch.instrument(openai.OpenAI(api_key="sk", base_url=os.environ["EMU"]))
        client.chat.completions.create(model="parent-before", messages=[{"role": "user", "content": "x"}])
        pid = os.fork()
        if pid == 0:
            child = agentwatch.instrument(openai.OpenAI(api_key="sk", base_url=os.environ["EMU"]))
            for _ in range(3):
                child.chat.completions.create(model="child", messages=[{"role": "user", "content": "x"}])
            agentwatch.shutdown()
            os._exit(0)
        os.waitpid(pid, 0)
        client.chat.completions.create(model="parent-after", messages=[{"role": "user", "content": "x"}])
        """,
        db,
        emulator,
    )
    assert result.returncode == 0, result.stderr
    models = sorted(e.request_model or "" for e in SQLiteStorage(db).events(EventFilter(), 100))
    assert models == ["child", "child", "child", "parent-after", "parent-before"]


def test_threads_see_their_own_trace(emulator: Emulator, recorder: Recorder) -> None:
    import threading

    client = agentwatch.instrument(openai.OpenAI(api_key="sk", base_url=emulator.openai_base_url))

    def work(user: str) -> None:
        with agentwatch.trace("worker", user_id=user, tags=[user]):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    threads = [threading.Thread(target=work, args=(f"u{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = recorder.events()
    assert sorted((e.user_id, tuple(e.tags)) for e in events) == [(f"u{i}", (f"u{i}",)) for i in range(4)]


def test_a_trace_decorator_serves_concurrent_tasks(emulator: Emulator, recorder: Recorder) -> None:
    # One decorated coroutine, awaited by several tasks at once (a web handler): each call is its own
    # trace, and leaving one must not reset another task's context (a ValueError into the app).
    import asyncio

    client = agentwatch.instrument(openai.AsyncOpenAI(api_key="sk", base_url=emulator.openai_base_url))

    @agentwatch.trace("handler", agent="support")
    async def handle(user: str) -> str | None:
        with agentwatch.trace(user_id=user):
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-emulator-latency-ms": "30"}
            )
        return None

    async def main() -> None:
        await asyncio.gather(*(handle(f"u{i}") for i in range(4)))

    asyncio.run(main())
    events = recorder.events()
    assert sorted((e.user_id, e.agent, e.trace_name) for e in events) == [
        (f"u{i}", "support", "handler") for i in range(4)
    ]
    assert len({e.trace_id for e in events}) == 4


def test_nested_traces_share_the_trace_id(emulator: Emulator, recorder: Recorder) -> None:
    client = agentwatch.instrument(
        openai.OpenAI(api_key="sk", base_url=emulator.openai_base_url), agent="planner", tags=["prod"]
    )
    with agentwatch.trace("session", user_id="u1", session_id="s1", metadata={"plan": "pro"}) as outer:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        with agentwatch.trace("step", tags=["step-1"]) as inner:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    first, second, third = recorder.events()
    assert first.trace_id == second.trace_id == outer.trace_id
    assert first.parent_span_id == outer.span_id and second.parent_span_id == inner.span_id
    assert inner.parent_span_id == outer.span_id
    assert (second.user_id, second.session_id, second.agent) == ("u1", "s1", "planner")
    assert second.tags == ["prod", "step-1"] and second.metadata == {"plan": "pro"}
    assert third.trace_id != first.trace_id and third.user_id is None


def test_unsupported_client_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="cannot instrument"):
        agentwatch.instrument(object())


def test_each_process_reports_its_counters_to_the_store(emulator: Emulator, recorder: Recorder) -> None:
    client = agentwatch.instrument(openai.OpenAI(api_key="sk", base_url=emulator.openai_base_url))
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    agentwatch.shutdown()
    (report,) = SQLiteStorage(recorder.db_path).reports()
    assert report.pid == os.getpid()
    assert (report.submitted, report.written, report.dropped, report.errors, report.queue_depth) == (
        3,
        3,
        0,
        0,
        0,
    )


def test_an_internal_bug_is_logged_and_the_call_still_returns(emulator: Emulator, tmp_path: Path) -> None:
    script = """
        import os, openai, agentwatch
        def broken(raw):
            raise RuntimeError("agentwatch bug")
        agentwatch.get_monitor().submit = broken
        client = agentwatch.instrument(openai.OpenAI(api_key="sk", base_url=os.environ["EMU"]))
        reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        stream = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}], stream=True)
        print(reply.choices[0].message.content is not None, sum(1 for _ in stream) > 1)
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({"AGENTWATCH_DATABASE": f"sqlite:///{tmp_path}/bug.db", "EMU": emulator.openai_base_url})
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
    assert "agentwatch: internal error while recording a call" in result.stderr
    assert "agentwatch: internal error while finishing a stream" in result.stderr


def test_shutdown_past_its_deadline_leaves_the_store_to_the_worker(tmp_path: Path) -> None:
    import threading

    from agentwatch.capture.record import ClientDefaults, RawCall

    class SlowStore(BrokenStore):
        def __init__(self) -> None:
            super().__init__()
            self.writing = threading.Event()
            self.closed_mid_write = False

        def write_events(self, events: list[LLMCall]) -> list[LLMCall]:
            self.writing.set()
            time.sleep(0.5)
            self.writing.clear()
            return events

        def write_report(self, report: ProcessReport) -> None:
            pass

        def close(self) -> None:
            self.closed_mid_write = self.closed_mid_write or self.writing.is_set()

    store = SlowStore()
    settings = Settings(database=f"sqlite:///{tmp_path}/x.db", flush_interval=0.01)
    monitor = Monitor(settings, storage_factory=lambda s: store)
    monitor.submit(
        RawCall(api="chat.completions", body={"model": "m"}, client=ClientDefaults(provider="openai"),
                trace=None, start_wall_ns=time.time_ns(), start_ns=0, end_ns=1)
    )  # fmt: skip
    assert store.writing.wait(5)
    assert monitor.shutdown(0.05) is False
    time.sleep(0.6)
    assert not store.closed_mid_write


def test_one_event_the_store_cannot_take_does_not_hold_back_the_others(
    emulator: Emulator, recorder: Recorder
) -> None:
    # An OpenAI-compatible server that reports an absurd usage (more than SQLite's 64-bit integers):
    # that event cannot be stored, but it must not block every later event behind it forever.
    client = agentwatch.instrument(openai.OpenAI(api_key="k", base_url=emulator.openai_base_url))
    absurd = '{"prompt_tokens": 100000000000000000000, "completion_tokens": 1, "total_tokens": 1}'
    ask = [{"role": "user", "content": "hi"}]
    client.chat.completions.create(
        model="gpt-4o-mini", messages=ask, extra_headers={"x-emulator-usage": absurd}
    )
    client.chat.completions.create(model="gpt-4o-mini", messages=ask)
    client.chat.completions.create(model="gpt-4o", messages=ask)
    stored = recorder.events()
    assert [e.request_model for e in stored] == ["gpt-4o-mini", "gpt-4o"]
    status = agentwatch.status()
    assert (status.pending, status.written, status.dropped) == (0, 2, 1)


def test_a_submitted_event_the_store_refuses_is_reported_as_rejected_not_duplicate(tmp_path: Path) -> None:
    # what the ingest API answers: the sender must not be told a dropped event was already stored
    monitor = Monitor(load_settings({"database": f"sqlite:///{tmp_path / 'aw.db'}"}, environ={}))
    start = datetime.now(UTC)
    events = [
        LLMCall(
            event_id=f"e{i}",
            trace_id="t" * 32,
            span_id=f"{i:016x}",
            provider="openai",
            operation="chat",
            request_model="gpt-4o-mini",
            start_time=start,
            end_time=start,
            latency_ms=1.0,
            usage=Usage(input_tokens=tokens, output_tokens=1),
        )
        for i, tokens in enumerate([10, 10**20, 10])
    ]
    try:
        submission = monitor.submit_events(events)
        assert submission is not None and submission.done.wait(10)
        assert (submission.stored, submission.duplicates, submission.rejected) == (2, 0, 1)
    finally:
        monitor.shutdown()
