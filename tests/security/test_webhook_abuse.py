"""Hostile posts to the webhook receiver: every one is answered 4xx (never 5xx), carries no
internals, stores nothing unless every item authenticates, and keeps the event loop free."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ponton.calendars import channels
from ponton.platform.schema import webhook_inbox
from ponton.webhooks.schemas import MAX_GRAPH_BATCH
from tests.push_bindings import add_push_binding

pytestmark = pytest.mark.integration


def inbox_keys(db):
    with db.engine.connect() as conn:
        return sorted(conn.execute(sa.select(webhook_inbox.c.dedupe_key)).scalars())


def note(subscription="sub-1", state="state-1", **extra):
    return {"subscriptionId": subscription, "clientState": state, "changeType": "updated", **extra}


@pytest.mark.parametrize(
    "body",
    [
        b'{"value": 5}',
        b'{"value": true}',
        b"[" * 100_000,
        b'{"value": [{"subscriptionId": {"a": 1}, "clientState": "x"}]}',
        b'{"value": [{"subscriptionId": ["a"], "clientState": "x"}]}',
        b'{"value": [{"subscriptionId": 7, "clientState": "x"}]}',
        b'{"value": [{"subscriptionId": "s", "clientState": "x", "id": 5}]}',
        b'{"value": []}',
        b"not json",
        b"\xff\xfe",
    ],
    ids=[
        "int",
        "bool",
        "deep",
        "id-object",
        "id-list",
        "id-int",
        "item-id-int",
        "empty",
        "text",
        "bytes",
    ],
)
def test_malformed_graph_bodies_are_400_before_the_database(no_db_client, body):
    response = no_db_client.post("/webhooks/graph", content=body)
    assert response.status_code == 400
    assert "Traceback" not in response.text


def test_a_graph_id_of_5000_characters_is_400_before_the_database(no_db_client):
    body = {"value": [note(id="x" * 5000)]}
    assert no_db_client.post("/webhooks/graph", json=body).status_code == 400


def test_a_graph_batch_over_the_limit_is_400_before_the_database(no_db_client):
    body = {"value": [note(id=str(i)) for i in range(MAX_GRAPH_BATCH + 1)]}
    assert no_db_client.post("/webhooks/graph", json=body).status_code == 400


def test_an_unknown_graph_subscription_is_refused(client, platform_env):
    response = client.post("/webhooks/graph", json={"value": [note(subscription="nobody")]})
    assert response.status_code == 403
    assert inbox_keys(platform_env) == []


def test_a_graph_batch_with_one_forged_item_stores_nothing(client, platform_env):
    add_push_binding(platform_env, "outlook", "sub-1", "state-1")
    body = {"value": [note(id="good"), note(id="bad", state="forged")]}
    assert client.post("/webhooks/graph", json=body).status_code == 403
    assert inbox_keys(platform_env) == []


def test_a_graph_batch_over_two_subscriptions_is_stored_whole(client, platform_env):
    add_push_binding(platform_env, "outlook", "sub-1", "state-1")
    add_push_binding(platform_env, "outlook", "sub-2", "state-2")
    body = {"value": [note(id="a"), note("sub-2", "state-2", id="b"), note(id="a")]}
    response = client.post("/webhooks/graph", json=body)
    assert response.json() == {"status": ["stored", "stored", "duplicate"]}
    assert inbox_keys(platform_env) == ["sub-1:a", "sub-2:b"]


def test_graph_database_work_runs_off_the_event_loop(client, platform_env, monkeypatch):
    add_push_binding(platform_env, "outlook", "sub-1", "state-1")
    loops = []
    real = channels.bindings_for_channels

    def probe(*args, **kwargs):
        loops.append(asyncio.events._get_running_loop())
        return real(*args, **kwargs)

    monkeypatch.setattr(channels, "bindings_for_channels", probe)
    assert client.post("/webhooks/graph", json={"value": [note(id="a")]}).status_code == 202
    assert loops == [None]


def google(channel="chan-1", token="s3cret", number="7", **more):
    headers = {
        "X-Goog-Channel-ID": channel,
        "X-Goog-Channel-Token": token,
        "X-Goog-Resource-State": "exists",
        "X-Goog-Resource-ID": "res-1",
        **more,
    }
    if number is not None:
        headers["X-Goog-Message-Number"] = number
    return headers


@pytest.mark.parametrize(
    "headers",
    [
        google(number="9" * 5000),
        google(channel="c" * 65),
        google(token="t" * 300),
        google(number="x"),
    ],
    ids=["long-number", "long-channel", "long-token", "number-not-int"],
)
def test_oversized_google_headers_are_400_before_the_database(no_db_client, headers):
    assert no_db_client.post("/webhooks/google", headers=headers).status_code == 400


def test_google_notifications_without_a_message_number_are_all_kept(client, platform_env):
    add_push_binding(platform_env, "google", "chan-1", "s3cret")
    for _ in range(2):
        response = client.post("/webhooks/google", headers=google(number=None))
        assert response.json() == {"status": "stored"}
    assert len(inbox_keys(platform_env)) == 2


def test_an_unknown_google_channel_is_refused(client, platform_env):
    assert client.post("/webhooks/google", headers=google(channel="stale")).status_code == 403


def sendgrid_event(fake, **extra):
    stored = {
        "payload": {"personalizations": [{"to": [{"email": "a@example.com"}]}]},
        "x_message_id": "X1",
        "copies": [{"email": "a@example.com", "msg_id": "X1.filter0001.1"}],
    }
    return fake.event(stored, "delivered", datetime.now(UTC), **extra)


def test_a_400_character_sendgrid_event_id_keeps_the_whole_batch(client, sendgrid, platform_env):
    events = [sendgrid_event(sendgrid), sendgrid_event(sendgrid)]
    events[0]["sg_event_id"] = "e" * 400
    body, headers = sendgrid.signed_post(events)
    for _ in range(2):  # the replay dedupes on the bounded key
        response = client.post("/webhooks/sendgrid", content=body, headers=headers)
        assert response.status_code == 200
    assert response.json() == {"received": 2, "stored": 0}
    keys = inbox_keys(platform_env)
    assert len(keys) == 2 and all(len(k) <= 200 for k in keys)


def test_a_signed_but_deeply_nested_sendgrid_post_is_400(client, sendgrid, platform_env):
    body, headers = sendgrid.sign(b"[" * 100_000)
    assert client.post("/webhooks/sendgrid", content=body, headers=headers).status_code == 400


def test_a_webhook_keys_connection_with_broken_extra_is_503_without_internals(
    no_db_client, monkeypatch
):
    broken = {"conn_type": "ponton_mail_webhooks", "extra": "{not json"}
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL_WEBHOOKS", json.dumps(broken))
    response = no_db_client.post("/webhooks/sendgrid", json=[])
    assert response.status_code == 503
    assert "ponton_mail" not in response.text and "JSON" not in response.text


def test_an_unconfigured_mail_receiver_names_no_connection(no_db_client, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL_WEBHOOKS", raising=False)
    response = no_db_client.post("/webhooks/postmark", json={})
    assert response.status_code == 503 and "ponton_mail" not in response.text


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/webhooks/health", {}),
        ("/webhooks/graph?validationToken=<b>hi</b>", {}),
        ("/webhooks/graph", {"content": b"[" * 1000}),
        ("/webhooks/google", {}),
        ("/webhooks/google", {"content": b"x" * 20_000}),
    ],
    ids=["health", "handshake", "bad-json", "no-token", "too-big"],
)
def test_every_answer_forbids_content_sniffing(no_db_client, path, kwargs):
    method = no_db_client.get if path.endswith("health") else no_db_client.post
    response = method(path, **kwargs)
    assert response.headers["x-content-type-options"] == "nosniff"
