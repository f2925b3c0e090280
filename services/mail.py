"""Mail through the SMTP relay named in the settings (smtp_host); nothing is sent when none is configured."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True, slots=True)
class SmtpRelay:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 10.0


def send_mail(relay: SmtpRelay, *, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = relay.sender, to, subject
    message.set_content(body)
    with smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout_seconds) as smtp:
        if relay.starttls:
            smtp.starttls()
        if relay.username and relay.password:
            smtp.login(relay.username, relay.password)
        smtp.send_message(message)
