"""SMTP relay: one session per attempt over ``smtplib`` (implicit TLS, STARTTLS or plain, login
when credentials are given), the message ponton built, with our own Message-ID.

A relay's ``250`` after DATA is all SMTP tells: status ``sent``, no lookup, no events. An attempt
that died after DATA may or may not have been accepted (``OutcomeUnknown``), so the dispatcher
flags it for review rather than sending twice.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ponton.errors import (
    ConfigError,
    InvalidInputError,
    OutcomeUnknown,
    PontonError,
    ReauthorizationRequired,
    TransientError,
)
from ponton.mail.backends.base import BaseMailBackend, MailOptions
from ponton.mail.message import OutgoingMail
from ponton.mail.port import Receipt


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


class SmtpBackend(BaseMailBackend):
    name = "smtp"
    max_recipients = 100
    recipients_limit_source = "RFC 5321 section 4.5.3.1.8: the recipients every relay must take"
    vendor_errors = (OSError, smtplib.SMTPException)

    def __init__(self, *, login: SmtpLogin | None = None, options: SmtpOptions) -> None:
        super().__init__(options=options)
        self.options: SmtpOptions = options
        self.login = login

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

    def deliver(self, payload: bytes, message: OutgoingMail) -> dict[str, tuple[int, bytes]]:
        """The envelope holds every recipient, Bcc included (the message has no Bcc header).
        Returns the recipients the relay refused while it took the message for the others."""
        client = self._open()  # errors here: nothing was sent (translate_error)
        try:
            envelope = [a.email for a in message.recipients]
            return client.sendmail(message.sender.email, envelope, payload)
        except smtplib.SMTPServerDisconnected as exc:
            raise self._unknown(exc) from exc
        except smtplib.SMTPException as exc:  # a reply refused MAIL, RCPT or DATA: not accepted
            raise self._refusal(exc, message) from exc
        except OSError as exc:  # timeout, reset: the reply to DATA may be what got lost
            raise self._unknown(exc) from exc
        finally:
            self._close(client)

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
        if 400 <= code < 500:
            return TransientError(f"{self.where} deferred {whom}: {code} {text}")
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return ConfigError(f"{self.where} refused sender {message.sender.email}: {text}")
        return InvalidInputError(f"{self.where} refused {whom}: {code} {text}")

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
