"""The SMTP backend with a bounce mailbox: the reports that come back to the envelope sender,
read over IMAP, are its :class:`~ponton.mail.port.StatusPull`.

A relay's ``250`` is all SMTP tells at send time; what happens next comes back as mail to the
Return-Path (delivery status notifications, feedback reports, auto-replies). When the connection
names an IMAP mailbox that receives them, :class:`SmtpBounceBackend` reads it read-only
(``EXAMINE``, ``BODY.PEEK``: nothing is flagged, moved or deleted) in UID order. The cursor is
``UIDVALIDITY:last UID read``: a folder that was recreated (another UIDVALIDITY, RFC 3501 section
2.3.1.1) is read again from its start, and events keep the ids they had (the report's own
Message-ID with the recipient), so folding them again changes nothing.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from typing import TypeVar

from ponton.errors import ConfigError, PontonError, ReauthorizationRequired, TransientError
from ponton.mail.backends.smtp import SmtpBackend, SmtpLogin, SmtpOptions
from ponton.mail.backends.smtp_reports import read_report
from ponton.mail.message import notification_id_from_reference
from ponton.mail.port import EventPage
from ponton.mail.status import StatusEvent

SECURITY = ("ssl", "starttls", "none")  # implicit TLS (993), STARTTLS (143), plain (143)
# Bytes read of each message: the report parts come first; a returned message's attachments
# need not be read to the end (the MIME parser takes the cut part as it is).
MAX_MESSAGE_BYTES = 256 * 1024
_FETCHED = re.compile(rb"UID (\d+).*INTERNALDATE \"([^\"]+)\"|INTERNALDATE \"([^\"]+)\".*UID (\d+)")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_HEADERS = BytesHeaderParser(policy=policy.compat32)
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class BounceMailbox:
    """Where reports to the envelope sender are delivered, and how to read them."""

    host: str
    user: str
    password: str = field(repr=False)
    port: int | None = None  # None: 993 with implicit TLS, else 143
    folder: str = "INBOX"
    security: str = "ssl"
    ssl_ca_file: str | None = None
    timeout: float = 30
    page_size: int = 200

    def __post_init__(self) -> None:
        if self.security not in SECURITY:
            raise ConfigError(f"bounce mailbox security {self.security!r} is not one of {SECURITY}")

    @property
    def where(self) -> str:
        return f"bounce mailbox {self.user}@{self.host}:{self.port or ''}/{self.folder}"


@dataclass(frozen=True, slots=True)
class Fetched:
    uid: int
    received_at: datetime
    raw: bytes


class ImapReader:
    """One read of the mailbox: the messages after a UID, a page at a time."""

    def __init__(self, mailbox: BounceMailbox, connection_name: str) -> None:
        self.mailbox = mailbox
        self.connection_name = connection_name

    def _open(self) -> imaplib.IMAP4:
        box = self.mailbox
        context = ssl.create_default_context(cafile=box.ssl_ca_file or None)
        if box.security == "ssl":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                box.host, box.port or 993, ssl_context=context, timeout=box.timeout
            )
        else:
            client = imaplib.IMAP4(box.host, box.port or 143, timeout=box.timeout)
        try:
            if box.security == "starttls":
                client.starttls(ssl_context=context)
            try:
                client.login(box.user, box.password)
            except imaplib.IMAP4.error as exc:
                raise ReauthorizationRequired(
                    self.connection_name, f"{box.where} refused the login"
                ) from exc
            status, answer = client.select(_quoted(box.folder), readonly=True)
            if status != "OK":
                raise ConfigError(f"{box.where}: cannot open the folder ({_text(answer)})")
        except BaseException:
            client.shutdown()
            raise
        return client

    def count(self) -> int:
        """How many messages the folder holds (the connection test)."""
        return self._session(lambda client: int(_text(client.response("EXISTS")[1]) or 0))

    def read(self, after: tuple[int, int] | None) -> tuple[int, int, list[Fetched], bool]:
        """UIDVALIDITY, the UID read from (``after``'s, or 0 when the folder is new to the
        cursor), the messages after it in UID order (at most a page) and whether more remain."""
        return self._session(lambda client: self._read(client, after))

    def _session(self, work: Callable[[imaplib.IMAP4], T]) -> T:
        """``work`` on a logged-in, read-only session, with IMAP and network errors translated."""
        try:
            client = self._open()
            try:
                return work(client)
            finally:
                client.logout()
        except PontonError:
            raise
        except ssl.SSLCertVerificationError as exc:
            raise ConfigError(
                f"{self.mailbox.where}: certificate not trusted ({exc.verify_message}); set extra "
                "ssl_ca_file or fix the server's certificate"
            ) from exc
        except (OSError, imaplib.IMAP4.error) as exc:
            raise TransientError(
                f"{self.mailbox.where} unreachable or failing ({type(exc).__name__}: {exc}); "
                "will retry"
            ) from exc

    def _read(
        self, client: imaplib.IMAP4, after: tuple[int, int] | None
    ) -> tuple[int, int, list[Fetched], bool]:
        validity = int(_text(client.response("UIDVALIDITY")[1]) or 0)
        last = after[1] if after and after[0] == validity else 0
        status, answer = client.uid("SEARCH", f"UID {last + 1}:*")
        if status != "OK":
            raise TransientError(f"{self.mailbox.where}: UID SEARCH failed ({_text(answer)})")
        # "n:*" always holds the last message, even below n (RFC 3501 section 6.4.8).
        uids = sorted(u for u in map(int, b" ".join(a or b"" for a in answer).split()) if u > last)
        page = uids[: self.mailbox.page_size]
        return validity, last, self._fetch(client, page), len(uids) > len(page)

    def _fetch(self, client: imaplib.IMAP4, uids: Sequence[int]) -> list[Fetched]:
        if not uids:
            return []
        wanted = ",".join(map(str, uids))
        status, answer = client.uid(
            "FETCH", wanted, f"(UID INTERNALDATE BODY.PEEK[]<0.{MAX_MESSAGE_BYTES}>)"
        )
        if status != "OK":
            raise TransientError(f"{self.mailbox.where}: UID FETCH failed ({_text(answer)})")
        fetched = []
        for item in answer:
            if not isinstance(item, tuple):
                continue
            match = _FETCHED.search(item[0])
            if match is None:
                continue
            uid = int(match.group(1) or match.group(4))
            # RFC 3501 date-time "dd-Mon-yyyy hh:mm:ss +zzzz" read as RFC 5322 (no locale)
            moment = (match.group(2) or match.group(3)).decode().replace("-", " ", 2)
            at = parsedate_to_datetime(moment).astimezone(UTC)
            fetched.append(Fetched(uid, at, item[1]))
        return sorted(fetched, key=lambda f: f.uid)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(answer) -> str:
    items = answer if isinstance(answer, list) else [answer]
    return " ".join(i.decode(errors="replace") for i in items if isinstance(i, bytes))


def parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    validity, _, uid = (cursor or "").partition(":")
    return (int(validity), int(uid)) if validity.isdigit() and uid.isdigit() else None


class SmtpBounceBackend(SmtpBackend):
    """The SMTP relay, plus a ``StatusPull`` over the bounce mailbox."""

    def __init__(
        self, *, login: SmtpLogin | None = None, options: SmtpOptions, mailbox: BounceMailbox
    ) -> None:
        super().__init__(login=login, options=options)
        self.mailbox = mailbox
        self.reader = ImapReader(mailbox, options.connection_name)

    def fetch_events(self, cursor: str | None) -> EventPage:
        """One page of the mailbox after ``cursor`` (None: from the start of the folder)."""
        validity, last, messages, more = self.call(
            f"the {self.mailbox.where}", lambda: self.reader.read(parse_cursor(cursor))
        )
        events: list[StatusEvent] = []
        ignored = 0
        for message in messages:
            found = self.events_of(validity, message)
            ignored += not found
            events += found
        last = messages[-1].uid if messages else last
        return EventPage(events, f"{validity}:{last}", more=more, ignored=ignored)

    def events_of(self, validity: int, message: Fetched) -> list[StatusEvent]:
        """The status events one message of the mailbox reports; empty when it is no report.
        A message the parsers choke on is logged and skipped: left in the way, it would stop
        every later report from being read."""
        try:
            findings = read_report(message.raw)
        except Exception:  # noqa: BLE001 - any parser error on mail anyone can send us
            log.warning("%s: UID %s could not be read as a report", self.mailbox.where, message.uid)
            return []
        if not findings:
            return []
        own_id = _MESSAGE_ID.search(_HEADERS.parsebytes(message.raw).get("Message-ID") or "")
        origin = own_id.group(0) if own_id else f"imap:{validity}:{message.uid}"
        return [
            StatusEvent(
                provider=self.name,
                provider_event_id=f"{origin}:{f.recipient or ''}:{f.event}",
                kind=f.kind,
                occurred_at=(f.occurred_at or message.received_at).astimezone(UTC),
                notification_id=notification_id_from_reference(f.reference),
                provider_message_id=self._message_id(f.reference),
                event=f.event,
                details={"reason": f.reason} if f.reason else {},
                recipient=f.recipient,
                vouched=False,  # anyone can mail the envelope sender a report
            )
            for f in findings
        ]

    def check_access(self) -> str:
        relay = super().check_access()
        count = self.call(f"the {self.mailbox.where}", self.reader.count)
        return f"{relay}; {self.mailbox.where} readable, {count} message(s)"

    def _message_id(self, reference: str | None) -> str | None:
        """The Message-ID we sent with ``reference`` (what the receipt stored)."""
        return f"<ponton.{reference}@{self.sender.domain}>" if reference else None
