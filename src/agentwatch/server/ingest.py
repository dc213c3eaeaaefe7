"""Handing finished events to the monitor, and answering only once they are stored.

Shared by the ingest API and the OTLP receiver: per-key rate limit (429), a full queue (503),
then a wait until the worker has run the stages and committed the batch. Anything short of a
commit is a 503 with ``Retry-After``: the sender keeps the batch and retries, and the store's
idempotence on ``event_id`` makes the retry safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any

from fastapi import HTTPException

from agentwatch.model import LLMCall
from agentwatch.runtime import Monitor, Submission
from agentwatch.server.ratelimit import RateLimiter
from agentwatch.storage.keys import ApiKey

#: Largest integer SQLite stores.
_INT64 = 2**63 - 1


def _bad_number(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > _INT64
    if isinstance(value, dict):
        return any(_bad_number(v) for v in value.values())
    if isinstance(value, list):
        return any(_bad_number(v) for v in value)
    return False


def unstorable(event: LLMCall) -> str | None:
    """Why the store could not take ``event`` (a NaN or infinite float, a too large integer), if so."""
    try:
        event.start_time.timestamp()
        event.end_time.timestamp()
    except (OverflowError, ValueError, OSError):
        return f"event {event.event_id}: a time is out of range"
    if _bad_number(event.model_dump()):
        return f"event {event.event_id}: a number is not finite or is beyond 64 bits"
    return None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Ingestor:
    def __init__(self, monitor: Monitor, limiter: RateLimiter, commit_timeout: float) -> None:
        self.monitor = monitor
        self.limiter = limiter
        self.commit_timeout = commit_timeout

    def admit(self, key: ApiKey) -> None:
        """Take a token from the key's bucket, or refuse with 429 and when to come back."""
        wait = self.limiter.acquire(key.key_id)
        if wait > 0:
            raise HTTPException(
                429, "rate limit exceeded for this API key", headers={"Retry-After": str(math.ceil(wait))}
            )

    async def commit(self, events: list[LLMCall]) -> Submission:
        """Queue ``events`` and wait for the store; 503 if the queue is full or nothing committed."""
        if not events:
            return Submission([])
        loop = asyncio.get_running_loop()
        settled: asyncio.Future[None] = loop.create_future()

        def wake(_: Submission) -> None:  # on the worker thread
            loop.call_soon_threadsafe(_resolve, settled)

        submission = self.monitor.submit_events(events, on_done=wake)
        if submission is None:
            raise HTTPException(503, "the server's queue is full", headers={"Retry-After": "1"})
        with contextlib.suppress(TimeoutError):  # not stored in time: a 503 below
            await asyncio.wait_for(settled, self.commit_timeout)
        if not submission.done.is_set() or submission.failed:
            raise HTTPException(
                503, "the events could not be stored yet; retry", headers={"Retry-After": "1"}
            )
        return submission
