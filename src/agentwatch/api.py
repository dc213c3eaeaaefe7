"""The module-level API: one default :class:`Monitor` per process, configured once.

``instrument()`` hands each client a ``submit`` that looks the default monitor up at call time,
so clients instrumented before ``configure()`` report to the monitor configured after.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any, TypeVar

from agentwatch import capture
from agentwatch.capture.providers import server_address
from agentwatch.capture.record import ClientDefaults, RawCall
from agentwatch.capture.stainless import is_instrumented, unwrap_client
from agentwatch.config import Settings, load_settings
from agentwatch.runtime import Monitor, MonitorStatus

C = TypeVar("C")

_lock = threading.Lock()
_monitor: Monitor | None = None


def get_monitor() -> Monitor:
    """The process's monitor, created from the environment and config file on first use."""
    global _monitor  # noqa: PLW0603 - the module-level API delegates to one default instance
    monitor = _monitor
    if monitor is None:
        with _lock:
            if _monitor is None:
                _monitor = Monitor(load_settings())
            monitor = _monitor
    return monitor


def configure(**settings: Any) -> Settings:
    """Set agentwatch's settings (see :class:`~agentwatch.config.Settings`); bad values raise here.

    Arguments win over ``AGENTWATCH_*`` variables, which win over ``agentwatch.toml``.
    Events already queued are flushed to the previous destination first.
    """
    global _monitor
    new_settings = load_settings(settings)
    with _lock:
        old, _monitor = _monitor, Monitor(new_settings)
    if old is not None:
        old.shutdown()
    return new_settings


def _submit(raw: RawCall) -> None:
    get_monitor().submit(raw)


def _stream_usage_wanted() -> bool:
    """The ``stream_usage`` setting in force when a stream starts."""
    return get_monitor().settings.stream_usage


def instrument(
    client: C,
    *,
    provider: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    agent: str | None = None,
    tags: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> C:
    """Monitor every call ``client`` makes; returns the same client. A second call is a no-op.

    ``provider`` overrides the name guessed from the client's class and ``base_url``; the
    other arguments label every call of this client (a surrounding ``trace()`` wins).
    """
    if is_instrumented(client):
        return client
    integration = capture.find_integration(client)
    defaults = ClientDefaults(
        provider=provider or integration.default_provider(client),
        server_address=server_address(getattr(client, "base_url", "")),
        user_id=user_id,
        session_id=session_id,
        agent=agent,
        tags=tuple(tags or ()),
        metadata=dict(metadata or {}),
        stream_usage=_stream_usage_wanted,
    )
    integration.instrument(client, defaults, _submit)
    return client


def uninstrument(client: Any) -> bool:
    """Stop monitoring ``client``; returns whether it was instrumented."""
    return unwrap_client(client)


def flush(timeout: float | None = None) -> bool:
    """Process and store everything captured so far; False if ``timeout`` ran out first."""
    return get_monitor().flush(timeout)


def shutdown(timeout: float | None = None) -> bool:
    """Flush (within ``timeout``, default ``shutdown_timeout``) and stop the worker."""
    monitor = _monitor
    return True if monitor is None else monitor.shutdown(timeout)


def status() -> MonitorStatus:
    """This process's counters: queue depth, written, dropped, errors."""
    return get_monitor().status()


atexit.register(shutdown)
