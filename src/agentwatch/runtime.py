"""The monitor: settings, queue, pipeline, store, rules and alerts wired together.

Everything here except :meth:`Monitor.submit` and :meth:`Monitor.submit_events` runs on the worker
thread, except alert deliveries, which the dispatcher makes on its own threads (one per channel). A
store that fails keeps its batch back (up to ``queue_size`` events) and retries on the next tick;
what overflows is dropped and counted. Nothing raises into the application.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentwatch.alerting import AlertDispatcher, AlertSink, LogAlerts, build_dispatcher
from agentwatch.analysis import AnomalyDetector
from agentwatch.capture.record import RawCall
from agentwatch.config import Settings
from agentwatch.model import AlertDelivery, Anomaly, LLMCall
from agentwatch.pipeline import Pipeline, default_pipeline
from agentwatch.pipeline.hashkey import KEY_FILE, HashKey
from agentwatch.remote import Delivery, RemoteStorage, spool_file
from agentwatch.storage import EventFilter, ProcessReport, Storage, open_storage
from agentwatch.transport import BatchQueue

log = logging.getLogger(__name__)

#: The worker releases the GIL after this many events, so the app never waits long for it.
YIELD_EVERY = 16

#: Seconds between the reports a process writes about itself to the store.
REPORT_INTERVAL = 1.0
#: How often an idle worker asks the window rules whether quiet has resolved an open anomaly (s).
EXPIRE_INTERVAL = 1.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


Listener = Callable[[LLMCall, list[Anomaly]], None]


@dataclass(frozen=True, slots=True)
class MonitorStatus:
    """What ``agentwatch status`` reports for this process."""

    queue_depth: int
    submitted: int
    written: int
    pending: int  # kept back while the store fails
    dropped: int  # queue full + store overflow
    errors: int  # store failures + pipeline failures
    stage_failures: dict[str, int]
    spooled: int = 0  # remote mode: events in the spool, waiting for the server
    sent: int = 0  # remote mode: events the server acknowledged
    parked: int = 0  # remote mode: events the server refused alone, kept aside in the spool file


@dataclass(slots=True, eq=False)
class Submission:
    """Finished events handed over by the server (ingest API, OTLP receiver).

    The worker runs the pipeline's stages on them, stores them, sets ``done`` and calls ``on_done``
    (on the worker): ``stored`` counts the events that were new, ``duplicates`` those whose
    ``event_id`` the store already had. ``failed`` is set instead when the store could not take
    them (they stay queued for a retry).
    """

    events: list[LLMCall]
    on_done: Callable[[Submission], None] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0  # events the store refused even alone (values it cannot hold): dropped
    failed: bool = False


def hash_key_file(settings: Settings) -> Path | None:
    """Where the hash redaction key lives: beside the database, or beside the spool in remote mode;
    None for an in-memory database."""
    if settings.endpoint is not None:
        return spool_file(settings).parent / KEY_FILE
    if not settings.database.startswith("sqlite:///") or settings.sqlite_path in ("", ":memory:"):
        return None
    return Path(settings.sqlite_path).parent / KEY_FILE


def _weight(item: RawCall | Submission) -> int:
    """What an item counts towards ``queue_size``: its events."""
    return max(1, len(item.events)) if isinstance(item, Submission) else 1


class Monitor:
    def __init__(
        self,
        settings: Settings,
        *,
        storage_factory: Callable[[Settings], Storage] = open_storage,
        pipeline: Pipeline | None = None,
        detector: AnomalyDetector | None = None,
        alert_sinks: list[AlertSink] | None = None,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline or default_pipeline(
            capture_content=settings.capture_content,
            user_id=settings.user_id,
            agent=settings.agent,
            prices=settings.prices,
            detectors=settings.detectors,
            redaction=settings.redaction,
            hash_key=HashKey(hash_key_file(settings)),
        )
        self.detector = detector or AnomalyDetector(
            settings.anomalies, budgets=settings.budgets, clock=_utcnow
        )
        self.alert_sinks: list[AlertSink] = [LogAlerts()] if alert_sinks is None else alert_sinks
        self.listeners: list[Listener] = []
        self._storage_factory = storage_factory
        self._storage: Storage | None = None
        self._deliveries = DeliveryLog(lambda: storage_factory(settings))
        self.dispatcher: AlertDispatcher | None = None
        self._start_dispatcher()
        self._init_counters()
        self.queue: BatchQueue[RawCall | Submission] = BatchQueue(
            self._handle,
            max_size=settings.queue_size,
            batch_size=settings.batch_size,
            interval=settings.flush_interval,
            weigh=_weight,
        )
        ref = weakref.ref(self)

        def after_fork_in_child() -> None:
            monitor = ref()
            if monitor is not None:
                monitor._after_fork()

        os.register_at_fork(after_in_child=after_fork_in_child)
        if settings.endpoint is not None:  # remote mode: resend what an earlier run left in the spool
            self._fenced(lambda: self.storage, what="store")

    @property
    def remote(self) -> bool:
        """Remote mode: the server analyses the events and raises the alerts, not this process."""
        return self.settings.endpoint is not None

    def _start_dispatcher(self) -> None:
        old = self.dispatcher
        self.dispatcher = (
            None if self.remote else build_dispatcher(self.settings.alerts, record=self._deliveries.record)
        )
        self.alert_sinks[:] = [sink for sink in self.alert_sinks if sink is not old]
        if self.dispatcher is not None:
            self.alert_sinks.append(self.dispatcher)

    def _init_counters(self) -> None:
        self._started_at = datetime.now(UTC)
        self._last_report = 0.0
        self._next_expiry = 0.0
        self._pending: list[LLMCall] = []
        self._waiting: list[Submission] = []
        self._written = 0
        self._store_dropped = 0
        self._errors: Counter[str] = Counter()

    def _after_fork(self) -> None:
        # The parent's SQLite connection must not be used (or closed) in the child.
        self._leftover = self._storage
        self._storage = None
        self.detector = AnomalyDetector(self.settings.anomalies, budgets=self.settings.budgets, clock=_utcnow)
        self._deliveries = DeliveryLog(lambda: self._storage_factory(self.settings))
        self._start_dispatcher()  # the parent's channel threads do not exist in the child
        self._init_counters()

    # ------------------------------------------------------------------ caller's side

    def submit(self, raw: RawCall) -> None:
        self.queue.submit(raw)

    def submit_events(
        self, events: list[LLMCall], on_done: Callable[[Submission], None] | None = None
    ) -> Submission | None:
        """Queue finished events for the stages, the store and the rules; None if the queue is full.

        The returned submission's ``done`` is set, and ``on_done`` called, once they are committed."""
        submission = Submission(events, on_done)
        if not self.queue.offer(submission, weight=max(1, len(events))):
            return None
        self.queue.wake()  # a sender is waiting for the commit: no need to wait for the timer
        return submission

    def flush(self, timeout: float | None = None) -> bool:
        return self.queue.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        timeout = self.settings.shutdown_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        done = self.queue.shutdown(timeout)
        if self.queue.running:
            return done  # still writing past the deadline: the store stays the worker's
        self._store_dropped += len(self._pending)  # kept for a retry that will not come
        self._pending = []
        self._settle(None)
        if self.dispatcher is not None:
            done = self.dispatcher.close(max(0.0, deadline - time.monotonic())) and done
        self._deliveries.close()
        if self._storage is not None:
            self._report(force=True)
            if isinstance(self._storage, RemoteStorage):  # send the spool, within the same deadline
                storage, self._storage = self._storage, None
                done = storage.drain_and_close(max(0.0, deadline - time.monotonic())) and done
            self._reset_storage()
        return done

    def status(self) -> MonitorStatus:
        q = self.queue.status()
        storage = self._storage
        remote = storage.delivery() if isinstance(storage, RemoteStorage) else Delivery(0, 0, 0, 0)
        return MonitorStatus(
            queue_depth=q.queue_depth,
            submitted=q.submitted,
            written=self._written,
            pending=len(self._pending),
            dropped=q.dropped + self._store_dropped + remote.dropped,
            errors=sum(self._errors.values()) + q.handler_errors + remote.failures,
            stage_failures=dict(self.pipeline.failures),
            spooled=remote.spooled,
            sent=remote.sent,
            parked=remote.parked,
        )

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            self._storage = self._storage_factory(self.settings)
        return self._storage

    # ------------------------------------------------------------------ worker's side

    def _handle(self, batch: list[RawCall | Submission]) -> None:
        for i, item in enumerate(batch):
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                time.sleep(0)  # let the app's threads have the GIL: no long bursts on the worker
            if isinstance(item, Submission):
                self._pending.extend(self.pipeline.run_stages(event) for event in item.events)
                self._waiting.append(item)
                continue
            try:
                self._pending.append(self.pipeline(item))
            except Exception:
                self._errors["normalize"] += 1
                if self._errors["normalize"] == 1:
                    log.exception("agentwatch: could not process a %s call; it is dropped", item.api)
        if self._pending:
            self._write()
        if not self.remote and self.detector.windows.active:
            self._expire_windows()

    def _expire_windows(self) -> None:
        """Resolve the window anomalies that quiet has ended, at most once per EXPIRE_INTERVAL."""
        now = time.monotonic()
        if now < self._next_expiry:
            return
        self._next_expiry = now + EXPIRE_INTERVAL
        try:
            resolved = self.detector.expire()
        except Exception:
            self.detector.failures += 1
            self._errors["analysis"] = self.detector.failures
            log.debug("agentwatch: expiring the window rules failed", exc_info=True)
            return
        self._resolve(resolved)

    def _resolve(self, anomalies: list[Anomaly]) -> None:
        for anomaly in anomalies:
            self._fenced(self.storage.resolve_fingerprint, anomaly.fingerprint, what="store")
            if self.dispatcher is not None:
                self._fenced(self.dispatcher.resolve, anomaly, what="alert")

    def _settle(self, new: list[LLMCall] | None, refused: frozenset[str] = frozenset()) -> None:
        """Tell the waiting submissions what became of their events (None: the store failed)."""
        waiting, self._waiting = self._waiting, []
        fresh = {event.event_id for event in new or ()}
        for submission in waiting:
            if new is None:
                submission.failed = True
            else:
                for event in submission.events:
                    if event.event_id in fresh:
                        fresh.discard(event.event_id)
                        submission.stored += 1
                    elif event.event_id in refused:
                        submission.rejected += 1
                    else:
                        submission.duplicates += 1
            submission.done.set()
            if submission.on_done is not None:
                self._fenced(submission.on_done, submission, what="submission callback")

    def _write(self) -> None:
        events = self._pending
        try:
            new, refused = self._store(events)
        except Exception as exc:
            self._errors["store"] += 1
            if self._errors["store"] in (1, 10, 100) or self._errors["store"] % 1000 == 0:
                log.warning(
                    "agentwatch: the store failed (%s: %s); %d event(s) kept for retry",
                    type(exc).__name__,
                    exc,
                    len(events),
                )
            overflow = len(events) - self.settings.queue_size
            if overflow > 0:
                del events[:overflow]
                self._store_dropped += overflow
            self._settle(None)
            self._reset_storage()
            return
        self._pending = []
        self._written += len(new)
        self._settle(new, refused)
        self._analyze(new)
        self._report()

    def _store(self, events: list[LLMCall]) -> tuple[list[LLMCall], frozenset[str]]:
        """Write the batch; the new events, and the ids of those the store refused. An event whose values the store cannot bind (a number past
        64 bits) fails the batch with a ValueError, TypeError or OverflowError, on every retry: the
        events are then written one by one, and the ones that still fail are dropped and counted, so
        they do not hold back the others. An outage (the store's own errors) is raised for a retry."""
        try:
            return self.storage.write_events(events), frozenset()
        except (ValueError, TypeError, OverflowError):
            pass  # one of them, at least: found below
        new: list[LLMCall] = []
        refused: set[str] = set()
        for event in events:
            try:
                new += self.storage.write_events([event])
            except (ValueError, TypeError, OverflowError) as exc:
                refused.add(event.event_id)
                self._store_dropped += 1
                self._errors["unstorable"] += 1
                if self._errors["unstorable"] in (1, 10, 100) or self._errors["unstorable"] % 1000 == 0:
                    log.warning(
                        "agentwatch: the store cannot take event %s (%s: %s); it is dropped",
                        event.event_id,
                        type(exc).__name__,
                        exc,
                    )
        return new, frozenset(refused)

    def _report(self, *, force: bool = False) -> None:
        """Write this process's counters to the store, at most once per REPORT_INTERVAL."""
        now = time.monotonic()
        if not force and now - self._last_report < REPORT_INTERVAL:
            return
        self._last_report = now
        s = self.status()
        report = ProcessReport(
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=self._started_at,
            updated_at=datetime.now(UTC),
            queue_depth=s.queue_depth,
            submitted=s.submitted,
            written=s.written,
            pending=s.pending,
            dropped=s.dropped,
            errors=s.errors,
        )
        self._fenced(self.storage.write_report, report, what="report")

    def _reset_storage(self) -> None:
        storage, self._storage = self._storage, None
        if storage is not None:
            try:
                storage.close()
            except Exception:
                log.debug("agentwatch: closing a failed store failed", exc_info=True)

    def _analyze(self, events: list[LLMCall]) -> None:
        if self.remote:
            for listener in self.listeners:
                for event in events:
                    self._fenced(listener, event, [], what="listener")
            return
        findings = self.detector.analyze_batch(events, self._spent)
        self._errors["analysis"] = self.detector.failures
        found = findings.raised
        if found:
            self._fenced(self.storage.write_anomalies, found, what="store")
            for anomaly in found:
                for sink in self.alert_sinks:
                    self._fenced(sink.send, anomaly, what="alert")
        self._resolve(findings.resolved)
        for listener in self.listeners:
            for event, anomalies in findings.per_event:
                self._fenced(listener, event, anomalies, what="listener")

    def _spent(self, kind: str, name: str, since: datetime, until: datetime) -> float:
        """A budget period's spend so far, from the rollups (this batch included)."""
        where = (
            EventFilter(since=since, until=until, user_id=name)
            if kind == "user"
            else EventFilter(since=since, until=until, agent=name)
        )
        return self.storage.stats(where).cost_usd

    def _fenced(self, func: Callable[..., Any], *args: Any, what: str) -> None:
        try:
            func(*args)
        except Exception:
            self._errors[what] += 1
            if self._errors[what] == 1:
                log.exception("agentwatch: an %s failed", what)


class DeliveryLog:
    """Records alert delivery attempts, from the dispatcher's threads, on a connection of its own.

    A channel still busy when the monitor shuts down records its attempt afterwards, on a connection
    opened for that one write."""

    def __init__(self, open_store: Callable[[], Storage]) -> None:
        self._open = open_store
        self._store: Storage | None = None
        self._closed = False
        self._lock = threading.Lock()

    def record(self, delivery: AlertDelivery) -> None:
        with self._lock:
            store = self._store if self._store is not None else self._open()
            self._store = None
            try:
                store.write_deliveries([delivery])
            except Exception:
                store.close()
                raise
            if self._closed:
                store.close()
            else:
                self._store = store

    def close(self) -> None:
        with self._lock:
            self._closed = True
            store, self._store = self._store, None
        if store is not None:
            store.close()
