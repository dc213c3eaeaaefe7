"""The in-process transport: a bounded queue on the caller's side, one worker thread behind it.

The caller's thread does one ``len`` and one ``deque.append`` per event (both atomic under the
GIL) and wakes the worker only when a batch is ready. The worker wakes on that signal or on a
timer, hands batches to the handler, and never lets an exception escape. A full queue drops the
new event and counts it; nothing blocks the caller. After ``fork`` the child gets an empty queue
and starts its own worker on first use.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class QueueStatus:
    queue_depth: int
    submitted: int
    dropped: int
    handler_errors: int


class BatchQueue(Generic[T]):
    """Bounded queue + one daemon worker that calls ``handler(batch)``.

    The handler is also called with an empty batch on each timer tick, so it can retry work
    it kept back (a store that was down). It must not raise; if it does, the error is counted
    and logged, and the batch is considered handled. ``max_size`` counts events: an item offered
    with a ``weight`` (a submission of many finished events) counts that many, and ``weigh`` tells
    the worker an item's weight when it takes it off.
    """

    def __init__(
        self,
        handler: Callable[[list[T]], None],
        *,
        max_size: int = 10_000,
        batch_size: int = 512,
        interval: float = 0.5,
        name: str = "agentwatch-worker",
        weigh: Callable[[T], int] | None = None,
    ) -> None:
        self._handler = handler
        self._weigh = weigh
        self.max_size = max_size
        self.batch_size = batch_size
        self.interval = interval
        self.name = name
        self._init_state()
        ref = weakref.ref(self)

        def reinit_in_child() -> None:
            queue = ref()
            if queue is not None:
                queue._init_state()

        os.register_at_fork(after_in_child=reinit_in_child)

    def _init_state(self) -> None:
        self._queue: deque[T] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._waiters: list[threading.Event] = []
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._submitted = 0
        self._dropped = 0
        self._errors = 0
        self._extra = 0  # what the queued items weigh beyond one each

    # ------------------------------------------------------------------ caller's side

    def submit(self, item: T) -> None:
        self.offer(item)

    def offer(self, item: T, weight: int = 1) -> bool:
        """Queue ``item``, counting ``weight`` towards ``max_size``; False (and counted as dropped)
        when it does not fit or the queue is stopping. An item heavier than the whole queue is taken
        when the queue is empty (refused, it would be refused for ever)."""
        queue = self._queue
        if (len(queue) + self._extra + weight > self.max_size and queue) or self._stopping:
            with self._lock:
                self._dropped += 1
            return False
        if weight != 1:
            if self._weigh is None:
                raise ValueError("a weighted offer needs the queue's weigh function")
            with self._lock:
                self._extra += weight - 1
        queue.append(item)
        self._submitted += 1
        if self._thread is None:
            self._start()
        if len(queue) >= self.batch_size:
            self._wake.set()
        return True

    def wake(self) -> None:
        """Have the worker handle what is queued now rather than at its next tick."""
        self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stopping:
                return
            thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread = thread
        thread.start()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far has been handled; False on timeout."""
        thread = self._thread
        if thread is None or not thread.is_alive() or thread is threading.current_thread():
            self._drain()
            return True
        done = threading.Event()
        with self._lock:
            self._waiters.append(done)
        self._wake.set()
        return done.wait(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Handle what is queued (within ``timeout``), then stop the worker."""
        deadline = None if timeout is None else time.monotonic() + timeout
        flushed = self.flush(timeout)
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return flushed

    @property
    def running(self) -> bool:
        """Whether the worker thread is alive (it may be past a shutdown deadline)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def status(self) -> QueueStatus:
        return QueueStatus(len(self._queue) + self._extra, self._submitted, self._dropped, self._errors)

    # ------------------------------------------------------------------ worker's side

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            with self._lock:
                waiters, self._waiters = self._waiters, []
            self._drain()
            for waiter in waiters:
                waiter.set()
            if self._stopping:
                return

    def _drain(self) -> None:
        queue = self._queue
        while True:
            batch: list[T] = []
            try:
                while len(batch) < self.batch_size:
                    batch.append(queue.popleft())
            except IndexError:
                pass
            if self._extra:
                self._release(batch)
            self._handle(batch)
            if len(batch) < self.batch_size:
                return

    def _release(self, batch: list[T]) -> None:
        """Take the weight of ``batch``'s items off the queue's count (they are the worker's now)."""
        weigh = self._weigh
        if weigh is None:
            return
        extra = sum(weigh(item) - 1 for item in batch)
        with self._lock:
            self._extra -= extra

    def _handle(self, batch: list[T]) -> None:
        try:
            self._handler(batch)
        except Exception:
            self._errors += 1
            log.exception("agentwatch: the event handler failed on a batch of %d", len(batch))
