"""The seed proof of concept's names, kept working on top of the new pipeline.

Code written against the seed changes only its imports::

    from agentwatch import OpenAICollector, EventProcessor, AnomalyDetector, EventStorage

A collector's ``event_handler`` (plain or ``async``) receives each normalised event on
agentwatch's worker thread, never on the caller's; without a handler, events go to the default
monitor like ``agentwatch.instrument`` does.
"""

from __future__ import annotations

import asyncio
import atexit
import inspect
import logging
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agentwatch import api
from agentwatch.capture import find_integration
from agentwatch.capture.providers import server_address
from agentwatch.capture.record import ClientDefaults, RawCall
from agentwatch.model import Anomaly, LLMCall
from agentwatch.pipeline import Normalizer, Pipeline
from agentwatch.storage import EventFilter, SQLiteStorage, Stats
from agentwatch.transport import BatchQueue

log = logging.getLogger(__name__)

EventHandler = Callable[[LLMCall], Any]


class _Collector:
    """Instruments ``client`` and sends its events to ``event_handler``."""

    def __init__(
        self,
        client: Any,
        event_handler: EventHandler | None = None,
        user_id: str | None = None,
        **labels: Any,
    ) -> None:
        self.client = client
        self.event_handler = event_handler
        if event_handler is None:
            api.instrument(client, user_id=user_id, **labels)
            self._queue: BatchQueue[RawCall] | None = None
            return
        self._normalize = Normalizer()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue = BatchQueue(self._deliver, name="agentwatch-collector")
        integration = find_integration(client)
        defaults = ClientDefaults(
            provider=labels.pop("provider", None) or integration.default_provider(client),
            server_address=server_address(getattr(client, "base_url", "")),
            user_id=user_id,
            **labels,
        )
        integration.instrument(client, defaults, self._queue.submit)
        ref = weakref.ref(self)
        atexit.register(lambda: (c := ref()) is not None and c.flush(5.0))

    def _deliver(self, batch: list[RawCall]) -> None:
        handler = self.event_handler
        assert handler is not None
        for raw in batch:
            try:
                result = handler(self._normalize(raw))
                if inspect.isawaitable(result):
                    if self._loop is None:
                        self._loop = asyncio.new_event_loop()
                    self._loop.run_until_complete(_awaited(result))
            except Exception:
                log.exception("agentwatch: the collector's event handler failed")

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver every captured event to the handler (or the default monitor)."""
        if self._queue is None:
            return api.flush(timeout)
        return self._queue.flush(timeout)


async def _awaited(result: Any) -> Any:
    return await result


class OpenAICollector(_Collector):
    """Seed name: monitors an ``openai.OpenAI``/``AsyncOpenAI`` client; use ``.client``."""


class AnthropicCollector(_Collector):
    """Seed name: monitors an ``anthropic.Anthropic``/``AsyncAnthropic`` client; use ``.client``."""


class EventProcessor:
    """Seed name: runs the processing stages (detectors, risk, ...) on one event."""

    def __init__(self, pipeline: Pipeline | None = None) -> None:
        self.pipeline = pipeline or api.get_monitor().pipeline

    def process_event(self, event: LLMCall) -> LLMCall:
        return self.pipeline.run_stages(event)


class EventStorage:
    """Seed name: a SQLite store (``db_path`` defaults to the configured database)."""

    def __init__(self, db_path: str | Path | None = None) -> None:
        self.store = SQLiteStorage(db_path or api.get_monitor().settings.sqlite_path)

    def store_event(self, event: LLMCall) -> None:
        self.store.write_events([event])

    def store_anomaly(self, anomaly: Anomaly) -> None:
        self.store.write_anomalies([anomaly])

    def get_recent_events(self, limit: int = 20) -> list[LLMCall]:
        return self.store.events(EventFilter(), limit)

    def close(self) -> None:
        self.store.close()


class EventAggregator:
    """Seed name: metrics over a time window, and retention (``clear_old_events``)."""

    def __init__(self, storage: EventStorage | None = None) -> None:
        self.storage = storage or EventStorage()

    def get_metrics(self, window_minutes: float = 60) -> Stats:
        since = datetime.now(UTC) - timedelta(minutes=window_minutes)
        return self.storage.store.stats(EventFilter(since=since))

    def clear_old_events(self, days: float = 7) -> int:
        """Delete events, anomalies and rollups older than ``days``; returns events deleted."""
        return self.storage.store.delete_before(datetime.now(UTC) - timedelta(days=days))
