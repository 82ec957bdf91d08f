"""Postmark's events: webhook records (secured with HTTP basic auth, Postmark signs nothing) and
the Messages API's answers, in ponton's status vocabulary. Shared by the backend
(:mod:`ponton.mail.backends.postmark`) and the webhook receiver (``ponton.webhooks.mail``).
References: postmarkapp.com/developer ``/api/messages-api`` and ``/webhooks/webhooks-overview``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ponton.errors import ConfigError, InvalidInputError, WebhookForbidden, WebhookUnauthenticated
from ponton.mail.status import StatusEvent, parse_int, parse_time

PROVIDER = "postmark"

# Bounce "Type" → our vocabulary (postmarkapp.com/developer/api/bounce-api#bounce-types).
BOUNCE_KINDS = {
    "HardBounce": "bounced",
    "BadEmailAddress": "bounced",
    "ManuallyDeactivated": "bounced",
    "SoftBounce": "deferred",
    "Transient": "deferred",
    "DnsError": "deferred",
    "Blocked": "rejected",
    "DMARCPolicy": "rejected",
    "SpamNotification": "rejected",
    "VirusNotification": "rejected",
    "Unconfirmed": "rejected",
    "SpamComplaint": "complained",
    "Unsubscribe": "unsubscribed",
    "AutoResponder": "autoresponded",
    "AddressChange": "autoresponded",
    "ChallengeVerification": "autoresponded",
    "OpenRelayTest": "deferred",
    "SMTPApiError": "failed",
    "TemplateRenderingFailed": "failed",
}
# Webhook RecordType → (kind, field holding the event time).
RECORD_KINDS = {
    "Delivery": ("delivered", "DeliveredAt"),
    "Bounce": (None, "BouncedAt"),  # kind from the bounce Type
    "SpamComplaint": ("complained", "BouncedAt"),
    "Open": ("opened", "ReceivedAt"),
    "Click": ("clicked", "ReceivedAt"),
    "SubscriptionChange": ("unknown", "ChangedAt"),
}
# SubscriptionChange with SuppressSending: why Postmark stopped sending to the address.
SUPPRESSION_KINDS = {
    "HardBounce": "bounced",
    "SpamComplaint": "complained",
    "ManualSuppression": "unsubscribed",
}
# Messages API: outbound message "Status" and message event "Type".
MESSAGE_STATUS_KINDS = {"Sent": "sent", "Queued": "queued", "Processed": "queued"}
MESSAGE_EVENT_KINDS = {
    "Delivered": "delivered",
    "Transient": "deferred",
    "Bounced": "bounced",
    "Opened": "opened",
    "LinkClicked": "clicked",
}
_TIME_FIELDS = ("DeliveredAt", "BouncedAt", "ReceivedAt", "ChangedAt", "SubmittedAt")


def dedupe_key(raw: Mapping[str, Any]) -> str:
    """Postmark records carry no event id; the record's content is its identity (a retried post
    repeats it byte for byte)."""
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return f"{raw.get('RecordType', 'record')}:{raw.get('MessageID', '')}:{digest[:16]}"[:300]


def _recipient(value: Any) -> str | None:
    return str(value).strip().lower() if value else None


def status_event(raw: Mapping[str, Any], received_at: datetime | None = None) -> StatusEvent:
    """One webhook record in our vocabulary. A record type we do not know is kept as ``unknown``,
    timed by whichever time field it has (else ``received_at``)."""
    record_type = str(raw.get("RecordType") or "")
    kind, time_field = RECORD_KINDS.get(record_type, ("unknown", None))
    if record_type == "Bounce":
        kind = BOUNCE_KINDS.get(str(raw.get("Type")), "unknown")
    elif record_type == "SubscriptionChange" and raw.get("SuppressSending") is True:
        kind = SUPPRESSION_KINDS.get(str(raw.get("SuppressionReason")), "unsubscribed")
    stamp = raw.get(time_field) if time_field else None
    stamp = stamp or next((raw[f] for f in _TIME_FIELDS if raw.get(f)), None)
    if stamp is None and received_at is None:
        raise InvalidInputError(f"Postmark {record_type or 'record'} without a time")
    metadata = raw.get("Metadata") if isinstance(raw.get("Metadata"), dict) else {}
    details = {
        k: str(raw[k])[:500]
        for k in ("Type", "Description", "Details", "SuppressionReason")
        if raw.get(k) not in (None, "")
    }
    return StatusEvent(
        provider=PROVIDER,
        provider_event_id=dedupe_key(raw),
        kind=kind,
        occurred_at=parse_time(stamp) if stamp else received_at,
        notification_id=parse_int(metadata.get("ponton_notification_id")),
        provider_message_id=str(raw["MessageID"]) if raw.get("MessageID") else None,
        event=(record_type or "unnamed")[:40],
        details=details,
        recipient=_recipient(raw.get("Recipient") or raw.get("Email")),
    )


def message_events(details: Mapping[str, Any]) -> list[StatusEvent]:
    """The Messages API's view of one outbound message (``/messages/outbound/{id}/details``):
    its status when it left (for every recipient), then each ``MessageEvents`` entry (for the
    recipient it names)."""
    message_id = str(details.get("MessageID") or "")
    metadata = details.get("Metadata") if isinstance(details.get("Metadata"), dict) else {}
    nid = parse_int(metadata.get("ponton_notification_id"))
    events = []
    status = str(details.get("Status") or "")
    if details.get("ReceivedAt"):
        events.append(
            StatusEvent(
                provider=PROVIDER,
                provider_event_id=f"message:{message_id}:{status}",
                kind=MESSAGE_STATUS_KINDS.get(status, "unknown"),
                occurred_at=parse_time(details["ReceivedAt"]),
                notification_id=nid,
                provider_message_id=message_id,
                event=f"message_{status.lower()}"[:40],
            )
        )
    for entry in details.get("MessageEvents") or ():
        kind = MESSAGE_EVENT_KINDS.get(str(entry.get("Type")), "unknown")
        at = parse_time(entry.get("ReceivedAt"))
        events.append(
            StatusEvent(
                provider=PROVIDER,
                provider_event_id=f"message:{message_id}:{entry.get('Type')}:{at.isoformat()}",
                kind=kind,
                occurred_at=at,
                notification_id=nid,
                provider_message_id=message_id,
                event=str(entry.get("Type") or "unnamed")[:40],
                recipient=_recipient(entry.get("Recipient")),
                details={
                    k: str(v)[:500]
                    for k, v in (entry.get("Details") or {}).items()
                    if k in ("Summary", "BounceID", "DeliveryMessage", "DestinationServer")
                },
            )
        )
    return events


class PostmarkWebhook:
    """Checks the basic-auth credentials Postmark was given for its webhook URL, then reads the
    record. ``passwords`` may hold the current and the previous password during a rotation."""

    def __init__(self, username: str, passwords: Sequence[str]) -> None:
        self.username = username or ""
        self.passwords = [p for p in passwords if p]
        if not self.username or not self.passwords:
            raise ConfigError("no Postmark webhook username/password configured")

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        authorization = lowered.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "basic" or not token:
            raise WebhookUnauthenticated("Postmark webhook post without basic auth")
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise WebhookForbidden("Postmark webhook basic auth is malformed") from exc
        user_ok = hmac.compare_digest(user.encode(), self.username.encode())
        password_ok = any(
            hmac.compare_digest(password.encode(), p.encode()) for p in self.passwords
        )
        if not (user_ok and password_ok):
            raise WebhookForbidden("Postmark webhook credentials do not match")

    @staticmethod
    def raw_events(body: bytes) -> list[dict[str, Any]]:
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise InvalidInputError(f"Postmark webhook post is not JSON: {exc}") from exc
        if not isinstance(payload, dict):
            raise InvalidInputError("Postmark webhook post must be one JSON object")
        return [payload]

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[StatusEvent]:
        self.verify(body, headers)
        now = datetime.now(UTC)
        return [status_event(raw, now) for raw in self.raw_events(body)]
