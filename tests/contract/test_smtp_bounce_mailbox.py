"""SMTP with a bounce mailbox: the relay (aiosmtpd, offering DSN) and the IMAP mailbox its reports
go to (pymap), both real servers on loopback. The whole mail-provider contract runs, status pull
included; then what only this backend does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ponton.errors import ReauthorizationRequired
from ponton.hooks.smtp_mail import SmtpMailHook
from ponton.mail.backends.smtp import SmtpBackend
from ponton.mail.backends.smtp_bounces import SmtpBounceBackend
from ponton.mail.message import Address
from ponton.mail.port import StatusPull
from tests.contract.mail_provider import MailProviderContract, sample_mail
from tests.fakes.bounce_reports import dsn
from tests.fakes.imap_server import ImapPeer
from tests.fakes.loopback import unused_port
from tests.fakes.smtp_server import SmtpPeer

pytestmark = [pytest.mark.contract, pytest.mark.integration]


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
        return self.relay.connection(**(self.imap.extra() | extra))

    def backend(self, *, page_size: int = 200, **changes) -> SmtpBounceBackend:
        plain = self.relay.backend(**changes)
        mailbox = self.imap.mailbox(page_size=page_size)
        return SmtpBounceBackend(login=plain.login, options=plain.options, mailbox=mailbox)

    def sent(self, message_id: str) -> tuple[dict, list[str]]:
        """What the relay took for ``message_id`` and the DSN parameters it was given."""
        for index, seen in enumerate(self.relay.seen()):
            if seen["message_id"] == message_id:
                return seen, self.relay.handler.dsn_params[index]
        raise AssertionError(f"the relay never took {message_id}")

    def report(self, receipt, at: datetime, recipient: str | None = None, **fields) -> None:
        """The relay's report on the message for ``recipient`` (each one when None), dropped in
        the mailbox, with the ENVID the message was sent with."""
        seen, params = self.sent(receipt.provider_message_id)
        envid = next((p.split("ENVID=")[1].split()[0] for p in params if "ENVID=" in p), None)
        for address in [recipient] if recipient else seen["recipients"]:
            self.imap.drop(dsn(seen["raw"], address, at, envid=envid, **fields), at)

    def deliver(self, receipt, at: datetime, recipient: str | None = None) -> None:
        """A success report (Action: delivered, RFC 3464 section 2.3.3): what a relay sends when
        success was asked for (NOTIFY=SUCCESS, RFC 3461 section 4.1). ponton asks only for
        failures and delays; the reader takes every Action the same way."""
        self.report(
            receipt, at, recipient, action="delivered", status="2.0.0", diagnostic="smtp; 250 ok"
        )


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    server = RelayWithMailbox(tmp_path_factory.mktemp("bounces"))
    yield server
    server.stop()


@pytest.fixture
def peer(shared):
    """One pair of servers for the module (pymap takes a moment to start), reset for each test."""
    shared.reset()
    return shared


@pytest.fixture
def provider(peer):
    return peer.backend()


@pytest.fixture
def paged(peer):
    return peer.backend(page_size=2)


@pytest.fixture
def hooked(peer, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(peer.connection()))
    return SmtpMailHook().get_conn()


@pytest.fixture
def unreachable(peer):
    return peer.backend(port=unused_port())


class TestSmtpRelayWithBounceMailbox(MailProviderContract):
    pass


def test_without_a_mailbox_the_backend_offers_no_status_pull(peer, monkeypatch):
    conn = peer.relay.connection()
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(conn))
    backend = SmtpMailHook().get_conn()
    assert type(backend) is SmtpBackend
    assert not isinstance(backend, StatusPull)


def test_the_relay_is_asked_for_reports_that_carry_our_reference(peer):
    backend = peer.backend()
    sent = sample_mail(backend.sender, to=(Address("ana+planning@example.com"),))
    backend.send(sent)
    [params] = peer.relay.handler.dsn_params
    assert params == [
        f"MAIL RET=HDRS ENVID={sent.reference}",
        "RCPT NOTIFY=FAILURE,DELAY ORCPT=rfc822;ana+2Bplanning@example.com",
    ]


def test_a_relay_without_dsn_gets_plain_commands(peer):
    peer.relay.handler.dsn = False
    backend = peer.backend()
    backend.send(sample_mail(backend.sender))
    assert peer.relay.handler.dsn_params == [[]]
    assert len(peer.seen()) == 1


def test_a_bounce_for_one_recipient_names_it_with_the_reason(peer):
    backend = peer.backend()
    two = (Address("ana@example.com"), Address("bruno@example.com"))
    receipt = backend.send(sample_mail(backend.sender, nid=61, to=two))
    at = datetime.now(UTC).replace(microsecond=0)
    peer.report(receipt, at, "bruno@example.com")
    (event,) = backend.fetch_events(None).events
    assert (event.kind, event.recipient, event.notification_id) == (
        "bounced",
        "bruno@example.com",
        61,
    )
    assert event.provider_message_id == receipt.provider_message_id
    assert event.details["reason"] == "5.1.1 smtp; 550 5.1.1 User unknown"
    assert event.occurred_at == at


def test_mail_that_is_no_report_is_counted_as_ignored(peer):
    backend = peer.backend()
    peer.imap.drop(b"From: someone@example.com\r\nSubject: hello\r\n\r\nhi\r\n", datetime.now(UTC))
    page = backend.fetch_events(None)
    assert (page.events, page.ignored, page.more) == ([], 1, False)


def test_a_recreated_folder_is_read_again_from_its_start(peer):
    backend = peer.backend()
    receipt = backend.send(sample_mail(backend.sender, nid=62))
    at = datetime.now(UTC).replace(microsecond=0)
    peer.report(receipt, at)
    first = backend.fetch_events(None)
    assert backend.fetch_events(first.cursor).events == []
    peer.imap.recreate_folder()
    peer.report(receipt, at + timedelta(minutes=5), status="5.2.2")
    again = backend.fetch_events(first.cursor)
    assert [e.details["reason"][:5] for e in again.events] == ["5.2.2"]
    assert again.cursor.split(":")[0] != first.cursor.split(":")[0]


def test_a_wrong_mailbox_password_asks_for_new_credentials(peer, monkeypatch):
    conn = peer.connection(bounce_imap_password="wrong")
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(conn))
    backend = SmtpMailHook().get_conn()
    with pytest.raises(ReauthorizationRequired, match="ponton_mail"):
        backend.fetch_events(None)
