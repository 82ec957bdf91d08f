"""A real SMTP server on loopback (aiosmtpd) that records what it accepts and can be scripted to
refuse a recipient (5xx/4xx on RCPT) or to drop the connection right after taking a message.

TLS modes: ``plain``, ``starttls`` (required before AUTH) and ``implicit`` (SMTPS), with a
certificate from a throw-away ``trustme`` CA whose bundle the client is given as ``ssl_ca_file``.
With ``dsn=True`` it offers the DSN extension of RFC 3461 and records the parameters.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from ponton.mail.message import Address
from ponton.retry import RetryPolicy
from tests.fakes.loopback import unused_port

USER, PASSWORD = "relay-user", "relay-pass"
SENDER = Address("planning@ponton.example", "Planning ponton")


def fast_retry() -> RetryPolicy:
    """The backends' policy with waits short enough for the suite (the policy has its own tests)."""
    return RetryPolicy(attempts=3, max_seconds=0.05)


class RecordingHandler:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refusals: list[str] = []  # replies to the next RCPT commands
        self.mail_refusals: list[str] = []  # replies to the next MAIL commands
        self.refused_addresses: dict[str, str] = {}  # address -> reply to its RCPT, each time
        self.drop_after_data = False
        self.hang_up_after_data = False  # close the session once the 250 is on its way
        self.sessions: list[tuple] = []  # the client (host, port) of each message's session
        self.dsn = False  # advertise DSN (RFC 3461 section 4: the EHLO keyword "DSN")
        # Per message taken: the DSN parameters of its MAIL and RCPT commands, in order.
        self.dsn_params: list[list[str]] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.dsn:
            responses.insert(-1, "250-DSN")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # RFC 5321 section 4.2.3: 421/451 to MAIL is the relay's own trouble, not a recipient's
        if self.mail_refusals:
            return self.mail_refusals.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refused_addresses.get(address) or (self.refusals and self.refusals.pop(0))
        if reply:
            if reply.startswith("421"):
                # RFC 5321 section 3.8: a server that answers 421 closes the channel
                asyncio.get_running_loop().call_soon(server.transport.close)
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.dsn_params.append(getattr(envelope, "dsn_params", []))
        self.sessions.append(session.peer)
        if self.hang_up_after_data:
            # A relay ending an idle or used-up session (RFC 5321 section 4.5.3.2: servers
            # time sessions out): the reply goes out, then the connection closes.
            asyncio.get_running_loop().call_soon(server.transport.close)
        if self.drop_after_data:
            # The message is taken, but the client never hears the 250.
            server.transport.close()
        return "250 2.0.0 Message accepted for delivery"


# RFC 3461 section 4.1-4.4: NOTIFY and ORCPT on RCPT, RET and ENVID on MAIL. aiosmtpd refuses
# every parameter it does not know (555), so the server takes these out of the command, verbatim
# (aiosmtpd upper-cases what it keeps, and ENVID and ORCPT are case-sensitive), then runs it.
_DSN_PARAM = re.compile(r"\s+(?:NOTIFY|ORCPT|RET|ENVID)=\S+", re.IGNORECASE)


class DsnSMTP(SMTP):
    async def smtp_MAIL(self, arg):
        return await super().smtp_MAIL(self._take_dsn("MAIL", arg))

    async def smtp_RCPT(self, arg):
        return await super().smtp_RCPT(self._take_dsn("RCPT", arg))

    def _take_dsn(self, command: str, arg: str | None) -> str | None:
        if not arg or not self.event_handler.dsn:
            return arg
        found = " ".join(m.group(0).strip() for m in _DSN_PARAM.finditer(arg))
        if found and self.envelope is not None:
            vars(self.envelope).setdefault("dsn_params", []).append(f"{command} {found}")
        return _DSN_PARAM.sub("", arg)


class DsnController(Controller):
    def factory(self):
        return DsnSMTP(self.handler, **self.SMTP_kwargs)


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


class SmtpPeer:
    def __init__(
        self, tmp: Path, mode: str = "starttls", auth: bool = True, dsn: bool = False
    ) -> None:
        self.mode = mode
        self.auth = auth
        self.handler = RecordingHandler()
        self.handler.dsn = dsn
        self.port = unused_port()
        self.ca = ca = trustme.CA()
        cert = ca.issue_cert("localhost", "127.0.0.1")
        self.ca_file = tmp / "smtp-ca.pem"
        ca.cert_pem.write_to_path(self.ca_file)
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(server_context)
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port}
        if mode == "starttls":
            kwargs |= {"tls_context": server_context, "require_starttls": True}
        elif mode == "implicit":
            kwargs |= {"ssl_context": server_context}
        if auth:
            kwargs |= {"authenticator": _authenticator, "auth_required": True}
            # aiosmtpd only counts STARTTLS as TLS; under implicit TLS the whole session is TLS.
            kwargs["auth_require_tls"] = mode == "starttls"
        self.controller = DsnController(self.handler, decode_data=False, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def connection(self, **extra: Any) -> dict[str, Any]:
        """An Airflow connection (as JSON for ``AIRFLOW_CONN_*``) that reaches this server."""
        fields = {
            "from_email": "planning@ponton.example",
            "from_name": "Planning ponton",
            "disable_ssl": self.mode != "implicit",
            "disable_tls": self.mode != "starttls",
            "ssl_ca_file": str(self.ca_file),
            "retry_limit": 0,
            "timeout": 5,
            "retry_max_seconds": 0.05,  # keep the suite fast; the policy has its own tests
        } | extra
        conn: dict[str, Any] = {
            "conn_type": "ponton_smtp",
            "host": "localhost",
            "port": self.port,
            "extra": fields,
        }
        if self.auth:
            conn |= {"login": USER, "password": PASSWORD}
        return conn

    def backend(self, *, port: int | None = None, **changes: Any):
        """The backend built directly on this server, without an Airflow connection."""
        from ponton.mail.backends.smtp import SmtpBackend, SmtpLogin, SmtpOptions

        options = {
            "sender": SENDER,
            "retry": fast_retry(),
            "host": "localhost",
            "port": port or self.port,
            "implicit_tls": self.mode == "implicit",
            "starttls": self.mode == "starttls",
            "ssl_ca_file": str(self.ca_file),
            "timeout": 5,
        } | changes
        login = SmtpLogin(USER, changes.pop("password", PASSWORD)) if self.auth else None
        options.pop("password", None)
        return SmtpBackend(login=login, options=SmtpOptions(**options))

    def refuse_next(self, permanent: bool, times: int = 1) -> None:
        """Permanent: the next RCPT commands get 550 (no such user). Temporary: the next MAIL
        commands get 451, the relay's own trouble (RFC 5321 section 4.2.3), as a relay out of
        resources or over a rate answers."""
        if permanent:
            self.handler.refusals.extend(["550 5.1.1 No such user here"] * times)
        else:
            self.handler.mail_refusals.extend(["451 4.3.2 Try again later"] * times)

    def refuse_address(self, address: str, reply: str = "550 5.1.1 No such user here") -> None:
        """Every RCPT TO for ``address`` gets ``reply`` (a relay's per-recipient refusal, RFC
        5321 section 3.3: the transaction goes on for the other recipients)."""
        self.handler.refused_addresses[address] = reply

    def seen(self) -> list[dict[str, Any]]:
        out = []
        for raw in self.handler.messages:
            msg = message_from_bytes(raw, policy=policy.default)
            text = msg.get_body(("plain",))
            html = msg.get_body(("html",))
            to = msg["To"].addresses[0]
            _, envelope = self.handler.envelopes[len(out)]
            out.append(
                {
                    "to": to.addr_spec,
                    "to_name": to.display_name,
                    "to_all": [a.addr_spec for a in msg["To"].addresses],
                    "cc": [a.addr_spec for a in msg["Cc"].addresses] if msg["Cc"] else [],
                    "recipients": envelope,
                    "reply_to": msg["Reply-To"].addresses[0].addr_spec if msg["Reply-To"] else None,
                    "bcc_header": msg["Bcc"],
                    "subject": str(msg["Subject"]),
                    "text": text.get_content() if text else None,
                    "html": html.get_content() if html else None,
                    "reference": msg["X-Ponton-Ref"],
                    "message_id": msg["Message-ID"],
                    "attachments": [
                        (a.get_filename(), a.get_content_type(), a.get_content())
                        for a in msg.iter_attachments()
                    ],
                    "raw": raw,
                }
            )
        return out
