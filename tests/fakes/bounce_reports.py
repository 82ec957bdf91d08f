"""Reports as a relay writes them back to the envelope sender, for the bounce-mailbox tests.

The layout is Postfix's (bounce(8), https://www.postfix.org/bounce.8.html): ``multipart/report;
report-type=delivery-status`` (RFC 3464 section 2) with a human part, the ``message/delivery-
status`` fields (per message: Reporting-MTA, Original-Envelope-Id when the sender gave ENVID,
Arrival-Date; per recipient: Final-Recipient, Original-Recipient when the sender gave ORCPT,
Action, Status, Diagnostic-Code) and the returned headers only (``text/rfc822-headers``, RFC 6522
section 4: what RET=HDRS asks for).
"""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from email.utils import format_datetime
from uuid import uuid4

RELAY = "relay.ponton.example"


def dsn(
    sent: bytes,
    recipient: str,
    at: datetime,
    *,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 User unknown",
    envid: str | None = None,
) -> bytes:
    """The report on ``recipient`` of the message ``sent`` (its bytes as the relay took them)."""
    headers = sent.split(b"\r\n\r\n", 1)[0].decode("ascii").replace("\r\n", "\n")
    boundary = f"{uuid4().hex}/{RELAY}"
    per_message = [f"Reporting-MTA: dns; {RELAY}"]
    if envid:
        per_message.append(f"Original-Envelope-Id: {envid}")
    original = message_from_bytes(sent, policy=policy.default)
    per_message.append(f"Arrival-Date: {original['Date']}")
    fields = "\n".join(per_message)
    date = format_datetime(at)
    text = (
        f"Return-Path: <>\n"
        f"Date: {date}\n"
        f"From: MAILER-DAEMON@{RELAY} (Mail Delivery System)\n"
        f"Subject: Undelivered Mail Returned to Sender\n"
        f"To: bounces@ponton.example\n"
        f"Auto-Submitted: auto-replied\n"
        f"Message-Id: <{uuid4().hex}@{RELAY}>\n"
        f"MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n'
        f"\n"
        f"This is a MIME-encapsulated message.\n"
        f"\n"
        f"--{boundary}\n"
        f"Content-Description: Notification\n"
        f"Content-Type: text/plain; charset=us-ascii\n"
        f"\n"
        f"This is the mail system at host {RELAY}.\n"
        f"\n"
        f"<{recipient}>: {diagnostic}\n"
        f"\n"
        f"--{boundary}\n"
        f"Content-Description: Delivery report\n"
        f"Content-Type: message/delivery-status\n"
        f"\n"
        f"{fields}\n"
        f"\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Original-Recipient: rfc822;{recipient}\n"
        f"Action: {action}\n"
        f"Status: {status}\n"
        f"Diagnostic-Code: {diagnostic}\n"
        f"Last-Attempt-Date: {date}\n"
        f"\n"
        f"--{boundary}\n"
        f"Content-Description: Undelivered Message Headers\n"
        f"Content-Type: text/rfc822-headers\n"
        f"\n"
        f"{headers}\n"
        f"\n"
        f"--{boundary}--\n"
    )
    return text.replace("\n", "\r\n").encode("ascii")
