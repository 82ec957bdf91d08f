"""SMTP with a bounce mailbox: the relay (aiosmtpd, offering DSN) and the IMAP mailbox its reports
go to (pymap), both real servers on loopback. The whole mail-provider contract runs, status pull
included; then what only this backend does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ponton.errors import ConfigError, ReauthorizationRequired
from ponton.hooks.smtp_mail import SmtpMailHook
from ponton.mail.backends.smtp import SmtpBackend
from ponton.mail.message import Address
from ponton.mail.port import StatusPull
from tests.conftest import ROOT
from tests.contract.mail_provider import MailProviderContract, sample_mail
from tests.fakes.bounce_reports import RelayWithMailbox
from tests.fakes.loopback import unused_port

pytestmark = [pytest.mark.contract, pytest.mark.integration]


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
    peer.report(receipt.provider_message_id, at, "bruno@example.com")
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
    peer.report(receipt.provider_message_id, at)
    first = backend.fetch_events(None)
    assert backend.fetch_events(first.cursor).events == []
    peer.imap.recreate_folder()
    peer.report(receipt.provider_message_id, at + timedelta(minutes=5), status="5.2.2")
    again = backend.fetch_events(first.cursor)
    assert [e.details["reason"][:5] for e in again.events] == ["5.2.2"]
    assert again.cursor.split(":")[0] != first.cursor.split(":")[0]


def test_a_wrong_mailbox_password_asks_for_new_credentials(peer, monkeypatch):
    conn = peer.connection(bounce_imap_password="wrong")
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(conn))
    backend = SmtpMailHook().get_conn()
    with pytest.raises(ReauthorizationRequired, match="ponton_mail"):
        backend.fetch_events(None)


def test_the_connection_check_reads_the_mailbox_too(peer, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(peer.connection()))
    peer.imap.drop(b"From: someone@example.com\r\nSubject: hello\r\n\r\nhi\r\n", datetime.now(UTC))
    ok, message = SmtpMailHook().test_connection()
    assert ok and "answered NOOP" in message and "Bounces readable, 1 message(s)" in message


def test_a_mailbox_host_without_credentials_is_a_configuration_error(peer, monkeypatch):
    conn = peer.connection(bounce_imap_password="")
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(conn))
    with pytest.raises(ConfigError, match="bounce_imap_password"):
        SmtpMailHook().get_conn()


def test_a_report_without_a_usable_date_takes_the_time_the_mailbox_received_it(peer):
    backend = peer.backend()
    received = datetime(2026, 3, 7, 8, 45, 20, tzinfo=UTC)  # a day below 10: " 7-Mar-2026"
    peer.imap.drop((ROOT / "tests/fixtures/mail_reports/qmail_failed.eml").read_bytes(), received)
    (event,) = backend.fetch_events(None).events
    assert (event.kind, event.recipient, event.occurred_at) == (
        "bounced",
        "emma.blanc@example.com",
        received,
    )
    assert event.notification_id == 506


def test_a_message_the_parsers_choke_on_does_not_block_the_ones_after_it(peer, monkeypatch):
    from ponton.mail.backends import smtp_bounces

    backend = peer.backend()
    receipt = backend.send(sample_mail(backend.sender, nid=63))
    at = datetime.now(UTC).replace(microsecond=0)
    peer.imap.drop(b"From: MAILER-DAEMON@relay.example\r\nSubject: odd\r\n\r\nodd\r\n", at)
    peer.report(receipt.provider_message_id, at)
    real = smtp_bounces.read_report

    def choke(raw: bytes):
        if b"Subject: odd" in raw:
            raise UnicodeDecodeError("ascii", raw, 0, 1, "a detector's bug")
        return real(raw)

    monkeypatch.setattr(smtp_bounces, "read_report", choke)
    page = backend.fetch_events(None)
    assert ([e.notification_id for e in page.events], page.ignored) == ([63], 1)
