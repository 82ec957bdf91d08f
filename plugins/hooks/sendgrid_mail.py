"""SendGrid as the shared mail provider, through the official ``sendgrid`` client.

The ``ponton_sendgrid`` connection holds the API key (password), an optional API host (the EU
region, or a test double), the sender, the Event Webhook verification key(s) and whether the
account has the Email Activity API (``activity_api``): with it, the hook can look a message up by
our reference and pull statuses; without it, statuses arrive by webhook only.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from ponton.errors import (
    ConfigError,
    InvalidInputError,
    OutcomeUnknown,
    PontonError,
    ReauthorizationRequired,
    ThrottledError,
    TransientError,
)
from ponton.hooks.mail import MailConnectionMixin
from ponton.mail import sendgrid
from ponton.mail.message import OutgoingMail
from ponton.mail.port import Capability, EventPage, Receipt
from ponton.mail.status import StatusEvent, parse_time

DEFAULT_HOST = "https://api.sendgrid.com"
PULL_OVERLAP = timedelta(minutes=15)  # the activity index lags; re-read a margin, events dedupe
PULL_LIMIT = 1000  # the Email Activity API's maximum page


class SendGridMailHook(MailConnectionMixin, BaseHook):
    """A :class:`~ponton.mail.port.MailProvider` over SendGrid v3 (``ponton_sendgrid``)."""

    conn_name_attr = "mail_conn_id"
    default_conn_name = "ponton_mail"
    conn_type = "ponton_sendgrid"
    hook_name = "SendGrid (ponton mail)"

    name = "sendgrid"

    def __init__(self, *, mail_conn_id: str = default_conn_name, timeout: float = 30) -> None:
        super().__init__()
        self.mail_conn_id = mail_conn_id
        self.timeout = timeout

    @cached_property
    def capabilities(self) -> frozenset[Capability]:
        if str(self.extra.get("activity_api", "")).lower() in ("true", "1", "yes"):
            return frozenset({"lookup", "events", "webhooks"})
        return frozenset({"webhooks"})

    @cached_property
    def client(self):
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
        return client

    @cached_property
    def webhook(self) -> sendgrid.SendGridWebhook:
        return sendgrid.SendGridWebhook(
            [
                self.extra.get("webhook_public_key", ""),
                self.extra.get("webhook_public_key_previous", ""),
            ]
        )

    # -- errors, translated once ---------------------------------------------------------------

    def _error(self, exc: Exception, what: str, *, sending: bool) -> PontonError:
        from python_http_client.exceptions import HTTPError

        if isinstance(exc, HTTPError):
            code = exc.status_code
            try:
                detail = "; ".join(e.get("message", "") for e in exc.to_dict.get("errors", []))
            except (ValueError, AttributeError, TypeError):
                detail = ""
            detail = detail or str(exc.reason)
            if code == 401:
                return ReauthorizationRequired(
                    self.mail_conn_id, f"SendGrid refused the API key ({detail})"
                )
            if code == 403:
                return ConfigError(
                    f"SendGrid forbids {what} ({detail}): check the API key's permissions, the "
                    "verified sender identity, or the Email Activity add-on"
                )
            if code == 429:
                reset = (exc.headers or {}).get("X-RateLimit-Reset")
                wait = max(0.0, float(reset) - time.time()) if str(reset or "").isdigit() else None
                return ThrottledError(
                    f"SendGrid rate limit on {what}; retry later", retry_after=wait
                )
            if code in (400, 413):
                return InvalidInputError(f"SendGrid refused {what}: {detail}")
            if code == 503 or not sending:
                return TransientError(f"SendGrid answered {code} to {what}; will retry")
            return OutcomeUnknown(f"SendGrid answered {code} to {what}; it may have been accepted")
        if isinstance(exc, urllib.error.URLError):
            # urllib raises URLError while connecting or writing the request, never after: the
            # request did not arrive whole, so SendGrid did not act on it.
            return TransientError(f"SendGrid unreachable for {what} ({exc.reason}); will retry")
        if sending:
            return OutcomeUnknown(
                f"no answer from SendGrid to {what} ({exc!r}); it may have gone out"
            )
        return TransientError(f"no answer from SendGrid to {what} ({exc!r}); will retry")

    def _call(self, what: str, call: Callable[[], Any], *, sending: bool = False):
        from python_http_client.exceptions import HTTPError

        for attempt in self.retry.retrying():
            with attempt:
                try:
                    return call()
                except (HTTPError, OSError, http.client.HTTPException) as exc:
                    raise self._error(exc, what, sending=sending) from exc
        raise AssertionError("unreachable: tenacity re-raises the last error")

    # -- MailProvider -----------------------------------------------------------------------

    def send(self, message: OutgoingMail) -> Receipt:
        payload = sendgrid.mail_payload(message)
        response = self._call(
            f"message {message.reference}", lambda: self.client.send(payload), sending=True
        )
        message_id = (response.headers or {}).get("X-Message-Id")
        if not message_id:
            raise OutcomeUnknown(f"SendGrid accepted {message.reference} without an X-Message-Id")
        return Receipt(message_id, datetime.now(UTC), status="queued")

    def _activity(self, query: str, limit: int) -> list[dict[str, Any]]:
        if "lookup" not in self.capabilities:
            raise ConfigError(
                f"connection {self.mail_conn_id!r} has no Email Activity API (extra activity_api)"
            )
        response = self._call(
            "the Email Activity search",
            lambda: self.client.client.messages.get(query_params={"query": query, "limit": limit}),
        )
        try:
            return list(json.loads(response.body or b"{}").get("messages") or [])
        except ValueError as exc:
            raise TransientError(f"SendGrid Email Activity answer is not JSON ({exc})") from exc

    def find(self, reference: str) -> Receipt | None:
        messages = self._activity(sendgrid.reference_query(reference), 10)
        if not messages:
            return None
        first = messages[0]
        event = sendgrid.activity_event(first)
        return Receipt(first["msg_id"], event.occurred_at, status=event.kind)

    def fetch_events(self, cursor: str | None) -> EventPage:
        now = datetime.now(UTC)
        start = parse_time(cursor) if cursor else now - timedelta(days=1)
        # The upper bound leaves room for the provider's clock running ahead of ours.
        messages = self._activity(sendgrid.since_query(start, now + PULL_OVERLAP), PULL_LIMIT)
        events = [sendgrid.activity_event(m) for m in messages if m.get("msg_id")]
        return EventPage(events, (now - PULL_OVERLAP).isoformat())

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[StatusEvent]:
        return self.webhook.parse(body, headers)

    def test_connection(self) -> tuple[bool, str]:
        """Reads the API key's scopes: proves the key and the host without sending anything."""
        try:
            self.sender  # noqa: B018
            response = self._call("the scopes check", lambda: self.client.client.scopes.get())
            scopes = json.loads(response.body or b"{}").get("scopes", [])
        except PontonError as exc:
            return False, str(exc)
        if "mail.send" not in scopes:
            return False, "the API key lacks the mail.send scope; create a key with Mail Send"
        return True, f"SendGrid key valid ({len(scopes)} scopes); sender {self.sender.email}"
