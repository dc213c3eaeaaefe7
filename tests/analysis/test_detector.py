"""The types that need a cost (issue 3's stage) or a detector finding (issue 4's), driven with events
that carry them; and the detector's settings, windows, baselines and budgets with explicit times."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agentwatch import AnomalyDetector
from agentwatch.analysis import AnomalySettings, BudgetSettings
from agentwatch.config import ConfigError, load_settings
from agentwatch.model import Anomaly, Cost, Finding, LLMCall, Status, Usage
from agentwatch.storage import SQLiteStorage

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
_ids = itertools.count()


def call(at: float = 0.0, **fields: Any) -> LLMCall:
    """An event ``at`` seconds after T0 (a normal, cheap, fast gpt-4o-mini call unless told)."""
    start = T0 + timedelta(seconds=at)
    latency = fields.pop("latency_ms", 800.0)
    n = next(_ids)
    values: dict[str, Any] = {
        "event_id": f"e{n}",
        "trace_id": f"t{n}",
        "span_id": "s",
        "provider": "openai",
        "operation": "chat",
        "request_model": "gpt-4o-mini",
        "start_time": start,
        "end_time": start + timedelta(milliseconds=latency),
        "latency_ms": latency,
        "usage": Usage(input_tokens=100, output_tokens=50),
        "cost": Cost(total_usd=0.002, price_source="test"),
    }
    values.update(fields)
    return LLMCall(**values)


def run(detector: AnomalyDetector, events: list[LLMCall]) -> list[Anomaly]:
    return detector.analyze_batch(events).raised


def normal(n: int, start: float = 0.0, step: float = 5.0, **fields: Any) -> list[LLMCall]:
    return [call(start + i * step, **fields) for i in range(n)]


# ---------------------------------------------------------------------- finding-driven types

SECRET_IN_RESPONSE = Finding(
    kind="secret", type="openai_key", detector="secret.openai_key", location="response"
)


@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        (Finding(kind="pii", type="email", detector="pii.email", location="prompt"), "pii_detected"),
        (
            Finding(kind="injection", type="instruction_override", detector="injection.heuristic", score=0.9),
            "prompt_injection",
        ),
        (SECRET_IN_RESPONSE, "secret_leaked"),
        (Finding(kind="cost", type="unpriced_model", detector="cost"), "unpriced_model"),
        (Finding(kind="usage", type="stream_usage_missing", detector="tokens"), "stream_without_usage"),
    ],
)
def test_each_finding_raises_its_type_and_normal_events_raise_nothing(
    finding: Finding, expected: str
) -> None:
    detector = AnomalyDetector()
    assert run(detector, normal(30)) == []
    [anomaly] = run(detector, [call(200, findings=[finding], user_id="u1")])
    assert anomaly.type == expected
    assert anomaly.event_ids == [anomaly.event_ids[0]] and anomaly.fingerprint
    assert anomaly.recommended_action


def test_secret_leaked_names_where_it_was_found() -> None:
    [anomaly] = AnomalyDetector().analyze_event(call(findings=[SECRET_IN_RESPONSE]))
    assert anomaly.description == "Secret (openai_key) returned in the response"
    assert anomaly.severity.value == "critical"


def test_a_weak_injection_score_is_below_the_threshold() -> None:
    weak = Finding(kind="injection", type="classifier", detector="injection.classifier", score=0.3)
    assert AnomalyDetector().analyze_event(call(findings=[weak])) == []
    assert [
        a.type for a in AnomalyDetector({"injection_min_score": 0.2}).analyze_event(call(findings=[weak]))
    ] == ["prompt_injection"]


def test_unpriced_cost_raises_unpriced_model_once_per_event() -> None:
    [anomaly] = AnomalyDetector().analyze_event(call(request_model="my-finetune", cost=Cost(unpriced=True)))
    assert anomaly.type == "unpriced_model" and anomaly.scope == {
        "provider": "openai",
        "model": "my-finetune",
    }


# ---------------------------------------------------------------------- cost types


def test_high_cost() -> None:
    detector = AnomalyDetector()
    assert run(detector, [call(cost=Cost(total_usd=0.5))]) == []
    [anomaly] = run(detector, [call(10, cost=Cost(total_usd=0.51))])
    assert (anomaly.type, anomaly.observed, anomaly.threshold) == ("high_cost", 0.51, 0.5)


def test_cost_spike_is_against_the_models_baseline_not_the_global_mean() -> None:
    detector = AnomalyDetector()
    cheap = [
        call(i * 5, request_model="gpt-4o-mini", cost=Cost(total_usd=0.001 * (1 + (i % 3) / 10)))
        for i in range(30)
    ]
    dear = [
        call(i * 5, request_model="gpt-4o", cost=Cost(total_usd=0.04 * (1 + (i % 3) / 10))) for i in range(30)
    ]
    assert run(detector, [e for pair in zip(cheap, dear, strict=True) for e in pair]) == []
    # $0.04 is usual for gpt-4o and 3.6x the mean of all calls, yet 40x for gpt-4o-mini:
    assert run(detector, [call(400, request_model="gpt-4o", cost=Cost(total_usd=0.045))]) == []
    [anomaly] = run(detector, [call(410, request_model="gpt-4o-mini", cost=Cost(total_usd=0.04))])
    assert anomaly.type == "cost_spike" and anomaly.scope == {"provider": "openai", "model": "gpt-4o-mini"}
    assert anomaly.baseline == pytest.approx(0.0011, rel=0.1)
    assert anomaly.window == "EWMA of 30 events"


def test_no_spike_during_the_warm_up() -> None:
    detector = AnomalyDetector({"baseline_warmup": 10})
    events = [call(i) for i in range(9)] + [call(10, cost=Cost(total_usd=0.1))]
    assert [a.type for a in run(detector, events)] == []


def test_high_cost_rate_over_a_sliding_hour() -> None:
    detector = AnomalyDetector({"cost_rate_threshold_usd": 1.0})
    spend = [call(i * 60, cost=Cost(total_usd=0.2)) for i in range(5)]  # $1.00 in 4 minutes
    assert run(detector, spend) == []
    later = run(detector, [call(3700, cost=Cost(total_usd=0.2))])  # the first hour has slid out
    assert later == []
    [anomaly] = run(detector, [call(3900 + i, cost=Cost(total_usd=0.3)) for i in range(3)])
    assert anomaly.type == "high_cost_rate" and anomaly.window == "1h"
    assert anomaly.observed == pytest.approx(1.1)


def test_budget_exceeded_per_user_and_day(tmp_path: Path) -> None:
    budgets = BudgetSettings.model_validate(
        {"user": {"daily_usd": 1.0}, "users": {"vip": {"daily_usd": 5.0}}}
    )
    detector = AnomalyDetector(budgets=budgets)
    alice = [call(i, user_id="alice", cost=Cost(total_usd=0.25)) for i in range(4)]
    vip = [call(i, user_id="vip", cost=Cost(total_usd=0.5)) for i in range(4)]
    assert run(detector, alice + vip) == []
    [anomaly] = run(detector, [call(10, user_id="alice", cost=Cost(total_usd=0.01))])
    assert anomaly.type == "budget_exceeded" and anomaly.scope == {"user": "alice"}
    assert (anomaly.observed, anomaly.threshold, anomaly.window) == (pytest.approx(1.01), 1.0, "2026-11-27")
    assert run(detector, [call(11, user_id="alice", cost=Cost(total_usd=0.5))]) == []  # once per day
    [next_day] = run(
        detector, [call(86_400 + i, user_id="alice", cost=Cost(total_usd=0.4)) for i in range(3)]
    )
    assert next_day.window == "2026-11-28"


def test_budget_spend_is_read_from_the_store_after_a_restart(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "aw.db")
    budgets = BudgetSettings.model_validate({"agents": {"research": {"monthly_usd": 10.0}}})
    earlier = [call(-86_400 * 3 + i, agent="research", cost=Cost(total_usd=3.1)) for i in range(3)]
    store.write_events(earlier)  # $9.30 this month, written by a process that is gone

    def spent(kind: str, name: str, since: datetime, until: datetime) -> float:
        from agentwatch.storage import EventFilter

        return store.stats(EventFilter(since=since, until=until, agent=name)).cost_usd

    batch = [
        call(0, agent="research", cost=Cost(total_usd=0.4)),
        call(1, agent="research", cost=Cost(total_usd=0.4)),
    ]
    store.write_events(batch)  # the worker writes a batch, then analyses it
    [anomaly] = AnomalyDetector(budgets=budgets).analyze_batch(batch, spent).raised
    store.close()
    assert anomaly.type == "budget_exceeded" and anomaly.observed == pytest.approx(10.1)
    assert anomaly.window == "2026-11" and "monthly" in anomaly.description


def test_a_store_that_fails_the_budget_lookup_costs_only_the_budgets(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "aw.db")
    store.close()  # the store is gone: reading a budget period's spend raises

    def spent(kind: str, name: str, since: datetime, until: datetime) -> float:
        from agentwatch.storage import EventFilter

        return store.stats(EventFilter(since=since, until=until, agent=name)).cost_usd

    budgets = BudgetSettings.model_validate({"agents": {"research": {"daily_usd": 1.0}}})
    detector = AnomalyDetector(budgets=budgets)
    batch = [
        call(0, agent="research", status=Status.ERROR, cost=Cost(total_usd=0.45)),
        call(1, agent="research", cost=Cost(total_usd=0.45)),
    ]
    found = detector.analyze_batch(batch, spent)
    assert [a.type for a in found.raised] == ["request_failure"]  # the other rules still ran
    assert detector.failures == 1
    store = SQLiteStorage(tmp_path / "aw.db")  # back: the period's spend is read, not taken as $0
    later = [call(2, agent="research", cost=Cost(total_usd=0.2))]  # $1.10 today, with the first batch
    store.write_events([*batch, *later])
    assert [a.type for a in detector.analyze_batch(later, spent).raised] == ["budget_exceeded"]
    store.close()


# ---------------------------------------------------------------------- windows with explicit times


def test_request_rate_window_slides() -> None:
    detector = AnomalyDetector({"request_rate_threshold": 10})
    assert run(detector, normal(10, step=5)) == []  # 10 in 45 s
    assert run(detector, normal(10, start=61, step=6)) == []  # never more than 10 in a minute
    [anomaly] = run(detector, normal(11, start=200, step=1))
    assert anomaly.type == "high_request_rate"


def test_error_rate_needs_enough_requests() -> None:
    detector = AnomalyDetector({"error_rate_min_requests": 10, "model_errors_min": 100})
    errors = [call(i, status=Status.ERROR) for i in range(5)]
    assert {a.type for a in run(detector, errors)} == {"request_failure"}
    more = run(detector, normal(5, start=10, step=1))
    assert [a.type for a in more] == ["high_error_rate"]


def test_an_event_from_a_clock_running_ahead_does_not_blind_the_windows() -> None:
    detector = AnomalyDetector({"model_errors_min": 100}, clock=lambda: T0)
    run(detector, [call(2 * 3600)])  # a client whose clock is two hours ahead
    errors = [call(i, status=Status.ERROR) for i in range(29)]
    assert "high_error_rate" in {a.type for a in run(detector, errors)}


def test_time_alone_resolves_window_anomalies_once_their_window_has_passed() -> None:
    detector = AnomalyDetector(
        {"error_rate_min_requests": 3, "model_errors_min": 3, "error_rate_window_s": 60}
    )
    raised = run(detector, [call(i, status=Status.ERROR) for i in range(3)])
    assert {a.type for a in raised} == {"request_failure", "high_error_rate", "model_errors"}
    assert detector.expire(T0 + timedelta(seconds=30)) == []  # the errors are still in the window
    resolved = detector.expire(T0 + timedelta(seconds=63))
    assert sorted(a.type for a in resolved) == ["high_error_rate", "model_errors"]
    assert detector.windows.active == {} and detector.expire(T0 + timedelta(seconds=120)) == []


# ---------------------------------------------------------------------- settings


def test_seed_config_keys_and_new_ones_are_accepted() -> None:
    detector = AnomalyDetector(
        config={"latency_threshold_ms": 100, "error_rate_threshold": 0.2, "spike_sigmas": 5}
    )
    assert detector.settings.latency_threshold_ms == 100 and detector.settings.spike_sigmas == 5
    with pytest.raises(ValidationError, match="no_such_key"):
        AnomalyDetector(config={"no_such_key": 1})


def test_disabled_types_are_never_raised() -> None:
    detector = AnomalyDetector({"disabled_types": ["request_failure"]})
    assert detector.analyze_event(call(status=Status.ERROR)) == []
    with pytest.raises(ValidationError, match="not_a_type"):
        AnomalySettings(disabled_types=frozenset({"not_a_type"}))


def test_agentwatch_toml_tables(tmp_path: Path) -> None:
    path = tmp_path / "agentwatch.toml"
    path.write_text(
        """
[agentwatch.anomalies]
latency_threshold_ms = 2500
request_rate_threshold = 500

[agentwatch.budgets.users.alice]
daily_usd = 2.5

[agentwatch.alerts.channels.team]
type = "slack"
url = "https://hooks.slack.com/services/T/B/X"
min_severity = "high"
""",
        encoding="utf-8",
    )
    settings = load_settings(environ={}, config_file=path)
    assert settings.anomalies.latency_threshold_ms == 2500 and settings.anomalies.token_threshold == 8000
    assert settings.budgets.limit("user", "alice").daily_usd == 2.5
    assert settings.budgets.limit("user", "bob").daily_usd is None
    assert settings.alerts.channels["team"].min_severity.value == "high"
    path.write_text(
        '[agentwatch.alerts.channels.x]\ntype = "webhook"\nurl = "ftp://nope"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="alerts"):
        load_settings(environ={}, config_file=path)


def test_bad_events_never_raise_out_of_the_detector() -> None:
    detector = AnomalyDetector()
    weird = call(latency_ms=0.0, cost=Cost(total_usd=-1.0), usage=Usage(input_tokens=-5))
    weird.end_time = weird.start_time - timedelta(days=400)  # a clock that jumped
    result = detector.analyze_batch([weird, call(1)])
    assert detector.failures == 0 and len(result.per_event) == 2
