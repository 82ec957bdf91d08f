"""SendGrid's events: the signed Event Webhook and the Email Activity API's answers, in ponton's
status vocabulary. Shared by the backend (:mod:`ponton.mail.backends.sendgrid`) and the webhook
receiver (``ponton.webhooks.mail``), which needs nothing else. References: docs.sendgrid.com
``/for-developers/tracking-events/event`` and ``getting-started-event-webhook-security-features``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ponton.errors import ConfigError, InvalidInputError, WebhookForbidden, WebhookUnauthenticated
from ponton.mail.status import StatusEvent, parse_int, parse_time

PROVIDER = "sendgrid"
# How far a post's signed timestamp may lie from our clock.
FRESHNESS = timedelta(minutes=10)
SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"

# Event Webhook "event" → our vocabulary; anything else (group_resubscribe, events SendGrid adds
# later) is kept as "unknown".
EVENT_KINDS = {
    "processed": "queued",
    "deferred": "deferred",
    "delivered": "delivered",
    "bounce": "bounced",
    "dropped": "rejected",
    "spamreport": "complained",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
    "open": "opened",
    "click": "clicked",
}
# Email Activity API message "status" → our vocabulary.
ACTIVITY_KINDS = {"processed": "queued", "delivered": "delivered", "not_delivered": "failed"}
_DETAIL_KEYS = ("reason", "response", "type", "bounce_classification", "status", "attempt", "url")


def _canonical_hash(raw: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()


def dedupe_key(raw: Mapping[str, Any]) -> str:
    """``sg_event_id`` is unique per event; an event without one is keyed by its content."""
    return str(raw.get("sg_event_id") or f"sha256:{_canonical_hash(raw)}")


def status_event(raw: Mapping[str, Any]) -> StatusEvent:
    """One Event Webhook event (a JSON object of the posted array) in our vocabulary."""
    name = str(raw.get("event") or "")
    kind = EVENT_KINDS.get(name, "unknown")
    if name == "bounce" and raw.get("type") == "blocked":
        kind = "rejected"
    try:
        occurred_at = datetime.fromtimestamp(int(raw["timestamp"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
        raise InvalidInputError(f"SendGrid event without a usable timestamp: {exc!r}") from exc
    return StatusEvent(
        provider=PROVIDER,
        provider_event_id=dedupe_key(raw),
        kind=kind,
        occurred_at=occurred_at,
        notification_id=parse_int(raw.get("ponton_notification_id")),
        provider_message_id=str(raw["sg_message_id"]) if raw.get("sg_message_id") else None,
        event=name[:40] or "unnamed",
        details={k: str(raw[k])[:500] for k in _DETAIL_KEYS if raw.get(k) not in (None, "")},
        recipient=str(raw["email"]).lower() if raw.get("email") else None,
    )


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 DER) or as PEM."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(text))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise ConfigError(
            "SendGrid webhook verification key is not a public key; copy it from Settings > Mail "
            "Settings > Signed Event Webhook Requests"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ConfigError("SendGrid webhook verification key is not an ECDSA (P-256) key")
    return key


class SendGridWebhook:
    """Verifies and reads Event Webhook posts. Any of ``public_keys`` may have signed the post, so
    the current and the previous key both work while a rotation settles. The signed timestamp
    must lie within ``freshness`` of now: a captured post replayed later is refused (SendGrid
    signs each delivery attempt afresh, so its own retries pass)."""

    def __init__(self, public_keys: Sequence[str], freshness: timedelta = FRESHNESS) -> None:
        self.keys = [load_public_key(k) for k in public_keys if k and k.strip()]
        self.freshness = freshness
        if not self.keys:
            raise ConfigError("no SendGrid webhook verification key configured")

    def check_fresh(self, timestamp: str) -> None:
        try:
            signed_at = datetime.fromtimestamp(int(timestamp), UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise WebhookForbidden("SendGrid event timestamp is not a Unix time") from exc
        if abs(datetime.now(UTC) - signed_at) > self.freshness:
            raise WebhookForbidden(
                f"SendGrid event post signed at {signed_at:%Y-%m-%d %H:%M:%S}Z, outside the "
                f"{self.freshness} freshness window (a replay, or a clock to fix)"
            )

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        signature, timestamp = lowered.get(SIGNATURE_HEADER), lowered.get(TIMESTAMP_HEADER)
        if not signature or not timestamp:
            raise WebhookUnauthenticated("SendGrid event post without signature headers")
        try:
            decoded = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WebhookForbidden("SendGrid event signature is not base64") from exc
        signed = timestamp.encode() + body
        for key in self.keys:
            try:
                key.verify(decoded, signed, ec.ECDSA(hashes.SHA256()))
            except InvalidSignature:
                continue
            self.check_fresh(timestamp)
            return
        raise WebhookForbidden("SendGrid event signature does not verify with any configured key")

    @staticmethod
    def raw_events(body: bytes) -> list[dict[str, Any]]:
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise InvalidInputError(f"SendGrid event post is not JSON: {exc}") from exc
        if not isinstance(payload, list) or not all(isinstance(e, dict) for e in payload):
            raise InvalidInputError("SendGrid event post must be a JSON array of objects")
        return payload

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[StatusEvent]:
        self.verify(body, headers)
        return [status_event(raw) for raw in self.raw_events(body)]


# -- Email Activity API ------------------------------------------------------------------------


def reference_query(reference: str) -> str:
    return f"unique_args['ponton_ref']=\"{reference}\""


def since_query(start: datetime, end: datetime) -> str:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (
        f'last_event_time BETWEEN TIMESTAMP "{start.astimezone(UTC).strftime(fmt)}" '
        f'AND TIMESTAMP "{end.astimezone(UTC).strftime(fmt)}"'
    )


def activity_event(message: Mapping[str, Any]) -> StatusEvent:
    """A message of the Email Activity list as the status it has reached."""
    status = str(message.get("status") or "")
    at = parse_time(message.get("last_event_time"))
    return StatusEvent(
        provider=PROVIDER,
        provider_event_id=f"activity:{message.get('msg_id')}:{status}:{at.isoformat()}",
        kind=ACTIVITY_KINDS.get(status, "unknown"),
        occurred_at=at,
        provider_message_id=str(message["msg_id"]) if message.get("msg_id") else None,
        event=f"activity_{status}"[:40],
        recipient=str(message["to_email"]).lower() if message.get("to_email") else None,
    )
