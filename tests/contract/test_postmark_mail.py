"""Postmark through ``postmarker``, against the loopback fake of the Postmark API."""

import json
from datetime import UTC, datetime

import pytest

from ponton.errors import InvalidInputError, ReauthorizationRequired, ThrottledError
from ponton.hooks.postmark_mail import PostmarkMailHook
from tests.contract.mail_provider import MailProviderContract, sample_mail
from tests.fakes.loopback import unused_port
from tests.fakes.postmark_api import FakePostmark

pytestmark = [pytest.mark.contract, pytest.mark.integration]


@pytest.fixture
def peer():
    with FakePostmark() as fake:
        yield fake


@pytest.fixture
def provider(peer):
    return peer.backend()


@pytest.fixture
def paged(peer):
    return peer.backend(page_size=2)


@pytest.fixture
def hooked(peer, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(peer.connection()))
    return PostmarkMailHook().get_conn()


@pytest.fixture
def unreachable(peer, monkeypatch):
    monkeypatch.setattr(peer, "url", f"http://127.0.0.1:{unused_port()}")
    return peer.backend()


class TestPostmark(MailProviderContract):
    pass


def test_metadata_carries_our_ids_and_the_message_id_is_kept(provider, peer):
    receipt = provider.send(sample_mail(provider.sender, nid=5))
    (stored,) = peer.messages
    assert stored["Metadata"] == {
        "ponton_ref": sample_mail(provider.sender, nid=5).reference,
        "ponton_notification_id": "5",
    }
    assert receipt.provider_message_id == stored["MessageID"]
    assert stored["MessageStream"] == "outbound"


def test_an_inactive_recipient_is_a_permanent_refusal_with_postmarks_reason(provider, peer):
    peer.refuse_next(permanent=True)
    with pytest.raises(InvalidInputError, match="inactive"):
        provider.send(sample_mail(provider.sender))


def test_a_lasting_rate_limit_is_throttling(provider, peer):
    peer.refuse_next(permanent=False, times=20)
    with pytest.raises(ThrottledError):
        provider.send(sample_mail(provider.sender))


def test_a_wrong_server_token_asks_for_reauthorisation(peer, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_PONTON_MAIL", json.dumps(peer.connection() | {"password": "nope"})
    )
    backend = PostmarkMailHook().get_conn()
    with pytest.raises(ReauthorizationRequired, match="ponton_mail"):
        backend.send(sample_mail(backend.sender))


def test_status_pull_reads_message_events_from_the_details(provider, peer):
    receipt = provider.send(sample_mail(provider.sender, nid=8))
    peer.deliver(receipt, datetime.now(UTC))
    kinds = {(e.kind, e.notification_id) for e in provider.fetch_events(None).events}
    assert kinds == {("sent", 8), ("delivered", 8)}


def test_the_previous_webhook_password_still_works_during_rotation(peer):
    hook = peer.backend(passwords=("new-pass", "s3cret"))
    receipt = hook.send(sample_mail(hook.sender, nid=4))
    body, headers = peer.delivery_post(receipt, datetime.now(UTC))
    assert [e.notification_id for e in hook.parse_webhook(body, headers)] == [4]


def test_connection_check_reads_the_server(peer, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(peer.connection()))
    ok, message = PostmarkMailHook().test_connection()
    assert ok and "ponton fake" in message
