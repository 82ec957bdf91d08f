"""An outgoing email as every backend receives it: validated addresses, header-safe text, our own
Message-ID, and the MIME form (multipart text + HTML, attachments) SMTP and local capture use.

User data never reaches a header unchecked: CR, LF and other control characters in a subject or a
display name are neutralised by :func:`header_text` and refused by :class:`OutgoingMail` itself,
so a header cannot be injected even by a caller that skips the helpers.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email

from ponton.errors import InvalidInputError
from ponton.mail.headers import (
    MAX_ENCODED_NAME_BYTES,
    PreEncoded,
    encode_addresses,
    encode_text,
)
from ponton.mail.mime import SMTP

MAX_SUBJECT_CHARS = 998  # RFC 5322 line limit; also the width of notifications.subject
MAX_NAME_CHARS = 200
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # Postmark's limit, the tightest of the providers
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]")
_SPACES = re.compile(r"\s+")
_BREAKING = ("Cc", "Zl", "Zp")  # control characters (CR, LF, NUL, TAB...) and line separators


def header_text(value: str | None, field_name: str, limit: int) -> str:
    """One line of header-safe text: control characters become spaces, runs of space collapse.

    Over ``limit`` characters is refused rather than cut: a truncated subject silently changes
    what the platform asked to send.
    """
    text = value or ""
    if len(text) > limit:
        raise InvalidInputError(
            f"{field_name} is {len(text):,} characters long, over the {limit:,} allowed; "
            f"shorten it in the notification"
        )
    cleaned = "".join(" " if unicodedata.category(ch) in _BREAKING else ch for ch in text)
    return _SPACES.sub(" ", cleaned).strip()


def _refuse_line_breaks(value: str, field_name: str) -> None:
    if _LINE_BREAKS.search(value) or any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidInputError(
            f"{field_name} {value[:60]!r} contains a line break or control character "
            "(header injection); pass it through ponton.mail.message.header_text first"
        )


@dataclass(frozen=True, slots=True)
class Address:
    """A validated mailbox: ASCII address (IDN domains in punycode) and an optional display name."""

    email: str
    name: str = ""

    def __post_init__(self) -> None:
        _refuse_line_breaks(self.email, "address")
        _refuse_line_breaks(self.name, "display name")
        if len(self.name.encode()) > MAX_ENCODED_NAME_BYTES:
            raise InvalidInputError(
                f"display name {self.name[:40]!r}... is over {MAX_ENCODED_NAME_BYTES} bytes in "
                "UTF-8, too long for one header line; shorten it"
            )

    @classmethod
    def parse(cls, email: str, name: str | None = None, *, role: str = "recipient") -> Address:
        """Validate ``email`` (syntax only, no DNS) and clean ``name``; InvalidInputError if bad."""
        raw = (email or "").strip()
        try:
            checked = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as exc:
            raise InvalidInputError(f"{role} address {raw[:80]!r} is not valid: {exc}") from exc
        return cls(checked.ascii_email, header_text(name, f"{role} name", MAX_NAME_CHARS))

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    def formatted(self) -> str:
        """``Name <address>`` for JSON APIs: the name quoted when it needs it, left in UTF-8 (the
        provider encodes the header; MIME messages use :meth:`header` instead)."""
        return str(self.header()) if self.name else self.email

    def header(self) -> HeaderAddress:
        local, _, domain = self.email.rpartition("@")
        return HeaderAddress(display_name=self.name, username=local, domain=domain)


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _refuse_line_breaks(self.filename, "attachment name")
        if "/" in self.filename or "\\" in self.filename or not self.filename.strip("."):
            raise InvalidInputError(f"attachment name {self.filename!r} must be a plain file name")
        if self.content_type.count("/") != 1:
            raise InvalidInputError(f"attachment {self.filename!r}: bad type {self.content_type!r}")


def message_reference(notification_id: int, created_at: datetime | None) -> str:
    """Our id for a notification's message: the notification id plus a short hash of its creation
    time, so a re-created database never reuses a Message-ID a mailbox has already seen."""
    stamp = created_at.isoformat() if created_at else ""
    digest = hashlib.sha256(f"{notification_id}|{stamp}".encode()).hexdigest()[:8]
    return f"n{notification_id}-{digest}"


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """What a backend sends. ``reference`` is ours and travels with the message (Message-ID,
    SendGrid custom args, Postmark metadata) so status events and lookups find it again."""

    reference: str
    sender: Address
    to: tuple[Address, ...]
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    notification_id: int | None = None
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()  # in the envelope only, never in a header
    reply_to: Address | None = None
    # A relay's temporary refusal of a recipient holds the whole message back for a later
    # attempt; False on the last one: it goes to the recipients that accept it.
    deferrable: bool = True

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}", self.reference):
            raise InvalidInputError(f"message reference {self.reference!r} is not a safe token")
        if not self.to:
            raise InvalidInputError(f"message {self.reference} has no To recipient")
        seen: set[str] = set()
        for address in self.recipients:
            if address.email.lower() in seen:
                raise InvalidInputError(
                    f"{address.email} is listed twice among the To, Cc and Bcc recipients; "
                    "keep one (providers refuse or deliver duplicates)"
                )
            seen.add(address.email.lower())
        _refuse_line_breaks(self.subject, "subject")
        if len(self.subject) > MAX_SUBJECT_CHARS:
            raise InvalidInputError(f"subject is over {MAX_SUBJECT_CHARS} characters")
        total = sum(len(a.data) for a in self.attachments)
        if total > MAX_ATTACHMENT_BYTES:
            raise InvalidInputError(
                f"attachments weigh {total:,} bytes, over the {MAX_ATTACHMENT_BYTES:,} providers "
                "accept; link to the document instead"
            )

    @property
    def recipients(self) -> tuple[Address, ...]:
        """Every address the message goes to: To, then Cc, then Bcc."""
        return self.to + self.cc + self.bcc

    @property
    def message_id(self) -> str:
        return f"<ponton.{self.reference}@{self.sender.domain}>"

    @property
    def tags(self) -> dict[str, str]:
        """Our ids as string key/values (SendGrid custom args and Postmark metadata take these)."""
        tags = {"ponton_ref": self.reference}
        if self.notification_id is not None:
            tags["ponton_notification_id"] = str(self.notification_id)
        return tags

    def to_mime(self, date: datetime | None = None) -> EmailMessage:
        """The RFC 5322 message: multipart/alternative text + HTML, inside multipart/mixed when
        there are attachments; subject and display names encoded by :mod:`ponton.mail.headers`
        so that they decode to exactly what was sent."""
        msg = EmailMessage(policy=SMTP)
        msg["From"] = encode_addresses("From", [(self.sender.name, self.sender.email)])
        msg["To"] = encode_addresses("To", [(a.name, a.email) for a in self.to])
        if self.cc:
            msg["Cc"] = encode_addresses("Cc", [(a.name, a.email) for a in self.cc])
        if self.reply_to:
            msg["Reply-To"] = encode_addresses(
                "Reply-To", [(self.reply_to.name, self.reply_to.email)]
            )
        msg["Subject"] = encode_text("Subject", self.subject)
        # ASCII values of ours, each short of a line: written as they are.
        ours = {
            "Date": format_datetime(date or datetime.now().astimezone()),
            "Message-ID": self.message_id,
        } | {f"X-{key.replace('_', '-').title()}": value for key, value in self.tags.items()}
        for name, value in ours.items():
            msg[name] = PreEncoded(name, value)
        msg.set_content(self.text, subtype="plain", charset="utf-8", cte="quoted-printable")
        if self.html:
            msg.add_alternative(self.html, subtype="html", charset="utf-8", cte="quoted-printable")
        for attachment in self.attachments:
            maintype, subtype = attachment.content_type.split("/")
            msg.add_attachment(
                attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
            )
        for part in msg.walk():
            if part is not msg:
                del part["MIME-Version"]  # only the top level carries it (RFC 2045)
        return msg


_REFERENCE_IN_MESSAGE_ID = re.compile(r"<ponton\.([A-Za-z0-9._-]+)@")
_NOTIFICATION_IN_REFERENCE = re.compile(r"n(\d+)-[0-9a-f]{8}")


def notification_id_from_reference(reference: str | None) -> int | None:
    match = _NOTIFICATION_IN_REFERENCE.fullmatch(reference or "")
    return int(match.group(1)) if match else None


def reference_from_message_id(message_id: str | None) -> str | None:
    match = _REFERENCE_IN_MESSAGE_ID.search(message_id or "")
    return match.group(1) if match else None
