"""SendGrid v3 through the official ``sendgrid`` client: the ``mail/send`` payload, error
translation and, with the Email Activity API, lookup by our reference and status pulls.
References: docs.sendgrid.com ``/api-reference/mail-send`` and ``/api-reference/e-mail-activity``.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.error
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from python_http_client.exceptions import HTTPError

from ponton.errors import (
    ConfigError,
    InvalidInputError,
    OutcomeUnknown,
    PontonError,
    ReauthorizationRequired,
    ThrottledError,
    TransientError,
)
from ponton.mail.backends import sendgrid_events as events
from ponton.mail.backends.base import ApiMailBackend, MailOptions
from ponton.mail.message import Address, OutgoingMail
from ponton.mail.port import EventPage, Receipt
from ponton.mail.status import parse_time

DEFAULT_HOST = "https://api.sendgrid.com"
PULL_OVERLAP = timedelta(minutes=15)  # the activity index lags; re-read a margin, events dedupe
# The smallest window a full answer is split down to (its query compares whole seconds).
MIN_WINDOW = timedelta(seconds=2)


@dataclass(frozen=True, kw_only=True)
class SendGridOptions(MailOptions):
    webhook_keys: Sequence[str] = ()  # current and previous Event Webhook verification keys
    activity_limit: int = 1000  # messages per Email Activity answer (the API's maximum)


def mail_payload(message: OutgoingMail) -> dict[str, Any]:
    """The v3 ``mail/send`` body: one personalization with the To, Cc and Bcc lists (so every
    recipient gets the same message, with the To and Cc shown), our ids in ``custom_args`` (echoed
    in every event), our Message-ID, text before HTML as SendGrid requires."""

    def party(address: Address) -> dict[str, str]:
        return (
            {"email": address.email, "name": address.name}
            if address.name
            else {"email": address.email}
        )

    content = [{"type": "text/plain", "value": message.text}]
    if message.html:
        content.append({"type": "text/html", "value": message.html})
    envelope: dict[str, Any] = {"to": [party(a) for a in message.to]}
    if message.cc:
        envelope["cc"] = [party(a) for a in message.cc]
    if message.bcc:
        envelope["bcc"] = [party(a) for a in message.bcc]
    payload: dict[str, Any] = {
        "personalizations": [envelope],
        "from": party(message.sender),
        "subject": message.subject,
        "content": content,
        "custom_args": message.tags,
        "headers": {"Message-ID": message.message_id},
    }
    if message.reply_to:
        payload["reply_to"] = party(message.reply_to)
    if message.attachments:
        payload["attachments"] = [
            {
                "content": base64.b64encode(a.data).decode("ascii"),
                "type": a.content_type,
                "filename": a.filename,
                "disposition": "attachment",
            }
            for a in message.attachments
        ]
    return payload


class SendGridBackend(ApiMailBackend):
    """Over a ``sendgrid.SendGridAPIClient`` holding the API key and the host: sends and reads
    signed webhooks; statuses arrive by webhook only. Accounts with the Email Activity add-on use
    :class:`SendGridActivityBackend`."""

    name = "sendgrid"
    max_recipients = 1000
    recipients_limit_source = (
        "twilio.com/docs/sendgrid/api-reference/mail-send/errors: 1000 total recipients"
    )
    vendor_errors = (HTTPError, OSError, http.client.HTTPException)
    options: SendGridOptions

    def verifier(self) -> events.SendGridWebhook:
        return events.SendGridWebhook(self.options.webhook_keys)

    # -- vendor steps of the send ------------------------------------------------------------

    def build_payload(self, message: OutgoingMail) -> dict[str, Any]:
        return mail_payload(message)

    def deliver(self, payload: dict[str, Any], message: OutgoingMail) -> Any:
        return self.client.send(payload)

    def receipt(self, answer: Any, message: OutgoingMail) -> Receipt:
        message_id = (answer.headers or {}).get("X-Message-Id")
        if not message_id:
            raise OutcomeUnknown(f"SendGrid accepted {message.reference} without an X-Message-Id")
        return Receipt(message_id, datetime.now(UTC), status="queued")

    def translate_error(self, exc: BaseException, what: str, *, sending: bool) -> PontonError:
        if isinstance(exc, HTTPError):
            return self._http_error(exc, what, sending=sending)
        if isinstance(exc, urllib.error.URLError):
            # urllib raises URLError while connecting or writing the request, never after: the
            # request did not arrive whole, so SendGrid did not act on it.
            return TransientError(f"SendGrid unreachable for {what} ({exc.reason}); will retry")
        if sending:
            return OutcomeUnknown(
                f"no answer from SendGrid to {what} ({exc!r}); it may have gone out"
            )
        return TransientError(f"no answer from SendGrid to {what} ({exc!r}); will retry")

    def _http_error(self, exc: HTTPError, what: str, *, sending: bool) -> PontonError:
        code = exc.status_code
        try:
            detail = "; ".join(e.get("message", "") for e in exc.to_dict.get("errors", []))
        except (ValueError, AttributeError, TypeError):
            detail = ""
        detail = detail or str(exc.reason)
        if code == 401:
            return ReauthorizationRequired(
                self.options.connection_name, f"SendGrid refused the API key ({detail})"
            )
        if code == 403:
            return ConfigError(
                f"SendGrid forbids {what} ({detail}): check the API key's permissions, the "
                "verified sender identity, or the Email Activity add-on"
            )
        if code == 429:
            reset = (exc.headers or {}).get("X-RateLimit-Reset")
            wait = max(0.0, float(reset) - time.time()) if str(reset or "").isdigit() else None
            return ThrottledError(f"SendGrid rate limit on {what}; retry later", retry_after=wait)
        if code in (400, 413):
            return InvalidInputError(f"SendGrid refused {what}: {detail}")
        if code == 503 or not sending:
            return TransientError(f"SendGrid answered {code} to {what}; will retry")
        return OutcomeUnknown(f"SendGrid answered {code} to {what}; it may have been accepted")

    def check_access(self) -> str:
        """Reads the API key's scopes: proves the key and the host without sending anything."""
        response = self.call("the scopes check", lambda: self.client.client.scopes.get())
        scopes = json.loads(response.body or b"{}").get("scopes", [])
        if "mail.send" not in scopes:
            raise ConfigError("the API key lacks the mail.send scope; create a key with Mail Send")
        return f"SendGrid key valid ({len(scopes)} scopes); sender {self.sender.email}"


class SendGridActivityBackend(SendGridBackend):
    """With the Email Activity API: also a ``StatusLookup`` and a ``StatusPull``."""

    def _activity(self, query: str, limit: int) -> list[dict[str, Any]]:
        response = self.call(
            "the Email Activity search",
            lambda: self.client.client.messages.get(query_params={"query": query, "limit": limit}),
        )
        try:
            return list(json.loads(response.body or b"{}").get("messages") or [])
        except ValueError as exc:
            raise TransientError(f"SendGrid Email Activity answer is not JSON ({exc})") from exc

    def find(self, reference: str) -> Receipt | None:
        messages = self._activity(events.reference_query(reference), 10)
        if not messages:
            return None
        first = messages[0]
        event = events.activity_event(first)
        return Receipt(first["msg_id"], event.occurred_at, status=event.kind)

    def fetch_events(self, cursor: str | None) -> EventPage:
        """The messages whose last event falls in a window starting at ``cursor``. The Email
        Activity API has no paging: it returns at most ``activity_limit`` messages, in no documented
        order. A full answer may hide others, so the window is halved until the answer is not
        full; the next page starts where this window ended. The last page re-reads the recent
        ``PULL_OVERLAP`` (the activity index lags; events dedupe)."""
        now = datetime.now(UTC)
        start = parse_time(cursor) if cursor else now - timedelta(days=1)
        # The upper bound leaves room for the provider's clock running ahead of ours.
        end = now + PULL_OVERLAP
        while True:
            limit = self.options.activity_limit
            messages = self._activity(events.since_query(start, end), limit)
            if len(messages) < limit or end - start <= MIN_WINDOW:
                break
            end = start + (end - start) / 2
        found = [events.activity_event(m) for m in messages if m.get("msg_id")]
        if end >= now:
            return EventPage(found, (now - PULL_OVERLAP).isoformat())
        return EventPage(found, end.isoformat(), more=True)
