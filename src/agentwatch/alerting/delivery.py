"""One notice to one channel: attempts with exponential backoff, each attempt recorded."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from agentwatch.alerting.channel import Channel, DeliveryError, Notice
from agentwatch.alerting.settings import Route
from agentwatch.model import AlertDelivery

log = logging.getLogger(__name__)

Record = Callable[[AlertDelivery], None]


class Sender:
    def __init__(
        self,
        record: Record | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._record = record
        self._sleep = sleep
        self._now = now

    def deliver(self, channel: Channel, route: Route, notice: Notice) -> bool:
        """Attempt ``notice`` up to ``route.max_attempts`` times; True once delivered."""
        delay = route.backoff
        for attempt in range(1, route.max_attempts + 1):
            started = time.perf_counter()
            try:
                status = channel.deliver(notice)
            except DeliveryError as exc:
                last = attempt == route.max_attempts or not exc.retry
                outcome = "failed" if last else "retry"
                self.note(
                    channel.name,
                    notice,
                    attempt,
                    outcome,
                    http_status=exc.http_status,
                    error=str(exc),
                    started=started,
                )
                if last:
                    log.warning(
                        "agentwatch: alert to %r failed after %d attempt(s): %s", channel.name, attempt, exc
                    )
                    return False
                self._sleep(delay)
                delay *= 2
                continue
            self.note(channel.name, notice, attempt, "ok", http_status=status, started=started)
            return True
        return False

    def note(
        self,
        channel: str,
        notice: Notice,
        attempt: int,
        outcome: str,
        *,
        http_status: int | None = None,
        error: str | None = None,
        started: float | None = None,
    ) -> None:
        if self._record is None:
            return
        delivery = AlertDelivery(
            at=self._now(),
            channel=channel,
            action=notice.action,
            anomaly_id=notice.anomaly.anomaly_id,
            fingerprint=notice.anomaly.fingerprint,
            attempt=attempt,
            outcome=outcome,
            http_status=http_status,
            error=error,
            duration_ms=0.0 if started is None else (time.perf_counter() - started) * 1000,
        )
        try:
            self._record(delivery)
        except Exception:
            log.warning("agentwatch: could not record an alert delivery", exc_info=True)
