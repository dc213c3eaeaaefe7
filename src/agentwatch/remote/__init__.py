"""Remote mode: events are processed in the app and shipped to an ``agentwatch serve`` server.

``agentwatch.configure(endpoint="http://host:8787", api_key=...)`` (or ``AGENTWATCH_ENDPOINT`` /
``AGENTWATCH_API_KEY``) makes :class:`RemoteStorage` the store: batches go to a durable local
spool (:mod:`.spool`) that a sender thread (:mod:`.sender`) posts to ``POST /api/v1/events``
(:mod:`.client`), deleting them only once the server has acknowledged them.
"""

from __future__ import annotations

from agentwatch.remote.sender import Backoff, Delivery
from agentwatch.remote.storage import RemoteModeError, RemoteStorage, not_available_here, spool_file

__all__ = ["Backoff", "Delivery", "RemoteModeError", "RemoteStorage", "not_available_here", "spool_file"]
