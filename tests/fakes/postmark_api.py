"""A loopback fake of the Postmark API, after its documentation:

* ``POST /email``: ``X-Postmark-Server-Token``; 200 ``{To, SubmittedAt, MessageID, ErrorCode: 0,
  Message: "OK"}``; refusals as 422 ``{ErrorCode, Message}`` (300 invalid request, 406 inactive
  recipient), 401 with ErrorCode 10, 429 rate limit; ``To``, ``Cc``, ``Bcc`` comma-separated,
  at most 50 recipients in all (postmarkapp.com/developer, "Things you should know", and
  postmarkapp.com/support/article/1180-what-does-errorcode-300-mean: ErrorCode 300);
* ``GET /messages/outbound``: ``count`` and ``offset`` required, filters ``recipient``,
  ``status``, ``fromdate``/``todate`` and ``metadata_<key>``, newest first, ``TotalCount``;
* ``GET /messages/outbound/{id}/details`` with ``MessageEvents`` (Delivered, Transient, Bounced,
  Opened, LinkClicked), each naming its ``Recipient``; ``Recipients`` lists To, Cc and Bcc (the
  ``OutboundMessage`` type of the official Node client, postmark 4.0.7, has To/Cc/Bcc and
  Recipients);
* webhook records (``RecordType`` Delivery, Bounce, SpamComplaint, Open, Click, ...) posted with
  HTTP basic auth, the only protection Postmark offers.

Pages: https://postmarkapp.com/developer/api/email-api,
https://postmarkapp.com/developer/api/messages-api,
https://postmarkapp.com/developer/webhooks/webhooks-overview.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, date, datetime
from email.utils import getaddresses
from typing import Any

from tests.fakes.loopback import ApiRequest as Request
from tests.fakes.loopback import ApiResponse as Response
from tests.fakes.loopback import RoutedLoopbackServer


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


class FakePostmark(RoutedLoopbackServer):
    def __init__(self, token: str = "server-token", webhook_auth=("hooks", "s3cret")) -> None:
        self.token = token
        self.webhook_auth = webhook_auth
        self.messages: list[dict[str, Any]] = []
        self.refusals: list[Response] = []
        super().__init__()

    def routes(self):
        return [
            ("POST", re.compile(r"/email"), self._send),
            ("GET", re.compile(r"/messages/outbound"), self._search),
            ("GET", re.compile(r"/messages/outbound/(?P<mid>[^/]+)/details"), self._details),
            ("GET", re.compile(r"/server"), self._server_settings),
        ]

    def connection(self, **extra: Any) -> dict[str, Any]:
        """An Airflow connection (as JSON for ``AIRFLOW_CONN_*``) that reaches this fake."""
        return {
            "conn_type": "ponton_postmark",
            "host": self.url,
            "password": self.token,
            "extra": {
                "from_email": "planning@ponton.example",
                "from_name": "Planning ponton",
                "retry_max_seconds": 0.05,  # keep the suite fast; the policy has its own tests
            }
            | extra,
        }

    def webhook_keys(self, *, password=None, previous="") -> dict[str, Any]:
        """The ``ponton_mail_webhooks`` connection the receiver reads (no server token in it)."""
        user, current = self.webhook_auth
        return {
            "conn_type": "ponton_mail_webhooks",
            "login": user,
            "password": password or current,
            "extra": {"postmark_password_previous": previous},
        }

    def backend(self, *, token=None, passwords=None, page_size=100):
        """The backend built directly on this fake, without an Airflow connection."""
        from postmarker.core import PostmarkClient

        from ponton.mail.backends.postmark import PostmarkBackend, PostmarkOptions
        from tests.fakes.smtp_server import SENDER, fast_retry

        client = PostmarkClient(
            server_token=token or self.token, root_api_url=self.url + "/", timeout=10
        )
        user, password = self.webhook_auth
        options = PostmarkOptions(
            sender=SENDER,
            retry=fast_retry(),
            webhook_username=user,
            webhook_passwords=(password,) if passwords is None else passwords,
            page_size=page_size,
        )
        return PostmarkBackend(client=client, options=options)

    # -- what the tests script --------------------------------------------------------------

    def refuse_next(self, permanent: bool, times: int = 1) -> None:
        for _ in range(times):
            self._refuse(permanent)

    def _refuse(self, permanent: bool) -> None:
        if permanent:
            message = "You tried to send to recipient(s) that have been marked as inactive."
            self.refusals.append(Response(422, {"ErrorCode": 406, "Message": message}))
        else:
            self.refusals.append(
                Response(429, {"ErrorCode": 429, "Message": "Rate limit exceeded"})
            )

    def _find(self, message_id: str) -> dict[str, Any]:
        return next(m for m in self.messages if m["MessageID"] == message_id)

    def deliver(self, receipt, at: datetime, recipient: str | None = None) -> dict[str, Any]:
        """A recipient's server accepted it (the first recipient unless named): a MessageEvent
        and the webhook record."""
        stored = self._find(getattr(receipt, "provider_message_id", receipt))
        recipient = recipient or stored["Recipients"][0]
        stored["MessageEvents"].append(
            {
                "Recipient": recipient,
                "Type": "Delivered",
                "ReceivedAt": _stamp(at),
                "Details": {"DeliveryMessage": "250 2.0.0 OK", "DestinationServer": "mx.example"},
            }
        )
        return self.record(
            stored, "Delivery", recipient=recipient, DeliveredAt=_stamp(at), Details="250 2.0.0 OK"
        )

    def bounce(self, receipt, at: datetime, recipient: str) -> dict[str, Any]:
        """A recipient's server refused it for good: a Bounced MessageEvent and the Bounce record
        (postmarkapp.com/developer/webhooks/bounce-webhook: the address is in ``Email``)."""
        stored = self._find(getattr(receipt, "provider_message_id", receipt))
        stored["MessageEvents"].append(
            {
                "Recipient": recipient,
                "Type": "Bounced",
                "ReceivedAt": _stamp(at),
                "Details": {"Summary": "550 5.1.1 unknown user", "BounceID": "42"},
            }
        )
        record = self.record(stored, "Bounce", BouncedAt=_stamp(at), Type="HardBounce")
        del record["Recipient"]
        return record | {"Email": recipient, "Description": "550 5.1.1 unknown user"}

    def record(
        self, stored: dict[str, Any], record_type: str, *, recipient=None, **fields: Any
    ) -> dict[str, Any]:
        return {
            "RecordType": record_type,
            "ServerID": 1,
            "MessageStream": stored["MessageStream"],
            "MessageID": stored["MessageID"],
            "Recipient": recipient or stored["Recipients"][0],
            "Tag": "",
            "Metadata": stored["Metadata"],
            **fields,
        }

    def delivery_post(self, receipt, at: datetime, forged: bool = False, recipient=None):
        """The Delivery webhook post (with a wrong password when forged)."""
        stored = self._find(getattr(receipt, "provider_message_id", receipt))
        record = self.record(
            stored, "Delivery", recipient=recipient, DeliveredAt=_stamp(at), Details="250 OK"
        )
        return self.webhook_post(record, (self.webhook_auth[0], "guessed") if forged else None)

    def stale_post(self, receipt, age):
        """Postmark signs nothing: a post carries no time of sending to check."""
        import pytest

        pytest.skip("Postmark webhooks carry no signed time (basic auth only)")

    def webhook_post(self, record: dict[str, Any], auth=None) -> tuple[bytes, dict[str, str]]:
        user, password = auth or self.webhook_auth
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        body = json.dumps(record).encode()
        return body, {"Content-Type": "application/json", "Authorization": f"Basic {token}"}

    def seen(self) -> list[dict[str, Any]]:
        out = []
        for m in self.messages:
            to_name, to = getaddresses([m["To"]])[0]
            out.append(
                {
                    "to": to,
                    "to_name": to_name,
                    "to_all": [a for _, a in getaddresses([m["To"]])],
                    "cc": [a for _, a in getaddresses([m.get("Cc") or ""]) if a],
                    "recipients": m["Recipients"],
                    "reply_to": getaddresses([m["ReplyTo"]])[0][1] if m.get("ReplyTo") else None,
                    "subject": m["Subject"],
                    "text": m.get("TextBody"),
                    "html": m.get("HtmlBody"),
                    "reference": m["Metadata"].get("ponton_ref"),
                    "message_id": {h["Name"]: h["Value"] for h in m["Headers"]}.get("Message-ID"),
                    "attachments": [
                        (a["Name"], a["ContentType"], base64.b64decode(a["Content"]))
                        for a in m.get("Attachments") or []
                    ],
                }
            )
        return out

    # -- the API --------------------------------------------------------------------------------

    def _authorised(self, request: Request) -> Response | None:
        if request.headers.get("x-postmark-server-token") != self.token:
            message = "Request does not contain a valid Server token."
            return Response(401, {"ErrorCode": 10, "Message": message})
        return None

    def _send(self, request: Request) -> Response:
        if denied := self._authorised(request):
            return denied
        if self.refusals:
            return self.refusals.pop(0)
        data = request.json()
        if (
            not data.get("From")
            or not data.get("To")
            or not (data.get("TextBody") or data.get("HtmlBody"))
        ):
            return Response(422, {"ErrorCode": 300, "Message": "Invalid email request"})
        recipients = [
            addr
            for field in ("To", "Cc", "Bcc")
            for _, addr in getaddresses([data.get(field) or ""])
            if addr
        ]
        if len(recipients) > 50:
            message = "Invalid 'To' address: Maximum of 50 recipients allowed per email message"
            return Response(422, {"ErrorCode": 300, "Message": message})
        now = datetime.now(UTC)
        message = data | {
            "MessageID": str(uuid.uuid4()),
            "ReceivedAt": _stamp(now),
            "Status": "Sent",
            "Recipients": recipients,
            "Metadata": data.get("Metadata") or {},
            "MessageStream": data.get("MessageStream") or "outbound",
            "MessageEvents": [],
        }
        self.messages.append(message)
        return Response(
            200,
            {
                "To": data["To"],
                "SubmittedAt": _stamp(now),
                "MessageID": message["MessageID"],
                "ErrorCode": 0,
                "Message": "OK",
            },
        )

    def _summary(self, m: dict[str, Any]) -> dict[str, Any]:
        keys = ("Tag", "MessageID", "Recipients", "ReceivedAt", "From", "Subject", "Status")
        return {k: m.get(k) for k in keys} | {
            "Metadata": m["Metadata"],
            "MessageStream": m["MessageStream"],
            "Attachments": [a["Name"] for a in m.get("Attachments") or []],
        }

    def _search(self, request: Request) -> Response:
        if denied := self._authorised(request):
            return denied
        q = request.query
        if "count" not in q or "offset" not in q or int(q["count"]) > 500:
            return Response(
                422, {"ErrorCode": 300, "Message": "count (max 500) and offset are required"}
            )
        found = list(reversed(self.messages))
        if q.get("recipient"):
            found = [m for m in found if q["recipient"] in m["Recipients"]]
        if q.get("status"):
            found = [m for m in found if m["Status"].lower() == q["status"].lower()]
        if q.get("fromdate"):
            start = date.fromisoformat(q["fromdate"][:10])
            found = [m for m in found if datetime.fromisoformat(m["ReceivedAt"]).date() >= start]
        for key, value in q.items():
            if key.startswith("metadata_"):
                found = [m for m in found if m["Metadata"].get(key[len("metadata_") :]) == value]
        offset, count = int(q["offset"]), int(q["count"])
        page = found[offset : offset + count]
        return Response(
            200, {"TotalCount": len(found), "Messages": [self._summary(m) for m in page]}
        )

    def _details(self, request: Request, mid: str) -> Response:
        if denied := self._authorised(request):
            return denied
        try:
            m = self._find(mid)
        except StopIteration:
            return Response(422, {"ErrorCode": 701, "Message": "This message was not found."})
        return Response(
            200,
            self._summary(m)
            | {
                "TextBody": m.get("TextBody"),
                "HtmlBody": m.get("HtmlBody"),
                "MessageEvents": m["MessageEvents"],
            },
        )

    def _server_settings(self, request: Request) -> Response:
        if denied := self._authorised(request):
            return denied
        return Response(200, {"ID": 1, "Name": "ponton fake"})
