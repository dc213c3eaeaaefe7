"""Remote mode's store: ``write_events`` puts the batch in the local spool; the sender ships it.

Reading (events, stats, anomalies, reports) is the server's job in remote mode: those methods raise
:class:`RemoteModeError`, whose message says where to look instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from datetime import datetime
from pathlib import Path

from agentwatch.config import Settings
from agentwatch.model import AlertDelivery, Anomaly, AnomalyStatus, LLMCall
from agentwatch.remote.client import IngestClient
from agentwatch.remote.sender import Backoff, Delivery, Sender
from agentwatch.remote.spool import Spool
from agentwatch.storage.base import AnomalyFilter, CostRow, EventFilter, ProcessReport, Stats

log = logging.getLogger(__name__)

SPOOL_FILE = "agentwatch-spool.db"


class RemoteModeError(RuntimeError):
    """A read was asked of the local store while events go to a server."""


def not_available_here(endpoint: str) -> str:
    return (
        f"not available in remote mode: events go to {endpoint}; query the server (its read API under "
        f"{endpoint}/api/v1/), or unset the endpoint setting (AGENTWATCH_ENDPOINT) to read a local database"
    )


def spool_file(settings: Settings) -> Path:
    """``spool_path``, or ``agentwatch-spool.db`` in the directory of the ``database`` setting."""
    if settings.spool_path:
        return Path(settings.spool_path)
    return Path(settings.sqlite_path).parent / SPOOL_FILE


def wire_document(event: LLMCall) -> str:
    """The event as the ingest API takes it. Lone surrogates (undecodable bytes the app passed
    in) cannot be UTF-8 encoded; they travel as JSON ``\\u`` escapes instead."""
    try:
        return event.model_dump_json(exclude_defaults=True)
    except ValueError:
        return json.dumps(event.model_dump(mode="json", exclude_defaults=True))


class RemoteStorage:
    def __init__(self, settings: Settings, *, backoff: Backoff | None = None) -> None:
        if settings.endpoint is None:
            raise ValueError("remote mode needs the endpoint setting")
        self.endpoint = settings.endpoint
        self.spool = Spool(spool_file(settings), settings.spool_size)
        if unparked := self.spool.unpark():
            log.info(
                "agentwatch: %d parked event(s) in %s are queued to be sent again", unparked, self.spool.path
            )
        client = IngestClient(settings.endpoint, settings.api_key)
        self.sender = Sender(self.spool, client, batch_size=settings.batch_size, backoff=backoff)
        self.overflow = 0
        self._full = False
        self._spooled = 0
        self._parked = 0
        self.sender.start()

    def write_events(self, events: list[LLMCall]) -> list[LLMCall]:
        """Spool the batch (one transaction); returns the events added, in order."""
        added, overflow = self.spool.append([(event.event_id, wire_document(event)) for event in events])
        self.overflow += overflow
        if overflow and not self._full:  # once per episode: it is full on every write until it drains
            log.warning(
                "agentwatch: the spool %s is full (%d events): new events are dropped until the server "
                "takes some (%d so far)",
                self.spool.path,
                self.spool.max_events,
                self.overflow,
            )
        self._full = overflow > 0
        self.sender.wake()
        new = []
        for event in events:
            if event.event_id in added:
                added.discard(event.event_id)
                new.append(event)
        return new

    def write_anomalies(self, anomalies: list[Anomaly]) -> None:
        """Not shipped: the server analyses the events it receives and finds its own."""

    def write_report(self, report: ProcessReport) -> None:
        """Not shipped: the process's counters are in ``agentwatch.status()``."""

    def write_deliveries(self, deliveries: list[AlertDelivery]) -> None:
        """Not shipped: in remote mode the server raises and delivers the alerts."""

    def delivery(self) -> Delivery:
        with contextlib.suppress(sqlite3.Error):  # closed or failing: the last counts read
            self._spooled, self._parked = len(self.spool), self.spool.parked()
        return Delivery(
            spooled=self._spooled,
            sent=self.sender.sent,
            dropped=self.overflow,
            failures=self.sender.failures,
            parked=self._parked,
        )

    def close(self) -> None:
        self.drain_and_close(0.0)

    def drain_and_close(self, timeout: float) -> bool:
        """Send what is spooled for up to ``timeout`` seconds, then stop; True if nothing is left."""
        try:
            return self.sender.close(timeout)
        except Exception:
            log.exception("agentwatch: sending the spool at shutdown failed; it is kept for the next start")
            return False
        finally:
            self.spool.close()

    # ------------------------------------------------------------------ reads: the server's job

    def _unavailable(self, what: str) -> RemoteModeError:
        return RemoteModeError(f"{what} are {not_available_here(self.endpoint)}")

    def events(
        self,
        where: EventFilter,
        limit: int = 20,
        *,
        min_risk: int | None = None,
        before: tuple[float, str] | None = None,
    ) -> list[LLMCall]:
        raise self._unavailable("events")

    def anomalies(
        self,
        since: datetime | None = None,
        limit: int = 10,
        *,
        type: str | None = None,
        before: tuple[float, str] | None = None,
    ) -> list[Anomaly]:
        raise self._unavailable("anomalies")

    def find_anomalies(
        self, where: AnomalyFilter, limit: int = 10, *, before: tuple[float, str] | None = None
    ) -> list[Anomaly]:
        raise self._unavailable("anomalies")

    def set_anomaly_status(self, anomaly_ids: list[str], status: AnomalyStatus) -> list[Anomaly]:
        raise self._unavailable("anomalies")

    def resolve_fingerprint(self, fingerprint: str) -> int:
        raise self._unavailable("anomalies")

    def deliveries(self, since: datetime | None = None, limit: int = 20) -> list[AlertDelivery]:
        raise self._unavailable("alert deliveries")

    def stats(self, where: EventFilter) -> Stats:
        raise self._unavailable("stats")

    def cost_breakdown(self, where: EventFilter, by: str) -> list[CostRow]:
        raise self._unavailable("costs")

    def reports(self, since: datetime | None = None) -> list[ProcessReport]:
        raise self._unavailable("process reports")

    def delete_before(self, cutoff: datetime) -> int:
        raise self._unavailable("deletions")
