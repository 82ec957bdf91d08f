"""Postmark as the shared mail provider, through the ``postmarker`` client.

The ``ponton_postmark`` connection holds the server token (password), an optional API URL (a test
double), the sender, the message stream and the webhook's basic-auth credentials. Postmark keeps
45 days of outbound messages searchable by metadata, so the hook can always look a message up by
our reference and pull statuses from the Messages API; webhooks bring them sooner.
"""

from __future__ import annotations

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
from ponton.mail import postmark
from ponton.mail.message import OutgoingMail
from ponton.mail.port import Capability, EventPage, Receipt
from ponton.mail.status import StatusEvent, parse_time

DEFAULT_API = "https://api.postmarkapp.com/"
# Postmark error codes (postmarkapp.com/developer/api/overview#error-codes).
INVALID_MESSAGE = {300, 402, 403, 406, 409, 411}  # this message can never be sent as it is
ACCOUNT_PROBLEM = {400, 401, 405, 412, 413}  # sender signature, account state: configuration
PULL_LOOKBACK = timedelta(days=2)  # bounces and deliveries come after the send; re-read a window
PULL_MAX_MESSAGES = 200  # details are one call per message: bound each pull


class PostmarkMailHook(MailConnectionMixin, BaseHook):
    """A :class:`~ponton.mail.port.MailProvider` over Postmark (``ponton_postmark``)."""

    conn_name_attr = "mail_conn_id"
    default_conn_name = "ponton_mail"
    conn_type = "ponton_postmark"
    hook_name = "Postmark (ponton mail)"

    name = "postmark"
    capabilities: frozenset[Capability] = frozenset({"lookup", "events", "webhooks"})

    def __init__(self, *, mail_conn_id: str = default_conn_name, timeout: float = 30) -> None:
        super().__init__()
        self.mail_conn_id = mail_conn_id
        self.timeout = timeout

    @cached_property
    def client(self):
        from postmarker.core import PostmarkClient

        if not self.connection.password:
            raise ConfigError(f"connection {self.mail_conn_id!r}: put the server token in password")
        return PostmarkClient(
            server_token=self.connection.password,
            root_api_url=(self.connection.host or DEFAULT_API).rstrip("/") + "/",
            timeout=self.timeout,
        )

    @cached_property
    def webhook(self) -> postmark.PostmarkWebhook:
        return postmark.PostmarkWebhook(
            self.extra.get("webhook_username", ""),
            [
                self.extra.get("webhook_password", ""),
                self.extra.get("webhook_password_previous", ""),
            ],
        )

    # -- errors, translated once ---------------------------------------------------------------

    def _error(self, exc: Exception, what: str, *, sending: bool) -> PontonError:
        import requests
        from postmarker.exceptions import ClientError

        if isinstance(exc, ClientError):
            code = exc.error_code
            if code == 10:
                return ReauthorizationRequired(
                    self.mail_conn_id, "Postmark refused the server token"
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

    def _call(self, what: str, call: Callable[[], Any], *, sending: bool = False):
        import requests
        from postmarker.exceptions import ClientError

        for attempt in self.retry.retrying():
            with attempt:
                try:
                    return call()
                except (ClientError, requests.RequestException) as exc:
                    raise self._error(exc, what, sending=sending) from exc
        raise AssertionError("unreachable: tenacity re-raises the last error")

    # -- MailProvider -----------------------------------------------------------------------

    def send(self, message: OutgoingMail) -> Receipt:
        fields = postmark.send_fields(message, self.extra.get("message_stream") or "outbound")
        answer = self._call(
            f"message {message.reference}", lambda: self.client.emails.send(**fields), sending=True
        )
        if answer.get("ErrorCode"):  # Postmark answers some refusals with 200 and an ErrorCode
            from postmarker.exceptions import ClientError

            error = ClientError(answer.get("Message", ""), error_code=answer["ErrorCode"])
            raise self._error(error, f"message {message.reference}", sending=True)
        accepted = answer.get("SubmittedAt")
        return Receipt(
            answer["MessageID"],
            parse_time(accepted) if accepted else datetime.now(UTC),
            status="queued",
        )

    def _search(self, **filters: Any) -> list[dict[str, Any]]:
        """Outbound messages, newest first, through postmarker's client (it has no metadata filter
        argument, so the query goes through ``client.call`` with the documented parameters)."""
        found: list[dict[str, Any]] = []
        while len(found) < filters.get("limit", 1):
            count = min(500, filters.get("limit", 1) - len(found))
            params = {k: v for k, v in filters.items() if k != "limit"}
            page = self._call(
                "the outbound message search",
                lambda params=params, count=count: self.client.call(
                    "GET", "/messages/outbound", count=count, offset=len(found), **params
                ),
            )
            messages = page.get("Messages") or []
            found.extend(messages)
            if len(messages) < count or len(found) >= int(page.get("TotalCount", 0)):
                break
        return found

    def find(self, reference: str) -> Receipt | None:
        messages = self._search(metadata_ponton_ref=reference, limit=1)
        if not messages:
            return None
        first = messages[0]
        status = postmark.MESSAGE_STATUS_KINDS.get(str(first.get("Status")), "queued")
        return Receipt(first["MessageID"], parse_time(first["ReceivedAt"]), status=status)

    def fetch_events(self, cursor: str | None) -> EventPage:
        now = datetime.now(UTC)
        since = parse_time(cursor) if cursor else now
        start = (since - PULL_LOOKBACK).date()
        events: list[StatusEvent] = []
        for summary in self._search(fromdate=start.isoformat(), limit=PULL_MAX_MESSAGES):
            message_id = summary["MessageID"]
            details = self._call(
                f"details of {message_id}",
                lambda message_id=message_id: self.client.call(
                    "GET", f"/messages/outbound/{message_id}/details"
                ),
            )
            events.extend(postmark.message_events(details))
        return EventPage(events, now.isoformat())

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[StatusEvent]:
        return self.webhook.parse(body, headers)

    def test_connection(self) -> tuple[bool, str]:
        """Reads the server's settings: proves the token and the URL without sending anything."""
        try:
            self.sender  # noqa: B018
            server = self._call("the server check", lambda: self.client.call("GET", "/server"))
        except PontonError as exc:
            return False, str(exc)
        return True, f"Postmark server {server.get('Name')!r} reachable; sender {self.sender.email}"
