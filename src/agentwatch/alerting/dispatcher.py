"""The dispatcher: routing, dedup and cooldown on the worker; delivery on one thread per channel.

``send(anomaly)`` (the monitor's worker calls it) only decides and enqueues: which channels the
anomaly's severity and type route to, and whether that channel already alerted on the same
fingerprint within the cooldown. Each channel has its own bounded queue and daemon thread, which
hands each notice to a :class:`~agentwatch.alerting.delivery.Sender` (retries with backoff, every
attempt recorded); a channel that hangs or fails holds up only itself.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from agentwatch.alerting.channel import Channel, Notice
from agentwatch.alerting.delivery import Record, Sender
from agentwatch.alerting.settings import AlertSettings, Route
from agentwatch.model import Anomaly, AnomalyStatus

log = logging.getLogger(__name__)


class _Lane:
    """One channel's queue and thread."""

    def __init__(self, channel: Channel, route: Route, sender: Sender, size: int) -> None:
        self.channel = channel
        self.route = route
        self.queue: queue.Queue[Notice | None] = queue.Queue(size)
        self._sender = sender
        self.thread = threading.Thread(target=self._run, name=f"agentwatch-alert-{channel.name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (notice := self.queue.get()) is not None:
            try:
                self._sender.deliver(self.channel, self.route, notice)
            except Exception:  # a bug in a channel must not kill its lane
                log.exception("agentwatch: alert channel %r failed", self.channel.name)
            finally:
                self.queue.task_done()
        self.queue.task_done()


class AlertDispatcher:
    """Implements the monitor's ``AlertSink`` (``send``) plus ``resolve`` for closed anomalies."""

    def __init__(
        self,
        channels: Iterable[tuple[Channel, Route]],
        settings: AlertSettings,
        *,
        record: Record | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._sender = Sender(record, sleep=sleep, now=now)
        self._last_sent: dict[tuple[str, str], float] = {}
        self._triggered: set[tuple[str, str]] = set()
        self._lanes = [
            _Lane(channel, route, self._sender, settings.queue_size) for channel, route in channels
        ]

    # ------------------------------------------------------------------ the worker's side

    def send(self, anomaly: Anomaly) -> None:
        if anomaly.status is not AnomalyStatus.OPEN:
            return
        now = self._clock()
        for lane in self._lanes:
            if not lane.route.routes(anomaly.type, anomaly.severity):
                continue
            key = (lane.channel.name, anomaly.fingerprint or anomaly.anomaly_id)
            last = self._last_sent.get(key)
            if last is not None and now - last < self.settings.cooldown_seconds:
                continue
            self._last_sent[key] = now
            self._triggered.add(key)
            self._enqueue(lane, Notice("trigger", anomaly))

    def resolve(self, anomaly: Anomaly) -> None:
        """Close ``anomaly`` on the channels that were told about it and can close incidents."""
        for lane in self._lanes:
            key = (lane.channel.name, anomaly.fingerprint or anomaly.anomaly_id)
            if lane.channel.resolves and key in self._triggered:
                self._triggered.discard(key)
                self._last_sent.pop(key, None)
                self._enqueue(lane, Notice("resolve", anomaly))

    def _enqueue(self, lane: _Lane, notice: Notice) -> None:
        try:
            lane.queue.put_nowait(notice)
        except queue.Full:
            self._sender.note(lane.channel.name, notice, 0, "dropped", error="the channel's queue is full")

    # ------------------------------------------------------------------ lifecycle

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued notice was attempted; False if ``timeout`` ran out first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for lane in self._lanes:
            while lane.queue.unfinished_tasks:
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                time.sleep(0.005)
        return True

    def close(self, timeout: float | None = None) -> bool:
        done = self.flush(timeout)
        for lane in self._lanes:
            with contextlib.suppress(queue.Full):  # a hung lane: its daemon thread dies with the process
                lane.queue.put_nowait(None)
        return done
