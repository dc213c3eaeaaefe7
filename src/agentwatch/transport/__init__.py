"""Transport: how raw records travel from the caller's thread to the pipeline."""

from __future__ import annotations

from agentwatch.transport.queue import BatchQueue, QueueStatus

__all__ = ["BatchQueue", "QueueStatus"]
