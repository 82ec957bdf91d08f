"""A loopback fake of the SendGrid v3 API, after its documentation:

* ``POST /v3/mail/send``: Bearer key, ``personalizations``/``from``/``content`` validated (a valid
  address in every to/cc/bcc and reply_to, text/plain before text/html, string custom args), 202
  with ``X-Message-Id``; errors as ``{"errors": [{"message", "field"}]}`` (400, 401, 429 with
  ``X-RateLimit-Reset``); at most 1000 recipients (to + cc + bcc) and each address once
  (https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors);
* each recipient becomes a message of its own, with its own ``msg_id`` (the X-Message-Id plus a
  ``.filter...`` suffix) and status: the Email Activity API lists one message per ``to_email``,
  and every event carries the ``email`` it concerns;
* ``GET /v3/messages`` (Email Activity): 403 unless the add-on is enabled; the queries
  ``unique_args['k']="v"`` and ``last_event_time BETWEEN TIMESTAMP "a" AND TIMESTAMP "b"``;
  ``msg_id`` is the send's X-Message-Id followed by ``.filter...`` as in real events;
* the Event Webhook: JSON arrays of events with ``sg_event_id``, ``sg_message_id``, ``timestamp``
  and the custom args at top level, signed with ECDSA P-256 over timestamp + body.

Pages: https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send (docs.sendgrid.com
before the move), https://www.twilio.com/docs/sendgrid/api-reference/email-activity/filter-all-messages,
https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes.loopback import ApiRequest as Request
from tests.fakes.loopback import ApiResponse as Response
from tests.fakes.loopback import RoutedLoopbackServer

_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_UNIQUE_ARG = re.compile(r"unique_args\['([^']+)'\]=\"([^\"]*)\"")
_BETWEEN = re.compile(r'last_event_time BETWEEN TIMESTAMP "([^"]+)" AND TIMESTAMP "([^"]+)"')


def new_signing_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """A key pair as SendGrid issues it: the public half as base64 DER."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(der).decode()


class FakeSendGrid(RoutedLoopbackServer):
    def __init__(self, api_key: str = "SG.test-key", activity: bool = True) -> None:
        self.api_key = api_key
        self.activity = activity
        self.messages: list[dict[str, Any]] = []
        self.refusals: list[Response] = []  # answered, in order, to the next sends
        self.signing_key, self.public_key = new_signing_key()
        self._filter = itertools.count(1)
        super().__init__()

    def routes(self):
        return [
            ("POST", re.compile(r"/v3/mail/send"), self._send),
            ("GET", re.compile(r"/v3/messages"), self._activity),
            ("GET", re.compile(r"/v3/scopes"), self._scopes),
        ]

    def connection(self, **extra: Any) -> dict[str, Any]:
        """An Airflow connection (as JSON for ``AIRFLOW_CONN_*``) that reaches this fake."""
        return {
            "conn_type": "ponton_sendgrid",
            "host": self.url,
            "password": self.api_key,
            "extra": {
                "from_email": "planning@ponton.example",
                "from_name": "Planning ponton",
                "activity_api": True,
                "retry_max_seconds": 0.05,  # keep the suite fast; the policy has its own tests
            }
            | extra,
        }

    def webhook_keys(self, *, key=None, previous="") -> dict[str, Any]:
        """The ``ponton_mail_webhooks`` connection the receiver reads (no API key in it)."""
        return {
            "conn_type": "ponton_mail_webhooks",
            "extra": {
                "sendgrid_public_key": key or self.public_key,
                "sendgrid_public_key_previous": previous,
            },
        }

    def backend(
        self, *, activity_api: bool = True, webhook_keys=None, api_key=None, activity_limit=1000
    ):
        """The backend built directly on this fake, without an Airflow connection."""
        from sendgrid import SendGridAPIClient

        from ponton.mail.backends.sendgrid import (
            SendGridActivityBackend,
            SendGridBackend,
            SendGridOptions,
        )
        from tests.fakes.smtp_server import SENDER, fast_retry

        client = SendGridAPIClient(api_key=api_key or self.api_key, host=self.url)
        client.client.timeout = 10
        options = SendGridOptions(
            sender=SENDER,
            retry=fast_retry(),
            webhook_keys=(self.public_key,) if webhook_keys is None else webhook_keys,
            activity_limit=activity_limit,
        )
        kind = SendGridActivityBackend if activity_api else SendGridBackend
        return kind(client=client, options=options)

    # -- what the tests script --------------------------------------------------------------

    def refuse_next(self, permanent: bool, times: int = 1) -> None:
        for _ in range(times):
            self._refuse(permanent)

    def _refuse(self, permanent: bool) -> None:
        if permanent:
            error = {
                "message": "Does not contain a valid address.",
                "field": "personalizations.0.to.0.email",
            }
            self.refusals.append(Response(400, {"errors": [error]}))
        else:
            reset = str(int(time.time()) + 1)
            self.refusals.append(
                Response(
                    429,
                    {"errors": [{"message": "too many requests"}]},
                    {"X-RateLimit-Reset": reset},
                )
            )

    def deliver(self, receipt, at: datetime, recipient: str | None = None) -> dict[str, Any]:
        """A recipient's server (the first recipient's unless named) accepted it: its activity
        status moves, an event is returned."""
        return self.outcome(receipt, "delivered", at, recipient, response="250 OK")

    def outcome(self, receipt, name: str, at: datetime, recipient=None, **extra) -> dict[str, Any]:
        """``delivered`` or ``bounce`` for one recipient: activity status and event."""
        stored = self._find(getattr(receipt, "provider_message_id", receipt))
        copy = self._copy(stored, recipient)
        copy["status"] = "delivered" if name == "delivered" else "not_delivered"
        copy["last_event_time"] = at.replace(microsecond=0)
        return self.event(stored, name, at, recipient, **extra)

    def delivery_post(self, receipt, at: datetime, forged: bool = False, recipient=None):
        """The Event Webhook post reporting the delivery (signed by another key when forged)."""
        stored = self._find(getattr(receipt, "provider_message_id", receipt))
        event = self.event(stored, "delivered", at, recipient, response="250 OK")
        return self.signed_post([event], new_signing_key()[0] if forged else None)

    @staticmethod
    def _copy(stored: dict[str, Any], recipient: str | None) -> dict[str, Any]:
        copies = stored["copies"]
        return next(c for c in copies if c["email"] == recipient) if recipient else copies[0]

    def event(
        self, stored: dict[str, Any], name: str, at: datetime, recipient=None, **extra: Any
    ) -> dict[str, Any]:
        copy = self._copy(stored, recipient)
        return {
            "email": copy["email"],
            "timestamp": int(at.timestamp()),
            "smtp-id": f"<{stored['x_message_id']}@ismtpd>",
            "event": name,
            "sg_event_id": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
            "sg_message_id": copy["msg_id"],
            **stored["payload"].get("custom_args", {}),
            **extra,
        }

    def signed_post(self, events: list[dict[str, Any]], key=None) -> tuple[bytes, dict[str, str]]:
        return self.sign(json.dumps(events).encode(), key)

    def stale_post(self, receipt, age: timedelta) -> tuple[bytes, dict[str, str]]:
        """A genuine post captured ``age`` ago and replayed now."""
        stored = self._find(getattr(receipt, "provider_message_id", receipt))
        event = self.event(stored, "delivered", datetime.now(UTC) - age)
        return self.sign(json.dumps([event]).encode(), signed_at=time.time() - age.total_seconds())

    def sign(
        self, body: bytes, key=None, signed_at: float | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Any body, signed as SendGrid signs its posts: ECDSA over timestamp + body."""
        timestamp = str(int(time.time() if signed_at is None else signed_at))
        signature = (key or self.signing_key).sign(
            timestamp.encode() + body, ec.ECDSA(hashes.SHA256())
        )
        return body, {
            "Content-Type": "application/json",
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        }

    def _find(self, message_id: str) -> dict[str, Any]:
        for stored in self.messages:
            ids = {stored["x_message_id"]} | {c["msg_id"] for c in stored["copies"]}
            if message_id in ids:
                return stored
        raise KeyError(message_id)

    def seen(self) -> list[dict[str, Any]]:
        """What the recipients would get, in the contract suite's terms."""
        out = []
        for stored in self.messages:
            payload = stored["payload"]
            content = {c["type"]: c["value"] for c in payload["content"]}
            envelope = payload["personalizations"][0]
            to = envelope["to"][0]
            out.append(
                {
                    "to": to["email"],
                    "to_name": to.get("name", ""),
                    "to_all": [p["email"] for p in envelope["to"]],
                    "cc": [p["email"] for p in envelope.get("cc", [])],
                    "recipients": [c["email"] for c in stored["copies"]],
                    "reply_to": (payload.get("reply_to") or {}).get("email"),
                    "subject": payload["subject"],
                    "text": content.get("text/plain"),
                    "html": content.get("text/html"),
                    "reference": payload.get("custom_args", {}).get("ponton_ref"),
                    "message_id": payload.get("headers", {}).get("Message-ID"),
                    "attachments": [
                        (a["filename"], a["type"], base64.b64decode(a["content"]))
                        for a in payload.get("attachments", [])
                    ],
                }
            )
        return out

    # -- the API --------------------------------------------------------------------------------

    def _authorised(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            message = "The provided authorization grant is invalid, expired, or revoked"
            return Response(401, {"errors": [{"message": message, "field": None}]})
        return None

    def _send(self, request: Request) -> Response:
        if denied := self._authorised(request):
            return denied
        if self.refusals:
            return self.refusals.pop(0)
        payload = request.json()
        errors = []
        addresses = []
        for i, person in enumerate(payload.get("personalizations") or [{}]):
            for role in ("to", "cc", "bcc"):
                for j, party in enumerate(person.get(role) or ([{}] if role == "to" else [])):
                    addresses.append(party.get("email", ""))
                    if not _ADDRESS.fullmatch(party.get("email", "")):
                        field = f"personalizations.{i}.{role}.{j}.email"
                        errors.append(("Does not contain a valid address.", field))
        if len(addresses) > 1000:
            message = "There is a limit of 1000 total recipients (to + cc + bcc) per request."
            errors.append((message, "personalizations"))
        if len({a.lower() for a in addresses}) < len(addresses):
            message = (
                "Each unique email address in the personalizations array should only be "
                "included once. You have included email address more than once."
            )
            errors.append((message, "personalizations"))
        if not _ADDRESS.fullmatch((payload.get("from") or {}).get("email", "")):
            errors.append(("The from email does not contain a valid address.", "from.email"))
        reply_to = payload.get("reply_to")
        if reply_to is not None and not _ADDRESS.fullmatch(reply_to.get("email", "")):
            errors.append(("The reply_to email does not contain a valid address.", "reply_to"))
        types = [c.get("type") for c in payload.get("content") or []]
        if "text/html" in types and types.index("text/html") < types.index("text/plain"):
            errors.append(("The text/plain content type must be first.", "content"))
        if any(not isinstance(v, str) for v in (payload.get("custom_args") or {}).values()):
            errors.append(("Invalid type. Expected: string.", "custom_args"))
        if errors:
            return Response(400, {"errors": [{"message": m, "field": f} for m, f in errors]})
        x_message_id = secrets.token_urlsafe(16)
        now = datetime.now(UTC)
        self.messages.append(
            {
                "payload": payload,
                "x_message_id": x_message_id,
                "copies": [
                    {
                        "email": address,
                        "msg_id": f"{x_message_id}.filterdrecv-{next(self._filter)}-{n}.0",
                        "status": "processed",
                        "last_event_time": now.replace(microsecond=0),  # whole seconds
                    }
                    for n, address in enumerate(addresses, start=1)
                ],
            }
        )
        return Response(202, b"", {"X-Message-Id": x_message_id})

    def _activity(self, request: Request) -> Response:
        if denied := self._authorised(request):
            return denied
        if not self.activity:
            return Response(403, {"errors": [{"field": None, "message": "access forbidden"}]})
        query, limit = request.query.get("query", ""), int(request.query.get("limit", 10))
        # https://www.twilio.com/docs/sendgrid/api-reference/email-activity/filter-all-messages:
        # limit is 1 to 1000; the order of the messages is not documented (we keep ours).
        if not 1 <= limit <= 1000:
            return Response(400, {"errors": [{"field": "limit", "message": "1 to 1000"}]})
        copies = [(m, c) for m in self.messages for c in m["copies"]]
        if match := _UNIQUE_ARG.fullmatch(query):
            key, value = match.groups()
            found = [
                (m, c) for m, c in copies if m["payload"].get("custom_args", {}).get(key) == value
            ]
        elif match := _BETWEEN.fullmatch(query):
            start, end = (datetime.fromisoformat(v) for v in match.groups())
            found = [(m, c) for m, c in copies if start <= c["last_event_time"] <= end]
        else:
            return Response(400, {"errors": [{"field": "query", "message": "invalid query"}]})
        return Response(
            200,
            {
                "messages": [
                    {
                        "from_email": m["payload"]["from"]["email"],
                        "msg_id": c["msg_id"],
                        "subject": m["payload"]["subject"],
                        "to_email": c["email"],
                        "status": c["status"],
                        "opens_count": 0,
                        "clicks_count": 0,
                        "last_event_time": c["last_event_time"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                    for m, c in found[:limit]
                ]
            },
        )

    def _scopes(self, request: Request) -> Response:
        if denied := self._authorised(request):
            return denied
        return Response(200, {"scopes": ["mail.send", "messages.read"]})
