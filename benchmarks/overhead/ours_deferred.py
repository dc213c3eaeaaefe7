"""Diagnostic variant: agentwatch with the worker's timer and batch trigger pushed out of reach, so
the pipeline runs only in the harness's post-block ``flush`` (outside the timing). Compared with
``agentwatch`` in the same run, it separates the caller's-thread cost (capture + enqueue) from the
worker thread competing for the GIL and the CPUs during the timed calls. Not a real configuration:
events would wait an hour for their write.
"""

from __future__ import annotations

from typing import Any

from variants import ours

NAME = "agentwatch_deferred"
DESCRIPTION = "diagnostic: agentwatch with flush_interval=3600 s (pipeline only in the post-block flush)"
SUPPORTS = ours.SUPPORTS
IMPORTS = ours.IMPORTS
DB_FILE = "agentwatch_deferred.db"


def setup(ctx: Any) -> None:
    ours.setup(ctx, db_file=DB_FILE, flush_interval=3600, batch_size=1_000_000, queue_size=1_000_000)


wrap = ours.wrap
flush = ours.flush
finish = ours.finish
