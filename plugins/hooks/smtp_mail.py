"""SMTP as the shared mail provider, through the smtp provider's ``SmtpHook``.

``SmtpHook`` opens the session (implicit TLS unless ``disable_ssl``, STARTTLS unless
``disable_tls``, login when the connection has a user) and we hand it the message ponton built,
with our own Message-ID. We do not use ``send_email_smtp``: it builds an HTML-only message and
repeats the whole send on any error, which can deliver twice.

A relay's ``250`` after DATA is all SMTP tells: status ``sent``, no lookup, no events. An attempt
that died after DATA may or may not have been accepted, so the dispatcher flags it for review.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cached_property

from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.sdk.exceptions import AirflowException, AirflowNotFoundException

from ponton.errors import (
    ConfigError,
    InvalidInputError,
    OutcomeUnknown,
    PontonError,
    ReauthorizationRequired,
    TransientError,
)
from ponton.hooks.mail import retry_policy, sender_from_extra
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.mail.message import Address, OutgoingMail
from ponton.mail.port import Capability, EventPage, Receipt
from ponton.mail.status import StatusEvent


class SmtpMailHook(MaskedConnectionMixin, SmtpHook):
    """A :class:`~ponton.mail.port.MailProvider` over an SMTP relay (``ponton_smtp``/``smtp``)."""

    # The keyword of this class's constructor (SmtpHook's is smtp_conn_id): Airflow's connection
    # test and `ponton doctor` build hooks as cls(**{cls.conn_name_attr: conn_id}).
    conn_name_attr = "mail_conn_id"
    default_conn_name = "ponton_mail"
    conn_type = "ponton_smtp"
    hook_name = "SMTP relay (ponton mail)"

    name = "smtp"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, *, mail_conn_id: str = default_conn_name) -> None:
        super().__init__(smtp_conn_id=mail_conn_id)

    @cached_property
    def connection(self):
        try:
            conn = self.get_connection(self.smtp_conn_id)
        except AirflowNotFoundException as exc:
            raise ConfigError(f"SMTP connection {self.smtp_conn_id!r} does not exist") from exc
        self.smtp_connection = conn
        return conn

    @cached_property
    def sender(self) -> Address:
        return sender_from_extra(self.smtp_conn_id, self.connection.extra_dejson)

    def _build_ssl_context(self) -> ssl.SSLContext | None:
        """As ``SmtpHook``, plus ``ssl_ca_file`` for relays signed by a private CA."""
        ca_file = self.connection.extra_dejson.get("ssl_ca_file")
        if ca_file:
            return ssl.create_default_context(cafile=ca_file)
        return super()._build_ssl_context()

    # -- errors, translated once ---------------------------------------------------------------

    def _where(self) -> str:
        return f"SMTP relay {self.connection.host}:{self.connection.port or ''}"

    def _session_error(self, exc: BaseException) -> PontonError:
        """An error while opening the session: nothing was sent."""
        where = self._where()
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return ReauthorizationRequired(self.smtp_conn_id, f"{where} refused the login")
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
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            code, reply = next(iter(exc.recipients.values()))
        elif isinstance(exc, smtplib.SMTPResponseException):
            code, reply = exc.smtp_code, exc.smtp_error
        else:
            code, reply = 0, str(exc).encode()
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        if 400 <= code < 500:
            return TransientError(f"{self._where()} deferred {message.to.email}: {code} {text}")
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return ConfigError(f"{self._where()} refused sender {message.sender.email}: {text}")
        return InvalidInputError(f"{self._where()} refused {message.to.email}: {code} {text}")

    def _unknown(self, exc: BaseException) -> OutcomeUnknown:
        return OutcomeUnknown(
            f"{self._where()} dropped the connection during the transaction "
            f"({type(exc).__name__}); the message may have been accepted"
        )

    # -- MailProvider -----------------------------------------------------------------------

    def send(self, message: OutgoingMail) -> Receipt:
        """One session per attempt; a new attempt only for what the relay did not take."""
        payload = message.to_mime().as_bytes()
        for attempt in retry_policy(self.connection.extra_dejson).retrying():
            with attempt:
                return self._send_once(message, payload)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _send_once(self, message: OutgoingMail, payload: bytes) -> Receipt:
        try:
            self.get_conn()
        except (OSError, smtplib.SMTPException, AirflowException) as exc:
            self._close()
            raise self._session_error(exc) from exc
        try:
            self._smtp_client.sendmail(message.sender.email, [message.to.email], payload)
        except smtplib.SMTPServerDisconnected as exc:
            raise self._unknown(exc) from exc
        except smtplib.SMTPException as exc:  # a reply refused MAIL, RCPT or DATA: not accepted
            raise self._refusal(exc, message) from exc
        except OSError as exc:  # timeout, reset: the reply to DATA may be what got lost
            raise self._unknown(exc) from exc
        finally:
            self._close()
        return Receipt(message.message_id, datetime.now(UTC), status="sent")

    def _close(self) -> None:
        client, self._smtp_client = self._smtp_client, None
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def find(self, reference: str) -> Receipt | None:
        raise ConfigError("an SMTP relay cannot say whether it accepted a message")

    def fetch_events(self, cursor: str | None) -> EventPage:
        raise ConfigError("an SMTP relay reports no delivery status; use SendGrid or Postmark")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[StatusEvent]:
        raise ConfigError("an SMTP relay sends no webhooks")

    def test_connection(self) -> tuple[bool, str]:
        try:
            self.sender  # noqa: B018 - validates from_email
            self.get_conn()
            code, _ = self._smtp_client.noop()
        except PontonError as exc:
            return False, str(exc)
        except (OSError, smtplib.SMTPException, AirflowException) as exc:
            return False, str(self._session_error(exc))
        finally:
            self._close()
        return code == 250, f"{self._where()} answered NOOP with {code}; sender {self.sender.email}"
