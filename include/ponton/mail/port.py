"""The mail port: what dispatch and reconciliation need from any mail provider.

Every backend (local capture here; SMTP, SendGrid and Postmark as hooks) implements
:class:`MailProvider` and passes the contract suite in ``tests/contract/mail_provider.py``.
Backends translate vendor errors into :mod:`ponton.errors`, and callers never see an HTTP
status code or an SMTP reply:

* ``InvalidInputError`` / ``PermanentError``: the provider refused this message for good (invalid
  or suppressed recipient, unverified sender); sending it again cannot help;
* ``TransientError`` (``ThrottledError`` for rate limits): the provider did *not* take the message
  (429, 5xx, connection refused, SMTP 4xx); sending it later is safe;
* ``OutcomeUnknown``: the request left but no answer came back; the message may have gone out, so
  it must not be sent again before asking the provider (``find``) or a human.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from ponton.mail.message import Address, OutgoingMail
from ponton.mail.status import StatusEvent

# lookup: ``find`` can tell whether a message went out; events: ``fetch_events`` pulls statuses;
# webhooks: ``parse_webhook`` verifies and reads the provider's push notifications.
Capability = Literal["lookup", "events", "webhooks"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """The provider's word that it took a message."""

    provider_message_id: str
    accepted_at: datetime
    status: str = "sent"  # "queued" for APIs that only promise to deliver, "delivered" for capture


@dataclass(frozen=True, slots=True)
class EventPage:
    """What ``fetch_events`` returns: events after the cursor and the cursor to pass next time."""

    events: Sequence[StatusEvent]
    cursor: str | None


@runtime_checkable
class MailProvider(Protocol):
    name: str  # stored in notifications.provider: "local", "smtp", "sendgrid", "postmark"
    capabilities: frozenset[Capability]
    sender: Address  # the From of every message, from the connection

    def send(self, message: OutgoingMail) -> Receipt:
        """Hand one message to the provider; raise as described in the module docstring."""
        ...

    def find(self, reference: str) -> Receipt | None:
        """The message sent with our ``reference``, or None when the provider never took it.
        Only with the ``lookup`` capability; a provider that cannot tell raises ``ConfigError``."""
        ...

    def fetch_events(self, cursor: str | None) -> EventPage:
        """Status events since ``cursor`` (None: a recent window). Events may repeat across pages;
        their ``provider_event_id`` makes folding them idempotent. Only with ``events``."""
        ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[StatusEvent]:
        """Verify a push from the provider, then read it. ``WebhookUnauthenticated`` when it
        carries no signature or credentials, ``WebhookForbidden`` when they do not verify,
        ``InvalidInputError`` when the verified body is not what the provider sends. Only with
        ``webhooks``."""
        ...
