"""The ingest API (``POST /api/v1/events``) and the read API (events, stats, anomalies).

Reads page newest-first with an opaque ``cursor`` (the position after the last item returned) and
``limit``. Read handlers are plain functions: FastAPI runs them in its thread pool, off the event loop.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import AfterValidator, BaseModel, Field

from agentwatch.model import Anomaly, LLMCall, Status
from agentwatch.server.auth import require
from agentwatch.server.ingest import Ingestor, unstorable
from agentwatch.storage import EventFilter, Storage
from agentwatch.storage.keys import ApiKey, Scope

router = APIRouter(prefix="/api/v1")

MAX_BATCH = 10_000


class EventBatch(BaseModel):
    events: list[LLMCall] = Field(max_length=MAX_BATCH, description="Events as `LLMCall` JSON")


class IngestResult(BaseModel):
    accepted: int = Field(description="Events stored by this request")
    duplicates: int = Field(description="Events whose event_id was already stored (ignored)")
    rejected: int = Field(
        default=0, description="Events the store could not hold even alone (values beyond its types): dropped"
    )


class EventsPage(BaseModel):
    events: list[LLMCall]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")


class AnomaliesPage(BaseModel):
    anomalies: list[Anomaly]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")


class StatsResult(BaseModel):
    requests: int
    ok: int
    errors: int
    incomplete: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: float
    unpriced_requests: int
    success_rate: float | None
    avg_latency_ms: float | None
    max_latency_ms: float | None
    pii_events: int
    injection_events: int
    anomalies: int


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Unreadable body or cursor"},
    401: {"description": "Missing, unknown or revoked API key"},
    403: {"description": "The key lacks the scope"},
    413: {"description": "Body too large"},
    415: {"description": "Unsupported Content-Encoding"},
    429: {"description": "Rate limit exceeded (see Retry-After)"},
    503: {"description": "Overloaded or the store is unavailable (see Retry-After)"},
}


def _utc(moment: datetime) -> datetime:
    """A time without an offset is UTC (not the server's local time)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


Moment = Annotated[datetime, AfterValidator(_utc)]
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]
Since = Annotated[
    Moment | None, Query(description="ISO 8601 time (UTC if no offset): only items at or after it")
]
Until = Annotated[Moment | None, Query(description="ISO 8601 time (UTC if no offset): only items before it")]


def _encode_cursor(ts: float, item_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([ts, item_id]).encode()).decode()


def _decode_cursor(cursor: str | None) -> tuple[float, str] | None:
    if cursor is None:
        return None
    try:
        ts, item_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(ts, int | float) and not isinstance(ts, bool) and isinstance(item_id, str):
            return float(ts), item_id
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        pass
    raise HTTPException(400, "invalid cursor")


def _storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


def _ingestor(request: Request) -> Ingestor:
    ingestor: Ingestor = request.app.state.ingestor
    return ingestor


@router.post("/events", response_model=IngestResult, responses=ERRORS, summary="Send a batch of events")
async def ingest_events(
    batch: EventBatch, request: Request, key: Annotated[ApiKey, Depends(require(Scope.INGEST))]
) -> IngestResult:
    """Store events sent as JSON (`LLMCall`), idempotently: an `event_id` already stored is ignored
    and counted in `duplicates`. The reply comes once the batch is committed."""
    ingestor = _ingestor(request)
    ingestor.admit(key)
    for event in batch.events:
        problem = unstorable(event)
        if problem is not None:
            raise HTTPException(422, problem)
    submission = await ingestor.commit(batch.events)
    return IngestResult(
        accepted=submission.stored, duplicates=submission.duplicates, rejected=submission.rejected
    )


@router.get("/events", response_model=EventsPage, responses=ERRORS, summary="Read events, newest first")
def read_events(
    request: Request,
    _key: Annotated[ApiKey, Depends(require(Scope.READ))],
    since: Since = None,
    until: Until = None,
    provider: str | None = None,
    model: Annotated[str | None, Query(description="Request model, else the response's")] = None,
    user: str | None = None,
    agent: str | None = None,
    status: Status | None = None,
    min_risk: Annotated[int | None, Query(ge=0, le=100)] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> EventsPage:
    where = EventFilter(since, until, provider, model, user, agent, status.value if status else None)
    events = _storage(request).events(where, limit, min_risk=min_risk, before=_decode_cursor(cursor))
    last = events[-1] if len(events) == limit else None
    return EventsPage(
        events=events,
        next_cursor=_encode_cursor(last.start_time.timestamp(), last.event_id) if last else None,
    )


@router.get("/stats", response_model=StatsResult, responses=ERRORS, summary="Totals over a period")
def read_stats(
    request: Request,
    _key: Annotated[ApiKey, Depends(require(Scope.READ))],
    since: Since = None,
    until: Until = None,
    provider: str | None = None,
    model: str | None = None,
    user: str | None = None,
    agent: str | None = None,
    status: Status | None = None,
) -> StatsResult:
    """Read from per-minute rollups, so `since` and `until` count whole minutes."""
    where = EventFilter(since, until, provider, model, user, agent, status.value if status else None)
    stats = _storage(request).stats(where)
    return StatsResult(**asdict(stats), success_rate=stats.success_rate, total_tokens=stats.total_tokens)


@router.get(
    "/anomalies", response_model=AnomaliesPage, responses=ERRORS, summary="Read anomalies, newest first"
)
def read_anomalies(
    request: Request,
    _key: Annotated[ApiKey, Depends(require(Scope.READ))],
    since: Since = None,
    type: Annotated[str | None, Query(description="Only this anomaly type, e.g. high_latency")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> AnomaliesPage:
    anomalies = _storage(request).anomalies(since, limit, type=type, before=_decode_cursor(cursor))
    last = anomalies[-1] if len(anomalies) == limit else None
    return AnomaliesPage(
        anomalies=anomalies,
        next_cursor=_encode_cursor(last.detected_at.timestamp(), last.anomaly_id) if last else None,
    )
