"""The sender: a daemon thread that empties the spool into the server, oldest events first.

A batch leaves the spool only after a 2xx. No answer, 408, 429 and 5xx are retried with
exponential backoff and jitter (never sooner than the server's ``Retry-After``); new events
arriving meanwhile do not cut a backoff short. So is a batch refused for any 4xx that says the
request, not its events, is wrong (401/403: a bad key, 404: a wrong address): the events wait in
the spool, with an error in the log, until the setting is fixed. A batch the server finds too
large or invalid (413, 400, 422), or answers with HTTP 500 (a server bug one event may trigger), is
split in halves until the event is alone; an event refused alone is parked (see
:mod:`agentwatch.remote.spool`), and one that keeps getting 500 alone goes to the back of the queue
every :data:`REQUEUE_EVERY` attempts and is parked after :data:`PARK_AFTER`, so that one poisonous
event cannot hold back the others. ``close(timeout)`` stops the thread and keeps sending on the
caller's thread until the spool is empty or the time is up; what is left stays in the spool for
the next start.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from agentwatch.remote.client import IngestClient, Reply
from agentwatch.remote.spool import Spool

log = logging.getLogger(__name__)


def _event_id(document: str) -> str:
    """The id of a spooled event document, for the log."""
    try:
        return str(json.loads(document).get("event_id", "?"))
    except (ValueError, AttributeError):
        return "?"


#: Statuses that mean "this batch, as a whole, is not acceptable": split it to find the culprit.
SPLITTABLE = frozenset({400, 413, 422})
#: A lone event answered with HTTP 500 this many times in a row goes to the back of the queue ...
REQUEUE_EVERY = 3
#: ... and after this many attempts in all, to the parked table.
PARK_AFTER = 12

#: Longest pause between attempts while shutting down (unless the server asked for more).
CLOSING_DELAY = 0.1


class Backoff:
    """Exponential backoff with equal jitter: attempt n waits between d/2 and d, d = base * 2**n <= cap."""

    def __init__(
        self, base: float = 0.5, cap: float = 30.0, rand: Callable[[], float] = random.random
    ) -> None:
        self.base = base
        self.cap = cap
        self._rand = rand
        self.attempt = 0

    def next(self, retry_after: float | None = None) -> float:
        delay = min(self.cap, self.base * 2.0**self.attempt)
        self.attempt = min(self.attempt + 1, 62)
        return max(delay * (0.5 + self._rand() / 2), retry_after or 0.0)

    def reset(self) -> None:
        self.attempt = 0


@dataclass(frozen=True, slots=True)
class Delivery:
    """Remote mode's counters, added to ``agentwatch.status()``."""

    spooled: int  # waiting in the spool (all processes sharing it)
    sent: int  # acknowledged by the server (new or duplicate)
    dropped: int  # did not fit in the spool
    failures: int  # attempts that got no acknowledgement and will be retried
    parked: int = 0  # refused alone by the server (or failing it), kept aside in the spool file


class Sender:
    def __init__(
        self,
        spool: Spool,
        client: IngestClient,
        *,
        batch_size: int,
        backoff: Backoff | None = None,
        request_timeout: float = 10.0,
        idle_interval: float = 1.0,
    ) -> None:
        self.spool = spool
        self.client = client
        self.batch_size = batch_size
        self.backoff = backoff or Backoff()
        self.request_timeout = request_timeout
        self.idle_interval = idle_interval
        self._limit = batch_size  # shrinks while a refused batch is being split
        self._retry_at = 0.0  # monotonic time before which the server asked not to be called
        self._wake = threading.Event()  # new events or stop: ends an idle wait
        self._stop = threading.Event()  # stop only: ends a backoff wait
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.failures = 0
        self._outage_failures = 0

    def start(self) -> None:
        thread = threading.Thread(target=self._run, name="agentwatch-sender", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # interpreter shutting down: close() will send on its caller's thread
            return
        self._thread = thread

    def wake(self) -> None:
        self._wake.set()

    def close(self, timeout: float) -> bool:
        """Stop the thread, then send for up to ``timeout`` seconds; True if the spool is empty."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():  # a request still in flight: its batch stays spooled
                return False
        while (remaining := deadline - time.monotonic()) > 0:
            pause = self._retry_at - time.monotonic()
            if pause > 0:
                if pause >= remaining:
                    return False
                time.sleep(pause)
                continue
            delay = self._step(min(self.request_timeout, max(remaining, 0.01)))
            if delay is None:
                return True
            time.sleep(min(delay, CLOSING_DELAY, max(0.0, deadline - time.monotonic())))
        return len(self.spool) == 0

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delay = self._step(self.request_timeout)
            except Exception:  # the spool failed (disk, permissions): try again later
                if self._stop.is_set():
                    return  # closed under us by a reset of the store
                self.failures += 1
                log.exception("agentwatch: the remote-mode sender failed; retrying")
                delay = self.backoff.next()
            if delay is None:
                self._wake.wait(self.idle_interval)
                self._wake.clear()
            elif delay > 0:
                self._stop.wait(delay)

    def _step(self, timeout: float) -> float | None:
        """Send the oldest batch once; returns the pause before the next attempt, None if idle."""
        rows = self.spool.oldest(self._limit)
        if not rows:
            return None
        reply = self.client.post([body for _, body in rows], timeout)
        row_ids = [row_id for row_id, _ in rows]
        if reply.acknowledged:
            self.spool.remove(row_ids)
            self.sent += len(rows)
            self._recovered()
            self._limit = min(self.batch_size, self._limit * 2)
            return 0.0
        if reply.status == 500:
            if len(rows) > 1:
                self._limit = max(1, len(rows) // 2)  # an outage costs a few smaller batches
            else:
                self._poisonous(row_ids[0], reply)
            return self._retry_later(reply, len(rows))
        if reply.retryable:
            return self._retry_later(reply, len(rows))
        if reply.status not in SPLITTABLE:  # the key or the address is wrong, not the events
            return self._retry_later(reply, len(rows), level=logging.ERROR)
        if len(rows) > 1:
            self._limit = max(1, len(rows) // 2)
            return 0.0
        self.spool.park(row_ids, reply.status, reply.detail)
        log.error(
            "agentwatch: %s refused event %s with HTTP %s; it is parked in %s and sent again at the next "
            "start: %s",
            self.client.url,
            _event_id(rows[0][1]),
            reply.status,
            self.spool.path,
            reply.detail[:300],
        )
        return 0.0

    def _poisonous(self, row_id: int, reply: Reply) -> None:
        """A lone event answered with 500: to the back of the queue now and then, parked at last."""
        attempts = self.spool.failed(row_id)
        if attempts >= PARK_AFTER:
            self.spool.park([row_id], reply.status, reply.detail)
            log.error(
                "agentwatch: %s failed %d times on one event (HTTP 500); it is parked in %s and sent "
                "again at the next start",
                self.client.url,
                attempts,
                self.spool.path,
            )
        elif attempts % REQUEUE_EVERY == 0:
            self.spool.requeue(row_id)

    def _retry_later(self, reply: Reply, batch: int, level: int = logging.WARNING) -> float:
        self.failures += 1
        self._outage_failures += 1
        delay = self.backoff.next(reply.retry_after)
        if reply.retry_after is not None:
            self._retry_at = time.monotonic() + reply.retry_after
        if self._outage_failures in (1, 10, 100) or self._outage_failures % 1000 == 0:
            log.log(
                level,
                "agentwatch: could not deliver %d event(s) to %s (%s); %d spooled, retrying in %.1fs",
                batch,
                self.client.url,
                f"HTTP {reply.status}: {reply.detail[:200]}" if reply.status else reply.detail,
                len(self.spool),
                delay,
            )
        return delay

    def _recovered(self) -> None:
        if self._outage_failures:
            log.info(
                "agentwatch: %s is accepting events again after %d failed attempt(s)",
                self.client.url,
                self._outage_failures,
            )
        self._outage_failures = 0
        self.backoff.reset()
