"""SMTP relay over ``smtplib`` (implicit TLS, STARTTLS or plain, login when credentials are
given), the message ponton built, with our own Message-ID. One session serves a batch of sends
(a :class:`~ponton.mail.port.KeptSession`): a session the relay has closed is found at MAIL FROM,
before anything of the message has left, and replaced; the dispatcher closes it when the batch is
over.

A relay's ``250`` after DATA is all SMTP tells at send time: status ``sent``, no lookup. What
happens next comes back as mail to the envelope sender; a relay that offers the DSN extension
(RFC 3461) is asked for failure and delay reports with the headers only (``RET=HDRS``), our
reference as envelope id and each recipient's address as given, and
:mod:`ponton.mail.backends.smtp_bounces` reads them. An attempt that died after DATA may or may
not have been accepted (``OutcomeUnknown``), so the dispatcher flags it for review rather than
sending twice.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ponton.errors import (
    ConfigError,
    InvalidInputError,
    MessageDeferred,
    OutcomeUnknown,
    PontonError,
    ReauthorizationRequired,
    TransientError,
)
from ponton.mail.backends.base import BaseMailBackend, MailOptions
from ponton.mail.message import OutgoingMail
from ponton.mail.port import Receipt


def xtext(value: str) -> str:
    """RFC 3461 section 4: ``+``, ``=`` and characters outside ``!``..``~`` as ``+XX``."""
    return "".join(c if "!" <= c <= "~" and c not in "+=" else f"+{ord(c):02X}" for c in value)


def dsn_mail_options(reference: str) -> tuple[str, ...]:
    """MAIL FROM parameters (RFC 3461 section 4.3/4.4): reports carry our reference and only the
    headers of the message."""
    return ("RET=HDRS", f"ENVID={xtext(reference)}")


def dsn_rcpt_options(address: str) -> tuple[str, ...]:
    """RCPT TO parameters (RFC 3461 section 4.1/4.2): report failures and delays (not
    successes), naming the address as we gave it."""
    return ("NOTIFY=FAILURE,DELAY", f"ORCPT=rfc822;{xtext(address)}")


@dataclass(frozen=True)
class SmtpLogin:
    user: str
    password: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class SmtpOptions(MailOptions):
    host: str
    port: int | None = None  # None: 465 with implicit TLS, else 25
    implicit_tls: bool = True  # SMTPS (465); the smtp provider's ``disable_ssl`` turns it off
    starttls: bool = True  # STARTTLS after connecting; ``disable_tls`` turns it off
    ssl_ca_file: str | None = None  # only for a relay signed by a private CA
    timeout: float = 30
    # MAIL FROM, where reports go (the bounce mailbox); None: the From address
    envelope_sender: str | None = None


class SmtpBackend(BaseMailBackend):
    name = "smtp"
    max_recipients = 100
    recipients_limit_source = "RFC 5321 section 4.5.3.1.8: the recipients every relay must take"
    vendor_errors = (OSError, smtplib.SMTPException)

    def __init__(self, *, login: SmtpLogin | None = None, options: SmtpOptions) -> None:
        super().__init__(options=options)
        self.options: SmtpOptions = options
        self.login = login
        self._session: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"SMTP relay {self.options.host}:{self.options.port or ''}"

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.options.ssl_ca_file or None)

    def _open(self) -> smtplib.SMTP:
        """A logged-in session, as the smtp provider's ``SmtpHook`` opens it."""
        options = self.options
        if options.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                options.host, options.port or 0, timeout=options.timeout, context=self._context()
            )
        else:
            client = smtplib.SMTP(options.host, options.port or 0, timeout=options.timeout)
        try:
            if options.starttls:
                client.starttls(context=self._context())
                client.ehlo()
            if self.login and self.login.user and self.login.password:
                client.login(self.login.user, self.login.password)
            client.ehlo_or_helo_if_needed()
        except BaseException:
            client.close()
            raise
        return client

    @staticmethod
    def _close(client: smtplib.SMTP) -> None:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()

    # -- vendor steps of the send ------------------------------------------------------------

    def build_payload(self, message: OutgoingMail) -> bytes:
        return message.to_mime().as_bytes()

    def _mail_from(self, sender: str, reference: str) -> smtplib.SMTP:
        """MAIL FROM on the kept session, or on a new one when the relay has closed it. Nothing
        of the message has left before this command is answered, so a closed session is simply
        replaced; errors while opening a new one are ``translate_error``'s."""
        for fresh in (self._session is None, True):
            if fresh:
                self._drop()
                self._session = self._open()
            try:
                dsn = self._session.has_extn("dsn")
                code, reply = self._session.mail(sender, dsn_mail_options(reference) if dsn else ())
            except OSError:  # smtplib's errors are OSErrors: the session is gone
                if fresh:
                    raise
                continue
            if code != 250:
                self._session.rset()
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            return self._session
        raise AssertionError("unreachable: the fresh session answers or raises")

    def close(self) -> None:
        if self._session is not None:
            self._close(self._session)
            self._session = None

    def _drop(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def deliver(self, payload: bytes, message: OutgoingMail) -> dict[str, tuple[int, bytes]]:
        """One SMTP transaction on the kept session, as ``smtplib.sendmail`` runs it: the
        envelope holds every recipient, Bcc included (the message has no Bcc header). Returns
        the recipients the relay refused while it took the message for the others. A refused
        transaction is reset and the session serves the next send; a broken one is dropped."""
        try:
            client = self._mail_from(
                self.options.envelope_sender or message.sender.email, message.reference
            )
        except smtplib.SMTPSenderRefused as exc:
            raise self._refusal(exc, message) from exc
        envelope = [a.email for a in message.recipients]
        dsn = client.has_extn("dsn")
        try:
            refused = {}
            for address in envelope:
                code, reply = client.rcpt(address, dsn_rcpt_options(address) if dsn else ())
                if code == 421:  # the relay is closing the session (RFC 5321 section 3.8)
                    raise smtplib.SMTPServerDisconnected(f"{code} {reply.decode(errors='replace')}")
                if code not in (250, 251):
                    refused[address] = (code, reply)
            waiting = {a: r for a, r in refused.items() if 400 <= r[0] < 500}
            if waiting and message.deferrable:
                client.rset()
                raise self._deferred(waiting)
            if len(refused) == len(envelope):
                client.rset()
                raise smtplib.SMTPRecipientsRefused(refused)
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            raise TransientError(
                f"{self.where} closed the session before DATA ({exc}); not sent"
            ) from exc
        except smtplib.SMTPException as exc:  # a reply refused MAIL or RCPT: not accepted
            raise self._refusal(exc, message) from exc
        except OSError as exc:
            self._drop()
            raise TransientError(f"{self.where} failed before DATA ({exc}); not sent") from exc
        try:
            code, reply = client.data(payload)
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            raise self._unknown(exc) from exc
        except OSError as exc:  # timeout, reset: the reply to DATA may be what got lost
            self._drop()
            raise self._unknown(exc) from exc
        if code != 250:
            client.rset()
            raise self._refusal(smtplib.SMTPDataError(code, reply), message)
        return refused

    def receipt(self, answer: dict[str, tuple[int, bytes]], message: OutgoingMail) -> Receipt:
        refused = {
            address: f"{code} {reply.decode(errors='replace')}"
            for address, (code, reply) in (answer or {}).items()
        }
        return Receipt(message.message_id, datetime.now(UTC), status="sent", refused=refused)

    def translate_error(self, exc: BaseException, what: str, *, sending: bool) -> PontonError:
        """An error while opening the session: nothing was sent."""
        where = self.where
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return ReauthorizationRequired(
                self.options.connection_name, f"{where} refused the login"
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            return ConfigError(
                f"{where}: certificate not trusted ({exc.verify_message}); fix the relay's "
                "certificate or set extra ssl_ca_file"
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError | ssl.SSLError):
            return ConfigError(
                f"{where}: TLS or AUTH mismatch ({exc}); check disable_ssl (465 is implicit TLS) "
                "and disable_tls (587 is STARTTLS)"
            )
        if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500:
            return ConfigError(f"{where} refused the session: {exc.smtp_code} {exc.smtp_error!r}")
        return TransientError(f"{where} unreachable ({type(exc).__name__}: {exc}); will retry")

    def _refusal(self, exc: smtplib.SMTPException, message: OutgoingMail) -> PontonError:
        """The relay answered a command of the transaction with an error: not accepted."""
        whom = ", ".join(a.email for a in message.recipients)
        if isinstance(exc, smtplib.SMTPRecipientsRefused):  # every recipient: nothing was sent
            code, reply = next(iter(exc.recipients.values()))
            whom = ", ".join(exc.recipients)
        elif isinstance(exc, smtplib.SMTPResponseException):
            code, reply = exc.smtp_code, exc.smtp_error
        else:
            code, reply = 0, str(exc).encode()
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        if isinstance(exc, smtplib.SMTPRecipientsRefused) and 400 <= code < 500:
            return InvalidInputError(
                f"{self.where} still deferred {whom} on the last attempt: {code} {text}; not sent"
            )
        if 400 <= code < 500:
            return TransientError(f"{self.where} deferred {whom}: {code} {text}")
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return ConfigError(f"{self.where} refused sender {exc.sender}: {text}")
        return InvalidInputError(f"{self.where} refused {whom}: {code} {text}")

    def _deferred(self, waiting: dict[str, tuple[int, bytes]]) -> MessageDeferred:
        """A 4xx to a recipient (greylisting, a full mailbox; RFC 5321 section 4.2.1: try again
        later): the transaction was reset before DATA, so nobody got the message."""
        replies = "; ".join(
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in waiting.items()
        )
        return MessageDeferred(f"{self.where} deferred {replies}; nothing was sent")

    def _unknown(self, exc: BaseException) -> OutcomeUnknown:
        return OutcomeUnknown(
            f"{self.where} dropped the connection during the transaction "
            f"({type(exc).__name__}); the message may have been accepted"
        )

    def check_access(self) -> str:
        def noop() -> int:
            client = self._open()
            try:
                return client.noop()[0]
            finally:
                self._close(client)

        code = self.call("the NOOP check", noop)
        if code != 250:
            raise TransientError(f"{self.where} answered NOOP with {code}")
        return f"{self.where} answered NOOP with {code}; sender {self.sender.email}"
