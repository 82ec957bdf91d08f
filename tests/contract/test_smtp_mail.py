"""SMTP through the smtp provider's SmtpHook, against a real aiosmtpd server on loopback: plain,
STARTTLS and implicit TLS with a trustme certificate, with and without authentication."""

import json
from dataclasses import replace

import pytest

from ponton.errors import ConfigError, MessageDeferred, OutcomeUnknown, ReauthorizationRequired
from ponton.hooks.smtp_mail import SmtpMailHook
from ponton.mail.message import Address
from tests.contract.mail_provider import MailProviderContract, sample_mail
from tests.fakes.loopback import unused_port
from tests.fakes.smtp_server import SmtpPeer

pytestmark = [pytest.mark.contract, pytest.mark.integration]

MODES = {
    "starttls+auth": ("starttls", True),
    "implicit+auth": ("implicit", True),
    "plain": ("plain", False),
}


def use_connection(monkeypatch, conn: dict, conn_id: str = "ponton_mail") -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))


@pytest.fixture(params=sorted(MODES))
def peer(request, tmp_path):
    mode, auth = MODES[request.param]
    server = SmtpPeer(tmp_path, mode=mode, auth=auth)
    yield server
    server.stop()


@pytest.fixture
def provider(peer):
    return peer.backend()


@pytest.fixture
def paged(provider):
    return provider


@pytest.fixture
def hooked(peer, monkeypatch):
    use_connection(monkeypatch, peer.connection())
    return SmtpMailHook().get_conn()


@pytest.fixture
def unreachable(peer):
    return peer.backend(port=unused_port())


class TestSmtpRelay(MailProviderContract):
    pass


@pytest.fixture
def starttls_peer(tmp_path):
    server = SmtpPeer(tmp_path, mode="starttls", auth=True)
    yield server
    server.stop()


def test_a_wrong_password_asks_for_new_credentials(starttls_peer, monkeypatch):
    use_connection(monkeypatch, starttls_peer.connection() | {"password": "wrong"})
    backend = SmtpMailHook().get_conn()
    with pytest.raises(ReauthorizationRequired, match="ponton_mail"):
        backend.send(sample_mail(backend.sender))
    assert starttls_peer.seen() == []


def test_an_untrusted_certificate_names_the_fix(starttls_peer):
    backend = starttls_peer.backend(ssl_ca_file=None)
    with pytest.raises(ConfigError, match="ssl_ca_file"):
        backend.send(sample_mail(backend.sender))


def test_auth_without_starttls_is_a_configuration_error(starttls_peer):
    backend = starttls_peer.backend(starttls=False)
    with pytest.raises(ConfigError, match="disable_tls"):
        backend.send(sample_mail(backend.sender))


def test_a_connection_dropped_after_data_is_an_unknown_outcome(starttls_peer):
    starttls_peer.handler.drop_after_data = True
    backend = starttls_peer.backend()
    with pytest.raises(OutcomeUnknown, match="may have been accepted"):
        backend.send(sample_mail(backend.sender))
    assert len(starttls_peer.seen()) == 1, "the relay did take it: resending would duplicate"


def test_the_envelope_uses_the_validated_addresses(starttls_peer):
    backend = starttls_peer.backend()
    backend.send(sample_mail(backend.sender))
    assert starttls_peer.handler.envelopes == [
        ("planning@ponton.example", ["chloe.dubois@example.com"])
    ]
    assert b"Bcc" not in starttls_peer.seen()[0]["raw"]


def test_connection_check_reports_reachable_relay_and_sender(starttls_peer, monkeypatch):
    use_connection(monkeypatch, starttls_peer.connection())
    ok, message = SmtpMailHook().test_connection()
    assert ok and "planning@ponton.example" in message


def test_connection_check_explains_a_missing_sender(starttls_peer, monkeypatch):
    conn = starttls_peer.connection()
    del conn["extra"]["from_email"]
    use_connection(monkeypatch, conn)
    ok, message = SmtpMailHook().test_connection()
    assert not ok and "from_email" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [("timeout", "thirty"), ("bounce_imap_port", "993 (ssl)"), ("retry_attempts", "three")],
)
def test_a_field_of_the_wrong_type_is_a_configuration_error_naming_the_connection(
    starttls_peer, monkeypatch, field, value
):
    conn = starttls_peer.connection()
    conn["extra"] |= {field: value, "bounce_imap_host": "imap.example.com"}
    conn["extra"] |= {"bounce_imap_user": "bounces", "bounce_imap_password": "x"}
    use_connection(monkeypatch, conn)
    with pytest.raises(ConfigError, match=r"connection 'ponton_mail' has a field whose value"):
        SmtpMailHook().get_conn()
    ok, message = SmtpMailHook().test_connection()
    assert not ok and repr(value) in message


def test_one_session_serves_a_batch_and_closes_with_it(starttls_peer):
    backend = starttls_peer.backend()
    for nid in (1, 2, 3):
        backend.send(sample_mail(backend.sender, nid=nid))
    backend.close()
    assert len(set(starttls_peer.handler.sessions)) == 1
    backend.send(sample_mail(backend.sender, nid=4))
    assert len(set(starttls_peer.handler.sessions)) == 2, "a later send opens a new session"


def test_a_session_the_relay_closed_is_replaced_without_sending_twice(starttls_peer):
    backend = starttls_peer.backend()
    starttls_peer.handler.hang_up_after_data = True
    first = backend.send(sample_mail(backend.sender, nid=1))
    second = backend.send(sample_mail(backend.sender, nid=2))
    assert first.provider_message_id != second.provider_message_id
    assert len(starttls_peer.handler.messages) == 2
    assert len(set(starttls_peer.handler.sessions)) == 2


def test_a_greylisted_recipient_defers_the_message_and_the_relay_takes_nothing(starttls_peer):
    """RFC 5321 section 4.2.1: 4yz is "try again later". The transaction is reset before DATA,
    so nobody gets a copy now and everybody gets the same one later."""
    starttls_peer.refuse_address("audit@example.com", "450 4.7.1 Greylisted, try in 5 minutes")
    backend = starttls_peer.backend()
    mail = sample_mail(backend.sender, bcc=(Address("audit@example.com"),))
    with pytest.raises(MessageDeferred, match=r"audit@example\.com: 450 4\.7\.1 Greylisted"):
        backend.send(mail)
    assert starttls_peer.seen() == []
    receipt = backend.send(replace(mail, deferrable=False))  # the last attempt
    assert dict(receipt.refused) == {"audit@example.com": "450 4.7.1 Greylisted, try in 5 minutes"}
    assert starttls_peer.handler.envelopes[-1][1] == ["chloe.dubois@example.com"]
