"""Reports that come back to an SMTP sender's bounce mailbox, read into findings per recipient.

* delivery status notifications (RFC 3464: ``multipart/report; report-type=delivery-status``),
  one finding per recipient block: Action ``failed`` with a 5.x.x Status → ``bounced``, with a
  4.x.x Status (the relay gave up on a temporary condition) → ``failed``; ``delayed`` →
  ``deferred``; ``delivered``, ``relayed``, ``expanded`` → ``delivered``;
* feedback reports (RFC 5965 ARF: ``report-type=feedback-report``) → ``complained``;
* automatic replies (RFC 3834 ``Auto-Submitted: auto-replied``) → ``autoresponded``;
* other mail sent by a machine, and a delivery status notification too malformed to take apart,
  through GNU Mailman's detectors (``flufl.bounce``: qmail, Exim without DSN, old Exchange...):
  permanent failures → ``bounced``, temporary ones → ``deferred``.

Our message is found by the DSN's Original-Envelope-Id (the ``ENVID`` we send, RFC 3461), else by
our Message-ID in the returned headers or anywhere in the report. Anything else is not a report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from flufl.bounce import all_failures

from ponton.mail.message import reference_from_message_id

_ACTIONS = {
    "failed": "bounced",
    "delayed": "deferred",
    "delivered": "delivered",
    "relayed": "delivered",
    "expanded": "delivered",
}
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_XTEXT = re.compile(r"\+([0-9A-F]{2})")
# Local parts of the addresses servers send bounces from (RFC 5321 section 4.5.5, and real ones)
_DAEMONS = frozenset(
    (
        "mailer-daemon",
        "postmaster",
        "mail-daemon",
        "mailerdaemon",
        "mdaemon",
        "mail.delivery.system",
    )
)
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Finding:
    """What one report says about one recipient of one of our messages."""

    kind: str  # a ponton.mail.status kind
    recipient: str | None
    event: str  # "dsn:failed", "arf:abuse", "auto-replied", "bounce:permanent"
    reference: str | None  # our message reference; None when the report does not name it
    occurred_at: datetime | None
    reason: str = ""


def read_report(raw: bytes) -> list[Finding]:
    """The findings of one message of the bounce mailbox; empty when it is not a report."""
    msg = message_from_bytes(raw, policy=policy.compat32)
    report_type = (msg.get_param("report-type", header="content-type") or "").lower()
    if msg.get_content_type() == "multipart/report" and report_type == "delivery-status":
        # A status part this reader cannot take apart still goes to the detectors.
        return _dsn(msg, raw) or _other_bounce(msg, raw)
    if msg.get_content_type() == "multipart/report" and report_type == "feedback-report":
        return _arf(msg, raw)
    bounced = _other_bounce(msg, raw) if _automatic(msg) else []
    if not bounced and (msg.get("Auto-Submitted") or "").strip().lower().startswith("auto-replied"):
        return _auto_reply(msg)
    return bounced


def _xtext(value: str) -> str:
    """RFC 3461 section 4: ``+XX`` is the character with hex code XX."""
    return _XTEXT.sub(lambda m: chr(int(m.group(1), 16)), value)


def _typed_address(value: str | None) -> str | None:
    """``rfc822; a@b`` (RFC 3464 section 2.3.1/2.3.2) → ``a@b``."""
    if not value:
        return None
    kind, _, address = value.partition(";")
    if not address:
        kind, address = "rfc822", kind
    if kind.strip().lower() != "rfc822":
        return None
    address = _xtext(address.strip()).strip("<>").strip()
    return address.lower() or None


def _when(value: str | None) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    return moment if moment is None or moment.tzinfo else None


def _returned_headers(msg: Message) -> Message | None:
    """The headers of our message a report carries back (RFC 3462 text/rfc822-headers, RFC 5965
    message/rfc822-headers, or the whole message/rfc822)."""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind in ("text/rfc822-headers", "message/rfc822-headers"):
            payload = part.get_payload(decode=True) or b""
            return BytesHeaderParser(policy=policy.compat32).parsebytes(payload)
        if kind == "message/rfc822":
            inner = part.get_payload()
            return inner[0] if isinstance(inner, list) and inner else None
    return None


def _reference(msg: Message, raw: bytes, envelope_id: str | None = None) -> str | None:
    """Our reference: the envelope id we sent, else our tag or Message-ID in the returned
    headers, in In-Reply-To / References (replies), or anywhere in the report (bounces that
    quote our message as text)."""
    if envelope_id and _REFERENCE.fullmatch(envelope_id):
        return envelope_id
    returned = _returned_headers(msg)
    if returned is not None:
        tag = (returned.get("X-Ponton-Ref") or "").strip()
        if _REFERENCE.fullmatch(tag):
            return tag
        if found := reference_from_message_id(returned.get("Message-ID")):
            return found
    for name in ("In-Reply-To", "References"):
        if found := reference_from_message_id(msg.get(name)):
            return found
    return reference_from_message_id(raw.decode("ascii", errors="replace"))


def _dsn(msg: Message, raw: bytes) -> list[Finding]:
    status_part = next(
        (p for p in msg.walk() if p.get_content_type() == "message/delivery-status"), None
    )
    blocks = status_part.get_payload() if status_part is not None else None
    if not isinstance(blocks, list) or len(blocks) < 2:
        return []
    per_message, recipients = blocks[0], blocks[1:]
    envelope_id = per_message.get("Original-Envelope-Id")
    reference = _reference(msg, raw, _xtext(envelope_id.strip()) if envelope_id else None)
    reported = _when(msg.get("Date"))
    findings = []
    for block in recipients:
        # "failed (Bad destination mailbox address)": some servers comment the action
        action = next(iter((block.get("Action") or "").lower().split()), "")
        kind = _ACTIONS.get(action)
        recipient = _typed_address(block.get("Original-Recipient")) or _typed_address(
            block.get("Final-Recipient")
        )
        if kind is None or recipient is None:
            continue
        status = (block.get("Status") or "").strip()
        if kind == "bounced" and not status.startswith("5"):
            kind = "failed"  # gave up on a temporary condition: the address may well be good
        diagnostic = " ".join((block.get("Diagnostic-Code") or "").split())
        findings.append(
            Finding(
                kind,
                recipient,
                f"dsn:{action}",
                reference,
                _when(block.get("Last-Attempt-Date")) or reported,
                f"{status} {diagnostic}".strip()[:MAX_REASON],
            )
        )
    return findings


def _arf(msg: Message, raw: bytes) -> list[Finding]:
    feedback = next(
        (p for p in msg.walk() if p.get_content_type() == "message/feedback-report"), None
    )
    if feedback is None:
        return []
    fields = feedback.get_payload()
    if isinstance(fields, list):  # parsed as a message/* part: one block of fields
        fields = fields[0]
    else:
        fields = BytesHeaderParser(policy=policy.compat32).parsebytes(
            feedback.get_payload(decode=True) or b""
        )
    feedback_type = (fields.get("Feedback-Type") or "").strip().lower()
    if feedback_type == "not-spam":  # RFC 6430: the opposite of a complaint
        return []
    returned = _returned_headers(msg)
    recipients = [_typed_address(v) for v in fields.get_all("Original-Rcpt-To") or []]
    if not any(recipients) and returned is not None:
        recipients = [a.lower() for _, a in getaddresses(returned.get_all("To") or []) if a]
    reference = _reference(msg, raw)
    at = _when(fields.get("Arrival-Date") or fields.get("Received-Date")) or _when(msg.get("Date"))
    return [
        Finding("complained", r, f"arf:{feedback_type or 'abuse'}", reference, at)
        for r in recipients
        if r
    ]


def _auto_reply(msg: Message) -> list[Finding]:
    sender = parseaddr(msg.get("From") or "")[1].lower() or None
    reference = _reference(msg, b"")
    subject = " ".join((msg.get("Subject") or "").split())
    return [
        Finding("autoresponded", sender, "auto-replied", reference, _when(msg.get("Date")), subject)
    ]


def _automatic(msg: Message) -> bool:
    """Whether the message was sent by a machine: a bounce goes out with a null reverse path (RFC
    5321 section 4.5.5), which some servers write as MAILER-DAEMON, usually from a daemon address
    or with RFC 3834's ``Auto-Submitted`` or Exim's ``X-Failed-Recipients``. A person's message,
    even one quoting a bounce, is never handed to the heuristic detectors."""
    return_path = parseaddr(msg.get("Return-Path") or "")[1].lower()
    sender = parseaddr(msg.get("From") or "")[1].lower()
    return (
        (msg.get("Return-Path") or "").strip() == "<>"
        or return_path.partition("@")[0] in _DAEMONS
        or not sender
        or sender.partition("@")[0] in _DAEMONS
        or (msg.get("Auto-Submitted") or "").strip().lower().startswith("auto-generated")
        or msg.get("X-Failed-Recipients") is not None
    )


def _other_bounce(msg: Message, raw: bytes) -> list[Finding]:
    temporary, permanent = all_failures(msg)
    reference = _reference(msg, raw)
    at = _when(msg.get("Date"))
    text = raw.decode("utf-8", errors="replace")
    code = _STATUS.search(text)
    reason = f"{code.group(0)} (non-DSN bounce)" if code else "non-DSN bounce"
    return [
        Finding(kind, _decoded(address).lower(), f"bounce:{kind}", reference, at, reason)
        for kind, found in (("bounced", permanent), ("deferred", temporary))
        for address in sorted(found)
    ]


def _decoded(address: bytes | str) -> str:
    return address.decode(errors="replace") if isinstance(address, bytes) else address
