"""SMTP relay as the shared mail provider (``ponton_smtp``, or the smtp provider's ``smtp``).

The connection's fields mean what they mean for the smtp provider's ``SmtpHook``: implicit TLS
unless ``disable_ssl``, STARTTLS unless ``disable_tls``, login when the connection has a user;
plus ``ssl_ca_file`` for a relay signed by a private CA. The backend
(:mod:`ponton.mail.backends.smtp`) opens one session per attempt; we do not use
``send_email_smtp``, which builds an HTML-only message and repeats the whole send on any error.

``bounce_address`` is the envelope sender (where reports go); with ``bounce_imap_host`` (and its
user and password), the backend also reads that mailbox (:mod:`ponton.mail.backends.smtp_bounces`);
without it, it offers no status pull at all.
"""

from __future__ import annotations

from typing import Any

from ponton.errors import ConfigError
from ponton.hooks.mail import MailHook, flag
from ponton.mail.backends.smtp import SmtpBackend, SmtpLogin, SmtpOptions
from ponton.mail.backends.smtp_bounces import BounceMailbox, SmtpBounceBackend
from ponton.mail.message import Address


class SmtpMailHook(MailHook):
    conn_type = "ponton_smtp"
    hook_name = "SMTP relay (ponton mail)"

    def build_backend(self, common: dict[str, Any]) -> SmtpBackend:
        conn, extra = self.connection, self.extra
        login = SmtpLogin(conn.login, conn.password or "") if conn.login else None
        options = SmtpOptions(
            host=conn.host or "localhost",
            port=int(conn.port) if conn.port else None,
            implicit_tls=not flag(extra.get("disable_ssl", False)),
            starttls=not flag(extra.get("disable_tls", False)),
            ssl_ca_file=extra.get("ssl_ca_file") or None,
            timeout=float(extra.get("timeout") or 30),
            envelope_sender=self.envelope_sender(),
            **common,
        )
        mailbox = self.bounce_mailbox(options)
        if mailbox is None:
            return SmtpBackend(login=login, options=options)
        return SmtpBounceBackend(login=login, options=options, mailbox=mailbox)

    def envelope_sender(self) -> str | None:
        """``bounce_address``: where the relay's reports go, instead of the From address."""
        address = (self.extra.get("bounce_address") or "").strip()
        return Address.parse(address, role="bounce_address").email if address else None

    def bounce_mailbox(self, options: SmtpOptions) -> BounceMailbox | None:
        extra = self.extra
        host = (extra.get("bounce_imap_host") or "").strip()
        if not host:
            return None
        user, password = extra.get("bounce_imap_user"), extra.get("bounce_imap_password")
        if not user or not password:
            raise ConfigError(
                f"connection {self.mail_conn_id!r}: bounce_imap_host is set, so "
                "bounce_imap_user and bounce_imap_password are needed too"
            )
        port = extra.get("bounce_imap_port")
        return BounceMailbox(
            host=host,
            user=user,
            password=password,
            port=int(port) if port else None,
            folder=extra.get("bounce_imap_folder") or "INBOX",
            security=(extra.get("bounce_imap_security") or "ssl").strip().lower(),
            ssl_ca_file=options.ssl_ca_file,
            timeout=options.timeout,
        )
