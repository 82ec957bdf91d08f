"""The mail webhook keys (``ponton_mail_webhooks``): SendGrid's verification keys and Postmark's
basic-auth credentials, apart from the mail connection so the API server holds no API key. The
receiver reads them through Airflow's secrets backends; this hook gives the connection its form
and a Test button that checks the keys parse."""

from __future__ import annotations

from airflow.sdk import BaseHook

from ponton import settings
from ponton.errors import PontonError
from ponton.hooks.connections import AirflowConnectionResolver
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.webhooks.mail import postmark_verifier, sendgrid_verifier


class MailWebhooksHook(MaskedConnectionMixin, BaseHook):
    conn_name_attr = "mail_webhooks_conn_id"
    default_conn_name = settings.DEFAULT_MAIL_WEBHOOKS_CONN_ID
    conn_type = "ponton_mail_webhooks"
    hook_name = "Mail webhook keys (ponton)"

    def __init__(self, *, mail_webhooks_conn_id: str | None = None) -> None:
        super().__init__()
        self.mail_webhooks_conn_id = mail_webhooks_conn_id or settings.mail_webhooks_conn_id()

    def get_conn(self):
        """The keys as the receiver sees them."""
        return AirflowConnectionResolver().get(self.mail_webhooks_conn_id)

    def test_connection(self) -> tuple[bool, str]:
        try:
            keys = self.get_conn()
            configured = []
            if keys.extra.get("sendgrid_public_key"):
                sendgrid_verifier(keys)
                configured.append("SendGrid")
            if keys.login and keys.password:
                postmark_verifier(keys)
                configured.append("Postmark")
        except PontonError as exc:
            return False, str(exc)
        if not configured:
            return False, "no SendGrid key nor Postmark username/password is set"
        return True, f"webhook keys for {' and '.join(configured)} are readable"
