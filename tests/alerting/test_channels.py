"""Each channel against a real receiver on loopback: what arrives, signed as documented."""

from __future__ import annotations

from agentwatch.alerting import Notice
from agentwatch.alerting.email import EmailChannel
from agentwatch.alerting.pagerduty import PagerDutyChannel
from agentwatch.alerting.settings import (
    EmailChannelSettings,
    PagerDutyChannelSettings,
    SlackChannelSettings,
    WebhookChannelSettings,
)
from agentwatch.alerting.slack import SlackChannel
from agentwatch.alerting.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookChannel, sign, verify
from agentwatch.model import Anomaly, Severity
from tests.alerting.conftest import Mailbox, Receiver, anomaly

NOW = 1_800_000_000.0


def test_webhook_posts_the_anomaly_signed_with_hmac(receiver: Receiver) -> None:
    settings = WebhookChannelSettings(
        type="webhook", url=receiver.url, secret="s3cret", headers={"X-Team": "ml"}
    )
    channel = WebhookChannel("hook", settings, clock=lambda: NOW)
    assert channel.deliver(Notice("trigger", anomaly())) == 200

    [request] = receiver.requests
    assert request.path == "/hook" and request.headers["content-type"] == "application/json"
    assert request.headers["x-team"] == "ml"
    assert request.json["action"] == "trigger"
    assert Anomaly.model_validate(request.json["anomaly"]) == anomaly()
    timestamp = request.headers[TIMESTAMP_HEADER.lower()]
    signature = request.headers[SIGNATURE_HEADER.lower()]
    assert timestamp == "1800000000"
    assert verify("s3cret", timestamp, request.body, signature, now=NOW + 10)
    assert not verify("wrong", timestamp, request.body, signature, now=NOW)
    assert not verify("s3cret", timestamp, request.body + b" ", signature, now=NOW)  # body changed
    assert not verify("s3cret", timestamp, request.body, signature, now=NOW + 3600)  # a replay, later
    assert signature == sign("s3cret", timestamp, request.body) and signature.startswith("sha256=")


def test_webhook_without_a_secret_is_unsigned(receiver: Receiver) -> None:
    WebhookChannel("hook", WebhookChannelSettings(type="webhook", url=receiver.url)).deliver(
        Notice("resolve", anomaly())
    )
    [request] = receiver.requests
    assert SIGNATURE_HEADER.lower() not in request.headers and request.json["action"] == "resolve"


def test_slack_gets_blocks_with_the_evidence_and_the_action(receiver: Receiver) -> None:
    SlackChannel("team", SlackChannelSettings(type="slack", url=receiver.url)).deliver(
        Notice("trigger", anomaly())
    )
    message = receiver.requests[0].json
    assert message["text"].startswith("[HIGH] cost_spike: Cost $0.0400")
    header, text, fields, context = message["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": ":red_circle: cost_spike"}}
    assert text["text"]["text"] == anomaly().description
    assert {"type": "mrkdwn", "text": "*Scope*\nprovider=openai, model=gpt-4o-mini"} in fields["fields"]
    assert {"type": "mrkdwn", "text": "*Observed*\n0.04"} in fields["fields"]
    assert context["elements"][0]["text"] == "Action: Look for a prompt or loop that grew; set a budget"


def test_pagerduty_trigger_and_resolve_share_the_dedup_key(receiver: Receiver) -> None:
    settings = PagerDutyChannelSettings(type="pagerduty", routing_key="R0UT1NG", url=receiver.url)
    channel = PagerDutyChannel("oncall", settings)
    channel.deliver(Notice("trigger", anomaly(Severity.CRITICAL)))
    channel.deliver(Notice("resolve", anomaly(Severity.CRITICAL)))
    trigger, resolve = (r.json for r in receiver.requests)
    assert trigger["routing_key"] == "R0UT1NG" and trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == "fp-1"
    payload = trigger["payload"]
    assert (payload["severity"], payload["source"], payload["class"]) == (
        "critical",
        "agentwatch",
        "cost_spike",
    )
    assert payload["summary"].startswith("cost_spike: Cost $0.0400")
    assert payload["custom_details"]["threshold"] == 0.0033 and payload["component"] == "gpt-4o-mini"
    assert resolve == {"routing_key": "R0UT1NG", "event_action": "resolve", "dedup_key": "fp-1"}


def test_email_over_smtp(mailbox: Mailbox) -> None:
    settings = EmailChannelSettings(
        type="email",
        host=mailbox.host,
        port=mailbox.port,
        sender="aw@example.com",
        to=["ops@example.com", "b@x.org"],
    )
    EmailChannel("mail", settings).deliver(Notice("trigger", anomaly()))
    [message] = mailbox.messages
    assert message["Subject"].startswith("[HIGH] cost_spike: Cost $0.0400")
    assert message["From"] == "aw@example.com" and message["X-Envelope-To"] == "ops@example.com, b@x.org"
    body = message.get_payload()
    assert "Threshold: 0.0033" in body and "Events:    e41" in body
    assert "Action: Look for a prompt or loop that grew; set a budget" in body
