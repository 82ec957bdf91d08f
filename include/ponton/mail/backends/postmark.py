"""Postmark through the ``postmarker`` client: the ``/email`` fields, error translation, lookup by
our reference (Postmark keeps 45 days of outbound messages searchable by metadata) and status
pulls from the Messages API. References: postmarkapp.com/developer ``/api/email-api``,
``/api/messages-api`` and ``/api/overview#error-codes``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from postmarker.exceptions import ClientError

from ponton.errors import (
    ConfigError,
    InvalidInputError,
    OutcomeUnknown,
    PontonError,
    ReauthorizationRequired,
    ThrottledError,
    TransientError,
)
from ponton.mail.backends import postmark_events as events
from ponton.mail.backends.base import ApiMailBackend, MailOptions
from ponton.mail.message import OutgoingMail
from ponton.mail.port import EventPage, Receipt
from ponton.mail.status import StatusEvent, parse_time

DEFAULT_API = "https://api.postmarkapp.com/"
# Postmark error codes (postmarkapp.com/developer/api/overview#error-codes).
INVALID_MESSAGE = {300, 402, 403, 406, 409, 411}  # this message can never be sent as it is
ACCOUNT_PROBLEM = {400, 401, 405, 412, 413}  # sender signature, account state: configuration
PULL_LOOKBACK = timedelta(days=2)  # bounces and deliveries come after the send; re-read a window


@dataclass(frozen=True, kw_only=True)
class PostmarkOptions(MailOptions):
    message_stream: str = "outbound"
    page_size: int = 100  # outbound messages per status page (the search allows 500)
    webhook_username: str = ""
    webhook_passwords: Sequence[str] = ()  # current and previous, during a rotation


def send_fields(message: OutgoingMail, stream: str) -> dict[str, Any]:
    """Keyword arguments of ``postmarker``'s ``emails.send``: our ids in ``Metadata`` (echoed in
    webhooks, searchable as ``metadata_<key>``), our Message-ID, no tracking."""
    fields: dict[str, Any] = {
        "From": message.sender.formatted(),
        "To": ", ".join(a.formatted() for a in message.to),
        "Subject": message.subject,
        "TextBody": message.text,
        "Metadata": message.tags,
        "Headers": {"Message-ID": message.message_id},
        "MessageStream": stream,
        "TrackOpens": False,
    }
    if message.cc:
        fields["Cc"] = ", ".join(a.formatted() for a in message.cc)
    if message.bcc:
        fields["Bcc"] = ", ".join(a.formatted() for a in message.bcc)
    if message.reply_to:
        fields["ReplyTo"] = message.reply_to.formatted()
    if message.html:
        fields["HtmlBody"] = message.html
    if message.attachments:
        fields["Attachments"] = [
            {
                "Name": a.filename,
                "Content": base64.b64encode(a.data).decode("ascii"),
                "ContentType": a.content_type,
            }
            for a in message.attachments
        ]
    return fields


class PostmarkBackend(ApiMailBackend):
    """Over a ``postmarker.core.PostmarkClient`` holding the server token. Also a
    ``StatusLookup``, a ``StatusPull`` and a ``WebhookReader``."""

    name = "postmark"
    max_recipients = 50
    recipients_limit_source = "postmarkapp.com/developer: 50 recipients, To, Cc and Bcc included"
    vendor_errors = (ClientError, requests.RequestException)
    options: PostmarkOptions

    def verifier(self) -> events.PostmarkWebhook:
        return events.PostmarkWebhook(self.options.webhook_username, self.options.webhook_passwords)

    # -- vendor steps of the send ------------------------------------------------------------

    def build_payload(self, message: OutgoingMail) -> dict[str, Any]:
        return send_fields(message, self.options.message_stream)

    def deliver(self, payload: dict[str, Any], message: OutgoingMail) -> dict[str, Any]:
        answer = self.client.emails.send(**payload)
        if answer.get("ErrorCode"):  # Postmark answers some refusals with 200 and an ErrorCode
            raise ClientError(answer.get("Message", ""), error_code=answer["ErrorCode"])
        return answer

    def receipt(self, answer: dict[str, Any], message: OutgoingMail) -> Receipt:
        accepted = answer.get("SubmittedAt")
        return Receipt(
            answer["MessageID"],
            parse_time(accepted) if accepted else datetime.now(UTC),
            status="queued",
        )

    def translate_error(self, exc: BaseException, what: str, *, sending: bool) -> PontonError:
        if isinstance(exc, ClientError):
            code = exc.error_code
            if code == 10:
                return ReauthorizationRequired(
                    self.options.connection_name, "Postmark refused the server token"
                )
            if code == 429:
                return ThrottledError(f"Postmark rate limit on {what}; retry later")
            if code in INVALID_MESSAGE:
                return InvalidInputError(f"Postmark refused {what}: {exc}")
            if code in ACCOUNT_PROBLEM:
                return ConfigError(f"Postmark refused {what}: {exc}; fix the sender or account")
            if code == 100 or not sending:
                return TransientError(f"Postmark answered {exc} to {what}; will retry")
            return OutcomeUnknown(f"Postmark answered {exc} to {what}; it may have been accepted")
        if isinstance(exc, requests.HTTPError):  # an error page without Postmark's JSON
            status = exc.response.status_code if exc.response is not None else 0
            if status == 503 or not sending:
                return TransientError(f"Postmark answered HTTP {status} to {what}; will retry")
            return OutcomeUnknown(
                f"Postmark answered HTTP {status} to {what}; it may have gone out"
            )
        if isinstance(exc, requests.ConnectTimeout) or (
            isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc)
        ):
            return TransientError(
                f"Postmark unreachable for {what} ({type(exc).__name__}); will retry"
            )
        if sending:
            return OutcomeUnknown(f"no answer from Postmark to {what} ({type(exc).__name__})")
        return TransientError(
            f"no answer from Postmark to {what} ({type(exc).__name__}); will retry"
        )

    def check_access(self) -> str:
        """Reads the server's settings: proves the token and the URL without sending anything."""
        server = self.call("the server check", lambda: self.client.call("GET", "/server"))
        return f"Postmark server {server.get('Name')!r} reachable; sender {self.sender.email}"

    # -- optional features -------------------------------------------------------------------

    def find(self, reference: str) -> Receipt | None:
        # postmarker has no metadata filter argument: the documented query through ``call``.
        page = self.call(
            "the outbound message search",
            lambda: self.client.call(
                "GET", "/messages/outbound", count=1, offset=0, metadata_ponton_ref=reference
            ),
        )
        messages = page.get("Messages") or []
        if not messages:
            return None
        first = messages[0]
        status = events.MESSAGE_STATUS_KINDS.get(str(first.get("Status")), "queued")
        return Receipt(first["MessageID"], parse_time(first["ReceivedAt"]), status=status)

    def fetch_events(self, cursor: str | None) -> EventPage:
        """One page of a sweep over the outbound messages received since ``PULL_LOOKBACK``
        before the last completed sweep, newest first, with each message's details. The cursor
        of a page in the middle of a sweep holds the sweep's start and the next offset (messages
        arriving meanwhile shift offsets: pages then overlap, never skip); the last page's cursor
        is the time the sweep began."""
        sweep = json.loads(cursor) if cursor and cursor.startswith("{") else None
        if sweep is None:
            since = parse_time(cursor) if cursor else datetime.now(UTC)
            sweep = {"began": datetime.now(UTC).isoformat(), "since": since.isoformat(), "at": 0}
        start = (parse_time(sweep["since"]) - PULL_LOOKBACK).date().isoformat()
        page = self.call(
            "the outbound message search",
            lambda: self.client.call(
                "GET",
                "/messages/outbound",
                count=self.options.page_size,
                offset=sweep["at"],
                fromdate=start,
            ),
        )
        summaries = page.get("Messages") or []
        found: list[StatusEvent] = []
        for summary in summaries:
            message_id = summary["MessageID"]
            details = self.call(
                f"details of {message_id}",
                lambda message_id=message_id: self.client.call(
                    "GET", f"/messages/outbound/{message_id}/details"
                ),
            )
            found.extend(events.message_events(details))
        at = sweep["at"] + len(summaries)
        if summaries and at < int(page.get("TotalCount", 0)):
            return EventPage(found, json.dumps(sweep | {"at": at}), more=True)
        return EventPage(found, sweep["began"])
