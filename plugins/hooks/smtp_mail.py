"""SMTP relay as the shared mail provider (``ponton_smtp``, or the smtp provider's ``smtp``).

The connection's fields mean what they mean for the smtp provider's ``SmtpHook``: implicit TLS
unless ``disable_ssl``, STARTTLS unless ``disable_tls``, login when the connection has a user;
plus ``ssl_ca_file`` for a relay signed by a private CA. The backend
(:mod:`ponton.mail.backends.smtp`) opens one session per attempt; we do not use
``send_email_smtp``, which builds an HTML-only message and repeats the whole send on any error.
"""

from __future__ import annotations

from typing import Any

from ponton.hooks.mail import MailHook, flag
from ponton.mail.backends.smtp import SmtpBackend, SmtpLogin, SmtpOptions


class SmtpMailHook(MailHook):
    conn_type = "ponton_smtp"
    hook_name = "SMTP relay (ponton mail)"

    def build_backend(self, common: dict[str, Any]) -> SmtpBackend:
        conn, extra = self.connection, self.extra
        login = SmtpLogin(conn.login, conn.password or "") if conn.login else None
        return SmtpBackend(
            login=login,
            options=SmtpOptions(
                host=conn.host or "localhost",
                port=int(conn.port) if conn.port else None,
                implicit_tls=not flag(extra.get("disable_ssl", False)),
                starttls=not flag(extra.get("disable_tls", False)),
                ssl_ca_file=extra.get("ssl_ca_file") or None,
                timeout=float(extra.get("timeout") or 30),
                **common,
            ),
        )
