"""Routing, dedup, cooldown, retries and isolation: the dispatcher with real channels and receivers."""

from __future__ import annotations

from typing import Any

from agentwatch.alerting import AlertDispatcher, AlertSettings, build_channels
from agentwatch.model import AlertDelivery, AnomalyStatus, Severity
from tests.alerting.conftest import Mailbox, Receiver, anomaly


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def dispatcher(
    channels: dict[str, Any], **options: Any
) -> tuple[AlertDispatcher, list[AlertDelivery], list[float], Clock]:
    settings = AlertSettings.model_validate({"channels": channels, **options})
    deliveries: list[AlertDelivery] = []
    sleeps: list[float] = []
    clock = Clock()
    found = AlertDispatcher(
        build_channels(settings), settings, record=deliveries.append, clock=clock, sleep=sleeps.append
    )
    return found, deliveries, sleeps, clock


def outcomes(deliveries: list[AlertDelivery], channel: str) -> list[tuple[str, int, str]]:
    return [(d.action, d.attempt, d.outcome) for d in deliveries if d.channel == channel]


def test_routing_by_severity_and_type(receiver: Receiver, second_receiver: Receiver) -> None:
    d, deliveries, _, _ = dispatcher(
        {
            "pages": {"type": "webhook", "url": receiver.url, "min_severity": "critical"},
            "money": {
                "type": "webhook",
                "url": second_receiver.url,
                "types": ["cost_spike", "budget_exceeded"],
            },
        }
    )
    d.send(anomaly(Severity.HIGH, "cost_spike", fp="a", n=1))
    d.send(anomaly(Severity.CRITICAL, "secret_leaked", fp="b", n=2))
    d.send(anomaly(Severity.LOW, "unpriced_model", fp="c", n=3))
    assert d.close(10)
    assert [r.json["anomaly"]["type"] for r in receiver.requests] == ["secret_leaked"]
    assert [r.json["anomaly"]["type"] for r in second_receiver.requests] == ["cost_spike"]
    assert sorted((x.channel, x.anomaly_id, x.outcome) for x in deliveries) == [
        ("money", "an-1", "ok"),
        ("pages", "an-2", "ok"),
    ]


def test_dedup_and_cooldown_per_fingerprint_and_channel(receiver: Receiver) -> None:
    d, _, _, clock = dispatcher({"hook": {"type": "webhook", "url": receiver.url}}, cooldown_seconds=600)
    d.send(anomaly(fp="same", n=1))
    clock.now = 599
    d.send(anomaly(fp="same", n=2))  # within the cooldown: not sent again
    d.send(anomaly(fp="other", n=3))
    clock.now = 1200
    d.send(anomaly(fp="same", n=4))  # the cooldown is over
    d.send(anomaly(fp="same", n=5).model_copy(update={"status": AnomalyStatus.ACKNOWLEDGED}))
    assert d.close(10)
    assert [r.json["anomaly"]["anomaly_id"] for r in receiver.requests] == ["an-1", "an-3", "an-4"]


def test_a_500_is_retried_with_backoff_then_recorded_failed_and_others_still_deliver(
    receiver: Receiver, second_receiver: Receiver, mailbox: Mailbox
) -> None:
    receiver.status = 500
    d, deliveries, sleeps, _ = dispatcher(
        {
            "broken": {"type": "webhook", "url": receiver.url, "max_attempts": 4, "backoff": 0.5},
            "slack": {"type": "slack", "url": second_receiver.url},
            "mail": {
                "type": "email",
                "host": mailbox.host,
                "port": mailbox.port,
                "sender": "a@b.c",
                "to": ["d@e.f"],
            },
        }
    )
    d.send(anomaly())
    assert d.close(10)
    assert len(receiver.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert outcomes(deliveries, "broken") == [
        ("trigger", 1, "retry"),
        ("trigger", 2, "retry"),
        ("trigger", 3, "retry"),
        ("trigger", 4, "failed"),
    ]
    assert {x.http_status for x in deliveries if x.channel == "broken"} == {500}
    assert outcomes(deliveries, "slack") == [("trigger", 1, "ok")]
    assert outcomes(deliveries, "mail") == [("trigger", 1, "ok")] and len(mailbox.messages) == 1


def test_a_4xx_is_not_retried(receiver: Receiver) -> None:
    receiver.status = 404
    d, deliveries, sleeps, _ = dispatcher({"hook": {"type": "webhook", "url": receiver.url}})
    d.send(anomaly())
    assert d.close(10)
    assert outcomes(deliveries, "hook") == [("trigger", 1, "failed")] and sleeps == []


def test_a_hanging_receiver_times_out_without_holding_up_the_others(
    receiver: Receiver, second_receiver: Receiver
) -> None:
    receiver.hang = 3.0
    d, deliveries, _, _ = dispatcher(
        {
            "slow": {"type": "webhook", "url": receiver.url, "timeout": 0.2, "max_attempts": 2, "backoff": 0},
            "fast": {"type": "webhook", "url": second_receiver.url},
        }
    )
    for n in range(3):
        d.send(anomaly(fp=f"fp{n}", n=n))  # returns at once: delivery is on the channels' threads
    assert second_receiver.got.wait(10)
    assert d.close(30)
    assert len(second_receiver.requests) == 3
    assert [x.outcome for x in deliveries if x.channel == "fast"] == ["ok"] * 3
    slow = [x for x in deliveries if x.channel == "slow"]
    assert [x.outcome for x in slow] == ["retry", "failed"] * 3
    assert all("timed out" in (x.error or "") for x in slow)


def test_resolve_goes_only_to_channels_that_were_triggered_and_can_resolve(
    receiver: Receiver, second_receiver: Receiver
) -> None:
    d, deliveries, _, _ = dispatcher(
        {
            "pd": {"type": "pagerduty", "routing_key": "k", "url": receiver.url, "min_severity": "high"},
            "slack": {"type": "slack", "url": second_receiver.url},
        }
    )
    d.send(anomaly(Severity.HIGH, fp="win"))
    d.resolve(anomaly(Severity.HIGH, fp="win"))
    d.resolve(anomaly(Severity.HIGH, fp="never-sent"))
    assert d.close(10)
    assert [(r.json["event_action"], r.json["dedup_key"]) for r in receiver.requests] == [
        ("trigger", "win"),
        ("resolve", "win"),
    ]
    assert len(second_receiver.requests) == 1  # Slack cannot close anything
    assert outcomes(deliveries, "pd") == [("trigger", 1, "ok"), ("resolve", 1, "ok")]


def test_a_full_queue_drops_and_records_it(receiver: Receiver) -> None:
    receiver.hang = 1.0
    d, deliveries, _, _ = dispatcher(
        {"slow": {"type": "webhook", "url": receiver.url, "timeout": 5}}, queue_size=1, cooldown_seconds=0
    )
    for n in range(4):
        d.send(anomaly(fp=f"f{n}", n=n))
    assert d.close(30)
    assert [x.outcome for x in deliveries].count("dropped") >= 1
    assert {x.attempt for x in deliveries if x.outcome == "dropped"} == {0}
