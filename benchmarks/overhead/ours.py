"""agentwatch as a variant of the shared overhead harness (``shared/bench/overhead``).

``run.sh`` copies this file into a temporary copy of the harness as ``variants/ours.py``; the
harness imports it there as ``variants.ours`` and selects it by ``NAME`` (``--variants
bare,agentwatch``). The default pipeline runs: capture on the caller's thread, then on the
worker thread normalise, content policy, SQLite write (WAL, batched, with per-minute rollups)
and the anomaly rules.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

NAME = "agentwatch"
DESCRIPTION = (
    "agentwatch.instrument(client): RawCall queued on the caller's thread; worker thread "
    "normalises, runs rules, writes SQLite (WAL, batched, per-minute rollups)"
)
SUPPORTS = {"openai", "anthropic"}
IMPORTS = ["agentwatch"]  # measured for import time
LAUNCH_PREFIX: list[str] = []
ENV: dict[str, str] = {}

DB_FILE = "agentwatch.db"


def setup(ctx: Any, db_file: str = DB_FILE, **settings: Any) -> None:
    import agentwatch

    path = os.path.join(ctx.scratch_dir, db_file)
    for suffix in ("", "-wal", "-shm"):  # the scratch dir is reused between runs
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    agentwatch.configure(database=f"sqlite:///{path}", **settings)
    ctx.state["db_path"] = path


def wrap(client: Any, ctx: Any) -> Any:
    import agentwatch

    return agentwatch.instrument(client)


def flush(ctx: Any) -> None:
    import agentwatch

    agentwatch.flush()


def finish(ctx: Any) -> dict[str, Any]:
    import agentwatch

    flushed = agentwatch.flush(timeout=60)
    st = agentwatch.status()
    conn = sqlite3.connect(ctx.state["db_path"])
    try:
        rows = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        rolled_up = conn.execute("SELECT coalesce(sum(requests), 0) FROM rollup_minute").fetchone()[0]
    finally:
        conn.close()
    return {
        "submitted": st.submitted,
        "written": st.written,
        "event_rows": rows,
        "rollup_requests": rolled_up,
        "dropped": st.dropped,
        "errors": st.errors,
        "pending": st.pending,
        "flushed": flushed,
    }
