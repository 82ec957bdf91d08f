"""Reports as a relay writes them back to the envelope sender, and the pair of real servers the
bounce-mailbox tests run against (the aiosmtpd relay offering DSN, the pymap mailbox).

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

from tests.fakes.imap_server import ImapPeer
from tests.fakes.smtp_server import SmtpPeer

RELAY = "relay.ponton.example"
BOUNCES = "bounces@ponton.example"  # the envelope sender, delivered to the IMAP mailbox


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
        f"To: {BOUNCES}\n"
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


class RelayWithMailbox:
    """The relay and the mailbox its envelope sender's mail is delivered to."""

    def __init__(self, tmp) -> None:
        self.relay = SmtpPeer(tmp, mode="starttls", auth=True, dsn=True)
        self.imap = ImapPeer(tmp, ca=self.relay.ca)

    def __getattr__(self, name):  # seen, refuse_next, refuse_address, handler
        return getattr(self.relay, name)

    def reset(self) -> None:
        """An empty relay log and a new, empty bounce folder."""
        self.relay.handler.__init__()
        self.relay.handler.dsn = True
        self.imap.recreate_folder()

    def stop(self) -> None:
        self.relay.stop()
        self.imap.stop()

    def connection(self, **extra) -> dict:
        fields = {"bounce_address": BOUNCES} | self.imap.extra() | extra
        return self.relay.connection(**fields)

    def backend(self, *, page_size: int = 200, **changes):
        from ponton.mail.backends.smtp_bounces import SmtpBounceBackend

        plain = self.relay.backend(**({"envelope_sender": BOUNCES} | changes))
        mailbox = self.imap.mailbox(page_size=page_size)
        return SmtpBounceBackend(login=plain.login, options=plain.options, mailbox=mailbox)

    def sent(self, message_id: str) -> tuple[dict, list[str]]:
        """What the relay took for ``message_id`` and the DSN parameters it was given."""
        for index, seen in enumerate(self.relay.seen()):
            if seen["message_id"] == message_id:
                return seen, self.relay.handler.dsn_params[index]
        raise AssertionError(f"the relay never took {message_id}")

    def report(self, message_id: str, at: datetime, recipient: str | None = None, **fields):
        """The relay's report on the message ``message_id`` for ``recipient`` (each one when
        None), dropped in the mailbox, with the ENVID the message was sent with."""
        seen, params = self.sent(message_id)
        envid = next((p.split("ENVID=")[1].split()[0] for p in params if "ENVID=" in p), None)
        for address in [recipient] if recipient else seen["recipients"]:
            self.imap.drop(dsn(seen["raw"], address, at, envid=envid, **fields), at)

    def deliver(self, receipt, at: datetime, recipient: str | None = None) -> None:
        """A success report (Action: delivered, RFC 3464 section 2.3.3): what a relay sends when
        success was asked for (NOTIFY=SUCCESS, RFC 3461 section 4.1). ponton asks only for
        failures and delays; the reader takes every Action the same way."""
        self.report(
            receipt.provider_message_id,
            at,
            recipient,
            action="delivered",
            status="2.0.0",
            diagnostic="smtp; 250 ok",
        )
