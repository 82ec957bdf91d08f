"""The mail webhook routes: verify first, never touch the database for a bad request, store each
verified event once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from ponton.webhooks import create_app, inbox
from ponton.webhooks import mail as mail_routes
from tests.fakes.postmark_api import FakePostmark
from tests.fakes.sendgrid_api import FakeSendGrid, new_signing_key

pytestmark = pytest.mark.integration


@pytest.fixture
def client():
    """The receiver app; tests that store take ``platform_env`` to point it at a database."""
    inbox.platform_db.cache_clear()  # the receiver opens its DB once per process
    yield TestClient(create_app())
    inbox.platform_db.cache_clear()


@pytest.fixture
def sendgrid(monkeypatch):
    with FakeSendGrid() as fake:
        monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL", raising=False)
        monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL_WEBHOOKS", json.dumps(fake.webhook_keys()))
        yield fake


@pytest.fixture
def postmark(monkeypatch):
    with FakePostmark() as fake:
        monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL", raising=False)
        monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL_WEBHOOKS", json.dumps(fake.webhook_keys()))
        yield fake


@pytest.fixture
def database_must_not_be_touched(monkeypatch):
    def refuse():
        raise AssertionError("a refused request reached the database")

    monkeypatch.setattr(mail_routes, "platform_db", refuse)


def sendgrid_events(fake, *names):
    stored = {
        "payload": {
            "personalizations": [{"to": [{"email": "a@example.com"}]}],
            "custom_args": {"ponton_notification_id": "1"},
        },
        "x_message_id": "X1",
        "copies": [{"email": "a@example.com", "msg_id": "X1.filter0001.1"}],
    }
    return [fake.event(stored, name, datetime.now(UTC)) for name in names]


def post(client, path, body_headers):
    body, headers = body_headers
    return client.post(path, content=body, headers=headers)


def test_signed_sendgrid_events_are_stored_once(client, sendgrid, platform_env):
    events = sendgrid_events(sendgrid, "processed", "delivered")
    signed = sendgrid.signed_post(events)
    first = post(client, "/webhooks/sendgrid", signed)
    assert (first.status_code, first.json()) == (200, {"received": 2, "stored": 2})
    replay = post(client, "/webhooks/sendgrid", signed)
    assert replay.json() == {"received": 2, "stored": 0}
    assert len(inbox.pending(platform_env, "sendgrid")) == 2


def test_a_forged_signature_is_403_without_touching_the_database(
    client, sendgrid, database_must_not_be_touched
):
    forged = sendgrid.signed_post(sendgrid_events(sendgrid, "delivered"), key=new_signing_key()[0])
    assert post(client, "/webhooks/sendgrid", forged).status_code == 403
    body, headers = sendgrid.signed_post(sendgrid_events(sendgrid, "delivered"))
    tampered = body.replace(b'"delivered"', b'"bounce"')
    assert client.post("/webhooks/sendgrid", content=tampered, headers=headers).status_code == 403
    garbage = headers | {"X-Twilio-Email-Event-Webhook-Signature": "%%%not-base64"}
    assert client.post("/webhooks/sendgrid", content=body, headers=garbage).status_code == 403


def test_a_missing_signature_is_401_without_touching_the_database(
    client, sendgrid, database_must_not_be_touched
):
    response = client.post("/webhooks/sendgrid", json=sendgrid_events(sendgrid, "delivered"))
    assert response.status_code == 401


def test_the_previous_key_still_verifies_during_a_rotation(
    client, sendgrid, monkeypatch, sqlite_db
):
    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", sqlite_db.url)
    new_private, new_public = new_signing_key()
    conn = sendgrid.webhook_keys(key=new_public, previous=sendgrid.public_key)
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL_WEBHOOKS", json.dumps(conn))
    by_old = sendgrid.signed_post(sendgrid_events(sendgrid, "processed"))
    by_new = sendgrid.signed_post(sendgrid_events(sendgrid, "delivered"), key=new_private)
    assert post(client, "/webhooks/sendgrid", by_old).status_code == 200
    assert post(client, "/webhooks/sendgrid", by_new).status_code == 200


def test_unknown_event_types_are_accepted_and_stored(client, sendgrid, platform_env):
    response = post(
        client,
        "/webhooks/sendgrid",
        sendgrid.signed_post(
            sendgrid_events(sendgrid, "group_resubscribe", "event_from_the_future")
        ),
    )
    assert response.json() == {"received": 2, "stored": 2}


def test_a_verified_body_that_is_not_an_event_array_is_400(
    client, sendgrid, database_must_not_be_touched
):
    for body in (b"{not json", b'{"event": "delivered"}', b"[1, 2]"):
        assert post(client, "/webhooks/sendgrid", sendgrid.sign(body)).status_code == 400


def test_an_unconfigured_receiver_answers_503_and_names_the_fix(
    client, monkeypatch, database_must_not_be_touched
):
    monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL_WEBHOOKS", raising=False)
    response = client.post("/webhooks/sendgrid", json=[])
    assert response.status_code == 503 and "docs/integrations/mail.md" in response.json()["detail"]
    assert client.post("/webhooks/postmark", json={}).status_code == 503


def test_the_mail_connection_alone_does_not_configure_the_receiver(
    client, monkeypatch, database_must_not_be_touched
):
    """The API server needs only the keys connection; the API key's connection is never read."""
    with FakeSendGrid() as fake:
        monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL_WEBHOOKS", raising=False)
        monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(fake.connection()))
        response = post(client, "/webhooks/sendgrid", fake.signed_post(sendgrid_events(fake)))
    assert response.status_code == 503


class Lookups:
    """A connection resolver standing in for Airflow's secrets backends: records what is asked."""

    def __init__(self, connections):
        self.connections, self.asked = connections, []

    def get(self, conn_id):
        from ponton.errors import ConfigError
        from ponton.secrets import parse_connection

        self.asked.append(conn_id)
        if conn_id not in self.connections:
            raise ConfigError(f"connection {conn_id!r} not found")
        return parse_connection(conn_id, json.dumps(self.connections[conn_id]))


def test_keys_are_read_through_the_resolver_the_app_is_given(postmark, monkeypatch, platform_env):
    """Mounted by the plugin, the app resolves through Airflow's secrets backends (Vault too)."""
    monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL_WEBHOOKS")
    inbox.platform_db.cache_clear()
    backends = Lookups({"ponton_mail_webhooks": postmark.webhook_keys()})
    client = TestClient(create_app(connections=backends))
    record = {"RecordType": "Open", "MessageID": "m-1", "ReceivedAt": "2026-03-16T10:00:00Z"}
    assert post(client, "/webhooks/postmark", postmark.webhook_post(record)).status_code == 200
    assert backends.asked == ["ponton_mail_webhooks"]
    inbox.platform_db.cache_clear()


def test_postmark_records_need_the_webhook_credentials(client, postmark, platform_env):
    record = {
        "RecordType": "Delivery",
        "MessageID": "m-1",
        "DeliveredAt": "2026-03-16T10:00:00Z",
        "Metadata": {"ponton_notification_id": "1"},
    }
    missing = client.post("/webhooks/postmark", json=record)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Basic")
    wrong = post(client, "/webhooks/postmark", postmark.webhook_post(record, ("hooks", "guess")))
    assert wrong.status_code == 403
    right = post(client, "/webhooks/postmark", postmark.webhook_post(record))
    assert right.json() == {"received": 1, "stored": 1}
    assert post(client, "/webhooks/postmark", postmark.webhook_post(record)).json()["stored"] == 0
    assert len(inbox.pending(platform_env, "postmark")) == 1


def test_postmark_previous_password_works_during_a_rotation(
    client, postmark, monkeypatch, sqlite_db
):
    monkeypatch.setenv("PONTON_PLATFORM_DB_URL", sqlite_db.url)
    conn = postmark.webhook_keys(password="next-pass", previous="s3cret")
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL_WEBHOOKS", json.dumps(conn))
    record = {"RecordType": "Open", "MessageID": "m-1", "ReceivedAt": "2026-03-16T10:00:00Z"}
    assert post(client, "/webhooks/postmark", postmark.webhook_post(record)).status_code == 200
    by_new = postmark.webhook_post(record | {"x": 1}, ("hooks", "next-pass"))
    assert post(client, "/webhooks/postmark", by_new).status_code == 200


def test_postmark_wrong_credentials_never_reach_the_database(
    client, postmark, database_must_not_be_touched
):
    record = {"RecordType": "Delivery", "MessageID": "m-1"}
    assert (
        post(client, "/webhooks/postmark", postmark.webhook_post(record, ("x", "y"))).status_code
        == 403
    )
