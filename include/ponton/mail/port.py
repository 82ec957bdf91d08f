"""The mail port: what dispatch and reconciliation need from any mail backend.

Every backend (``ponton.mail.backends``: local capture, SMTP, SendGrid, Postmark) implements
:class:`MailProvider` and passes the contract suite in ``tests/contract/mail_provider.py``.
Backends translate vendor errors into :mod:`ponton.errors`, and callers never see an HTTP
status code or an SMTP reply:

* ``InvalidInputError`` / ``PermanentError``: the provider refused this message for good (invalid
  or suppressed recipient, unverified sender); sending it again cannot help;
* ``TransientError`` (``ThrottledError`` for rate limits): the provider did *not* take the message
  (429, 5xx, connection refused, SMTP 4xx); sending it later is safe;
* ``OutcomeUnknown``: the request left but no answer came back; the message may have gone out, so
  it must not be sent again before asking the provider (:class:`StatusLookup`) or a human.

What only some providers can do is a small protocol of its own (:class:`StatusLookup`,
:class:`StatusPull`, :class:`WebhookReader`, :class:`KeptSession`), declared by the backend class
and discovered once with ``isinstance``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from ponton.mail.message import Address, OutgoingMail
from ponton.mail.status import StatusEvent


@dataclass(frozen=True, slots=True)
class Receipt:
    """The provider's word that it took a message."""

    provider_message_id: str
    accepted_at: datetime
    status: str = "sent"  # "queued" for APIs that only promise to deliver, "delivered" for capture
    # Recipients the provider refused while taking the message for the others (an SMTP relay's
    # per-RCPT refusals): address -> the reply. Nothing was sent to them.
    refused: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventPage:
    """What ``fetch_events`` returns: events after the cursor, the cursor to pass next time, and
    whether more pages follow right away (``more``: call again with ``cursor`` now).
    ``ignored``: items the provider returned that report no status (a bounce mailbox's other
    mail), counted for the journal."""

    events: Sequence[StatusEvent]
    cursor: str | None
    more: bool = False
    ignored: int = 0


@runtime_checkable
class MailProvider(Protocol):
    name: str  # stored in notifications.provider: "local", "smtp", "sendgrid", "postmark"
    sender: Address  # the From of every message, from the connection

    def send(self, message: OutgoingMail) -> Receipt:
        """Hand one message to the provider; raise as described in the module docstring."""
        ...

    def check_access(self) -> str:
        """Prove the credentials and the peer without sending anything; a line for a human."""
        ...


@runtime_checkable
class StatusLookup(Protocol):
    def find(self, reference: str) -> Receipt | None:
        """The message sent with our ``reference``, or None when the provider never took it."""
        ...


@runtime_checkable
class StatusPull(Protocol):
    def fetch_events(self, cursor: str | None) -> EventPage:
        """One page of status events since ``cursor`` (None: a recent window). A page's cursor
        is where the next page starts, so a caller that stores it after folding the page never
        skips anything, even when it stops between pages. Events may repeat across pages; their
        ``provider_event_id`` makes folding them idempotent."""
        ...


@runtime_checkable
class WebhookReader(Protocol):
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[StatusEvent]:
        """Verify a push from the provider, then read it. ``WebhookUnauthenticated`` when it
        carries no signature or credentials, ``WebhookForbidden`` when they do not verify,
        ``InvalidInputError`` when the verified body is not what the provider sends."""
        ...


@runtime_checkable
class KeptSession(Protocol):
    def close(self) -> None:
        """End the connection the backend keeps open between sends (an SMTP session): called
        when a batch of sends is over. A later send opens a new one."""
        ...
