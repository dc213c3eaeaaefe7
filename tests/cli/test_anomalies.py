"""anomalies (filters), ack, resolve and alerts test/log/channels against a real database and receivers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from agentwatch.model import Anomaly, AnomalyStatus, Severity
from agentwatch.storage import SQLiteStorage
from tests.alerting.conftest import Receiver, _serve
from tests.cli.conftest import NOW, Database, invoke, invoke_json


def _anomaly(n: int, type_: str, severity: Severity, **scope: str) -> Anomaly:
    return Anomaly(
        anomaly_id=f"id{n:02d}-{type_}",
        type=type_,
        severity=severity,
        description=f"{type_} #{n}",
        detected_at=NOW - timedelta(minutes=n),
        scope={"provider": "openai", **scope},
        fingerprint=f"fp-{type_}",
    )


MORE = [
    _anomaly(1, "secret_leaked", Severity.CRITICAL, model="gpt-4o", user="alice"),
    _anomaly(2, "cost_spike", Severity.HIGH, model="gpt-4o-mini", agent="research"),
    _anomaly(3, "unpriced_model", Severity.LOW, model="my-finetune"),
]


@pytest.fixture
def many(db: Database) -> Database:
    store = SQLiteStorage(db.path)
    store.write_anomalies(MORE)
    store.close()
    return db


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve()


def ids(*args: str, db: Database) -> list[str]:
    return [a["anomaly_id"] for a in invoke_json("anomalies", "50", *args, "--database", db.url)]


def test_filters(many: Database) -> None:
    assert ids("--type", "cost_spike", db=many) == ["id02-cost_spike"]
    assert ids("--severity", "high", db=many) == ["id01-secret_leaked", "id02-cost_spike", "an-old"]
    assert ids("--model", "my-finetune", db=many) == ["id03-unpriced_model"]
    assert ids("--user", "alice", db=many) == ["id01-secret_leaked"]
    assert ids("--agent", "research", db=many) == ["id02-cost_spike"]
    assert ids("--since", "1h", "--severity", "medium", db=many) == [
        "id01-secret_leaked",
        "id02-cost_spike",
        "an-recent",
    ]
    assert ids("--status", "acknowledged", db=many) == []


def test_ack_and_resolve_by_id_or_prefix(many: Database) -> None:
    done = invoke("ack", "id02", "--database", many.url)
    assert done.exit_code == 0, done.output
    assert "id02-cost_spike cost_spike: acknowledged" in done.stdout
    assert ids("--status", "acknowledged", db=many) == ["id02-cost_spike"]
    assert invoke("resolve", "id01-secret_leaked", "--database", many.url).exit_code == 0
    assert ids("--status", "open", db=many) == ["id03-unpriced_model", "an-recent", "an-old"]
    missing = invoke("ack", "id0", "nope", "--database", many.url)  # id0 is ambiguous
    assert missing.exit_code == 1 and "no single anomaly matches id0, nope" in missing.output
    table = invoke("anomalies", "--status", "resolved", "--database", many.url).stdout
    assert "resolved" in table and "id01-secret_leaked" in table


def test_resolve_tells_pagerduty(many: Database, receiver: Receiver, tmp_path: Path) -> None:
    (tmp_path / "agentwatch.toml").write_text(
        f'[agentwatch.alerts.channels.pd]\ntype = "pagerduty"\nrouting_key = "R"\nurl = "{receiver.url}"\n',
        encoding="utf-8",
    )
    done = invoke("resolve", "id01", "--database", many.url)
    assert done.exit_code == 0, done.output
    assert "pd: told" in done.stdout
    assert [r.json for r in receiver.requests] == [
        {"routing_key": "R", "event_action": "resolve", "dedup_key": "fp-secret_leaked"}
    ]
    [delivery] = invoke_json("alerts", "log", "--database", many.url)
    assert (delivery["channel"], delivery["action"], delivery["outcome"]) == ("pd", "resolve", "ok")


def test_alerts_test_channel(db: Database, receiver: Receiver, tmp_path: Path) -> None:
    (tmp_path / "agentwatch.toml").write_text(
        f'[agentwatch.alerts.channels.hook]\ntype = "webhook"\nurl = "{receiver.url}"\nbackoff = 0\n',
        encoding="utf-8",
    )
    done = invoke("alerts", "test", "hook", "--database", db.url)
    assert done.exit_code == 0, done.output
    assert "test alert delivered to hook" in done.stdout
    assert receiver.requests[0].json["anomaly"]["fingerprint"] == "agentwatch-test"

    receiver.status = 500
    failed = invoke("alerts", "test", "hook", "--database", db.url)
    assert failed.exit_code == 1
    assert "attempt 1: retry HTTP 500" in failed.stdout and "attempt 4: failed HTTP 500" in failed.stdout
    assert [d["outcome"] for d in invoke_json("alerts", "log", "3", "--database", db.url)] == [
        "failed",
        "retry",
        "retry",
    ]
    unknown = invoke("alerts", "test", "nope", "--database", db.url)
    assert unknown.exit_code == 2 and "no alert channel 'nope' (channels: hook)" in unknown.output
    listing = invoke("alerts", "channels", "--database", db.url).stdout
    assert "hook" in listing and "webhook" in listing


def test_new_anomaly_status_column_survives_a_round_trip(db: Database) -> None:
    store = SQLiteStorage(db.path)
    try:
        [changed] = store.set_anomaly_status(["an-recent"], AnomalyStatus.ACKNOWLEDGED)
        assert changed.status is AnomalyStatus.ACKNOWLEDGED
        assert store.resolve_fingerprint("") == 2  # the seed-era rows had no fingerprint
    finally:
        store.close()
