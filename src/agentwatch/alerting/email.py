"""Email over SMTP (standard library): a plain-text message with the evidence."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from agentwatch.alerting.channel import DeliveryError, Notice, summary
from agentwatch.alerting.settings import EmailChannelSettings
from agentwatch.model import Anomaly


def body(anomaly: Anomaly) -> str:
    lines = [
        anomaly.description,
        "",
        f"Type:      {anomaly.type}",
        f"Severity:  {anomaly.severity.value}",
        f"Scope:     {', '.join(f'{k}={v}' for k, v in anomaly.scope.items()) or '-'}",
        f"Observed:  {anomaly.observed}",
        f"Threshold: {anomaly.threshold}",
        f"Window:    {anomaly.window or '-'}",
        f"Events:    {', '.join(anomaly.event_ids) or '-'}",
        f"Detected:  {anomaly.detected_at.isoformat()}",
        f"Anomaly:   {anomaly.anomaly_id} (fingerprint {anomaly.fingerprint})",
        "",
        f"Action: {anomaly.recommended_action or '-'}",
    ]
    return "\n".join(lines) + "\n"


class EmailChannel:
    resolves = False

    def __init__(self, name: str, settings: EmailChannelSettings) -> None:
        self.name = name
        self.settings = settings

    def deliver(self, notice: Notice) -> int | None:
        s = self.settings
        message = EmailMessage()
        message["Subject"] = summary(notice.anomaly)[:200]
        message["From"] = s.sender
        message["To"] = ", ".join(s.to)
        message.set_content(body(notice.anomaly))
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.username:
                    smtp.login(s.username, s.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {exc.smtp_code}", retry=exc.smtp_code >= 400 and exc.smtp_code < 500
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        return None
