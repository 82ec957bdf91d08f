"""SendGrid through the official ``sendgrid`` client, against the loopback fake of the v3 API."""

import json
from datetime import UTC, datetime

import pytest

from ponton.errors import ConfigError, InvalidInputError, ReauthorizationRequired, ThrottledError
from ponton.hooks.sendgrid_mail import SendGridMailHook
from ponton.mail.port import StatusLookup, StatusPull, WebhookReader
from tests.contract.mail_provider import MailProviderContract, sample_mail
from tests.fakes.loopback import unused_port
from tests.fakes.sendgrid_api import FakeSendGrid, new_signing_key

pytestmark = [pytest.mark.contract, pytest.mark.integration]


@pytest.fixture
def peer():
    with FakeSendGrid() as fake:
        yield fake


@pytest.fixture
def provider(peer):
    return peer.backend()


@pytest.fixture
def paged(peer):
    return peer.backend(activity_limit=2)


@pytest.fixture
def hooked(peer, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(peer.connection()))
    return SendGridMailHook().get_conn()


@pytest.fixture
def unreachable(peer, monkeypatch):
    monkeypatch.setattr(peer, "url", f"http://127.0.0.1:{unused_port()}")
    return peer.backend()


class TestSendGrid(MailProviderContract):
    pass


def test_our_ids_go_in_custom_args_and_the_x_message_id_is_kept(provider, peer):
    receipt = provider.send(sample_mail(provider.sender, nid=5))
    (stored,) = peer.messages
    assert stored["payload"]["custom_args"]["ponton_notification_id"] == "5"
    assert receipt.provider_message_id == stored["x_message_id"]
    assert receipt.status == "queued"


def test_a_revoked_key_asks_for_reauthorisation(peer, monkeypatch):
    conn = peer.connection() | {"password": "SG.revoked"}
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(conn))
    backend = SendGridMailHook().get_conn()
    with pytest.raises(ReauthorizationRequired, match="ponton_mail"):
        backend.send(sample_mail(backend.sender))


def test_a_lasting_rate_limit_is_throttling_with_the_reset_time(provider, peer):
    peer.refuse_next(permanent=False, times=20)
    with pytest.raises(ThrottledError) as caught:
        provider.send(sample_mail(provider.sender))
    assert caught.value.retry_after is not None and 0 <= caught.value.retry_after <= 3


def test_validation_errors_are_reported_with_sendgrids_message(provider, peer):
    peer.refuse_next(permanent=True)
    with pytest.raises(InvalidInputError, match="Does not contain a valid address"):
        provider.send(sample_mail(provider.sender))


def test_without_the_activity_api_lookup_is_unavailable_but_webhooks_work(peer, monkeypatch):
    conn = peer.connection(activity_api=False)
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(conn))
    backend = SendGridMailHook().get_conn()
    assert isinstance(backend, WebhookReader)
    assert not isinstance(backend, StatusLookup | StatusPull)


def test_activity_api_refused_by_the_account_is_a_config_error(peer):
    peer.activity = False
    with pytest.raises(ConfigError, match="Email Activity"):
        peer.backend().find("n1-00000000")


def test_status_pull_reads_activity_ids_with_the_filter_suffix(provider, peer):
    receipt = provider.send(sample_mail(provider.sender))
    peer.deliver(receipt, datetime.now(UTC))
    events = provider.fetch_events(None).events
    assert [e.kind for e in events] == ["delivered"]
    assert events[0].provider_message_id.startswith(receipt.provider_message_id + ".")


def test_webhook_signed_by_the_previous_key_is_accepted_during_rotation(peer):
    old_public = peer.public_key
    old_private = peer.signing_key
    _, new_public = new_signing_key()  # a new key pair, as SendGrid issues on rotation
    hook = peer.backend(webhook_keys=(new_public, old_public))
    receipt = hook.send(sample_mail(hook.sender, nid=3))
    stored = peer._find(receipt.provider_message_id)
    body, headers = peer.signed_post(
        [peer.event(stored, "delivered", datetime.now(UTC))], old_private
    )
    assert [e.notification_id for e in hook.parse_webhook(body, headers)] == [3]


def test_connection_check_proves_key_and_scope(peer, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(peer.connection()))
    ok, message = SendGridMailHook().test_connection()
    assert ok and "planning@ponton.example" in message
