"""Postmark as the shared mail provider, through the ``postmarker`` client.

The ``ponton_postmark`` connection holds the server token (password), an optional API URL (a test
double), the sender and the message stream. The webhook's basic-auth credentials live in
``ponton_mail_webhooks``, read by the webhook receiver alone.
"""

from __future__ import annotations

from typing import Any

from ponton.errors import ConfigError
from ponton.hooks.mail import MailHook
from ponton.mail.backends.postmark import DEFAULT_API, PostmarkBackend, PostmarkOptions


class PostmarkMailHook(MailHook):
    conn_type = "ponton_postmark"
    hook_name = "Postmark (ponton mail)"

    def __init__(self, *, mail_conn_id: str = MailHook.default_conn_name, timeout: float = 30):
        super().__init__(mail_conn_id=mail_conn_id)
        self.timeout = timeout

    def build_backend(self, common: dict[str, Any]) -> PostmarkBackend:
        from postmarker.core import PostmarkClient

        if not self.connection.password:
            raise ConfigError(f"connection {self.mail_conn_id!r}: put the server token in password")
        client = PostmarkClient(
            server_token=self.connection.password,
            root_api_url=(self.connection.host or DEFAULT_API).rstrip("/") + "/",
            timeout=self.timeout,
        )
        extra = self.extra
        return PostmarkBackend(
            client=client,
            options=PostmarkOptions(
                message_stream=extra.get("message_stream") or "outbound",
                **common,
            ),
        )
