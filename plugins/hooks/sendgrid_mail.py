"""SendGrid as the shared mail provider, through the official ``sendgrid`` client.

The ``ponton_sendgrid`` connection holds the API key (password), an optional API host (the EU
region, or a test double), the sender and whether the account has the Email Activity API
(``activity_api``): with it, the backend can look a message up by our reference and pull
statuses; without it, statuses arrive by webhook only. The Event Webhook verification keys live
in ``ponton_mail_webhooks``, read by the webhook receiver alone.
"""

from __future__ import annotations

from typing import Any

from ponton.errors import ConfigError
from ponton.hooks.mail import MailHook, flag
from ponton.mail.backends.sendgrid import (
    DEFAULT_HOST,
    SendGridActivityBackend,
    SendGridBackend,
    SendGridOptions,
)


class SendGridMailHook(MailHook):
    conn_type = "ponton_sendgrid"
    hook_name = "SendGrid (ponton mail)"

    def __init__(self, *, mail_conn_id: str = MailHook.default_conn_name, timeout: float = 30):
        super().__init__(mail_conn_id=mail_conn_id)
        self.timeout = timeout

    def build_backend(self, common: dict[str, Any]) -> SendGridBackend:
        from sendgrid import SendGridAPIClient

        if not self.connection.password:
            raise ConfigError(
                f"connection {self.mail_conn_id!r}: put the SendGrid API key in password"
            )
        client = SendGridAPIClient(
            api_key=self.connection.password,
            host=(self.connection.host or DEFAULT_HOST).rstrip("/"),
        )
        client.client.timeout = self.timeout
        activity = flag(self.extra.get("activity_api"))
        backend = SendGridActivityBackend if activity else SendGridBackend
        return backend(client=client, options=SendGridOptions(**common))
