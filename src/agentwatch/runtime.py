"""The monitor: settings, queue, pipeline, store, rules and alerts wired together.

Everything here except :meth:`Monitor.submit` runs on the worker thread. A store that fails keeps
its batch back (up to ``queue_size`` events) and retries on the next tick; what overflows is
dropped and counted. Nothing raises into the application.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agentwatch.alerting import AlertSink, LogAlerts
from agentwatch.analysis import EventRules, RecentEvents
from agentwatch.capture.record import RawCall
from agentwatch.config import Settings
from agentwatch.model import Anomaly, LLMCall
from agentwatch.pipeline import Pipeline, default_pipeline
from agentwatch.storage import ProcessReport, Storage, open_storage
from agentwatch.transport import BatchQueue

log = logging.getLogger(__name__)

#: The worker releases the GIL after this many events, so the app never waits long for it.
YIELD_EVERY = 16

#: Seconds between the reports a process writes about itself to the store.
REPORT_INTERVAL = 1.0

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


class Monitor:
    def __init__(
        self,
        settings: Settings,
        *,
        storage_factory: Callable[[Settings], Storage] = open_storage,
        pipeline: Pipeline | None = None,
        rules: EventRules | None = None,
        alert_sinks: list[AlertSink] | None = None,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline or default_pipeline(
            capture_content=settings.capture_content,
            user_id=settings.user_id,
            agent=settings.agent,
            detectors=settings.detectors,
            redaction=settings.redaction,
        )
        self.rules = rules or EventRules()
        self.alert_sinks: list[AlertSink] = [LogAlerts()] if alert_sinks is None else alert_sinks
        self.listeners: list[Listener] = []
        self._storage_factory = storage_factory
        self._storage: Storage | None = None
        self._recent = RecentEvents()
        self._init_counters()
        self.queue: BatchQueue[RawCall] = BatchQueue(
            self._handle,
            max_size=settings.queue_size,
            batch_size=settings.batch_size,
            interval=settings.flush_interval,
        )
        ref = weakref.ref(self)

        def after_fork_in_child() -> None:
            monitor = ref()
            if monitor is not None:
                monitor._after_fork()

        os.register_at_fork(after_in_child=after_fork_in_child)

    def _init_counters(self) -> None:
        self._started_at = datetime.now(UTC)
        self._last_report = 0.0
        self._pending: list[LLMCall] = []
        self._written = 0
        self._store_dropped = 0
        self._errors: Counter[str] = Counter()

    def _after_fork(self) -> None:
        # The parent's SQLite connection must not be used (or closed) in the child.
        self._leftover = self._storage
        self._storage = None
        self._recent = RecentEvents()
        self._init_counters()

    # ------------------------------------------------------------------ caller's side

    def submit(self, raw: RawCall) -> None:
        self.queue.submit(raw)

    def flush(self, timeout: float | None = None) -> bool:
        return self.queue.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        done = self.queue.shutdown(self.settings.shutdown_timeout if timeout is None else timeout)
        if self.queue.running:
            return done  # still writing past the deadline: the store stays the worker's
        self._store_dropped += len(self._pending)  # kept for a retry that will not come
        self._pending = []
        if self._storage is not None:
            self._report(force=True)
            self._reset_storage()
        return done

    def status(self) -> MonitorStatus:
        q = self.queue.status()
        return MonitorStatus(
            queue_depth=q.queue_depth,
            submitted=q.submitted,
            written=self._written,
            pending=len(self._pending),
            dropped=q.dropped + self._store_dropped,
            errors=sum(self._errors.values()) + q.handler_errors,
            stage_failures=dict(self.pipeline.failures),
        )

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            self._storage = self._storage_factory(self.settings)
        return self._storage

    # ------------------------------------------------------------------ worker's side

    def _handle(self, batch: list[RawCall]) -> None:
        for i, raw in enumerate(batch):
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                time.sleep(0)  # let the app's threads have the GIL: no long bursts on the worker
            try:
                self._pending.append(self.pipeline(raw))
            except Exception:
                self._errors["normalize"] += 1
                if self._errors["normalize"] == 1:
                    log.exception("agentwatch: could not process a %s call; it is dropped", raw.api)
        if self._pending:
            self._write()

    def _write(self) -> None:
        events = self._pending
        try:
            self.storage.write_events(events)
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
            self._reset_storage()
            return
        self._pending = []
        self._written += len(events)
        self._analyze(events)
        self._report()

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
        found: list[Anomaly] = []
        per_event: list[tuple[LLMCall, list[Anomaly]]] = []
        for event in events:
            try:
                anomalies = self.rules.analyze(event, self._recent.baseline(event))
            except Exception:
                self._errors["analysis"] += 1
                log.exception("agentwatch: analysis failed on event %s", event.event_id)
                anomalies = []
            self._recent.add(event)
            found.extend(anomalies)
            per_event.append((event, anomalies))
        if found:
            try:
                self.storage.write_anomalies(found)
            except Exception:
                self._errors["store"] += 1
                log.warning("agentwatch: could not store %d anomalies", len(found), exc_info=True)
            for anomaly in found:
                for sink in self.alert_sinks:
                    self._fenced(sink.send, anomaly, what="alert")
        for listener in self.listeners:
            for event, anomalies in per_event:
                self._fenced(listener, event, anomalies, what="listener")

    def _fenced(self, func: Callable[..., Any], *args: Any, what: str) -> None:
        try:
            func(*args)
        except Exception:
            self._errors[what] += 1
            if self._errors[what] == 1:
                log.exception("agentwatch: an %s failed", what)
