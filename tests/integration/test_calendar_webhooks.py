"""The calendar webhook routes through FastAPI's TestClient against the platform DB: secrets
checked before anything is stored, replays stored once, Graph's handshake and lifecycle events."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ponton.platform.schema import calendar_bindings, webhook_inbox
from ponton.webhooks import create_app, inbox
from ponton.webhooks.signal import calendar_changes
from tests.push_bindings import add_push_binding

pytestmark = pytest.mark.integration


@pytest.fixture
def client(platform_env):
    inbox.platform_db.cache_clear()
    yield TestClient(create_app())
    inbox.platform_db.cache_clear()


@pytest.fixture
def pokes(monkeypatch):
    seen: list[list[int]] = []
    monkeypatch.setattr(calendar_changes, "window", 3600)
    calendar_changes.connect(seen.append)
    yield seen
    calendar_changes.flush()
    calendar_changes._emit = None


def inbox_rows(db):
    with db.engine.connect() as conn:
        return conn.execute(sa.select(webhook_inbox)).mappings().all()


def google_headers(channel="chan-1", token="s3cret", state="exists", number="7"):
    return {
        "X-Goog-Channel-ID": channel,
        "X-Goog-Channel-Token": token,
        "X-Goog-Resource-State": state,
        "X-Goog-Resource-ID": "res-1",
        "X-Goog-Message-Number": number,
    }


def test_google_change_is_stored_once_and_signalled_once(client, platform_env, pokes):
    binding_id = add_push_binding(platform_env, "google", "chan-1", "s3cret")
    for number in ("7", "7", "8"):
        assert (
            client.post("/webhooks/google", headers=google_headers(number=number)).status_code
            == 200
        )
    rows = inbox_rows(platform_env)
    assert [(r["source"], r["dedupe_key"], r["binding_id"]) for r in rows] == [
        ("google", "chan-1:7", binding_id),
        ("google", "chan-1:8", binding_id),
    ]
    calendar_changes.flush()
    assert pokes == [[binding_id]]


def test_google_sync_message_is_acknowledged_without_storing(client, platform_env):
    add_push_binding(platform_env, "google", "chan-1", "s3cret")
    response = client.post("/webhooks/google", headers=google_headers(state="sync", number="1"))
    assert response.status_code == 200 and inbox_rows(platform_env) == []


def test_google_wrong_token_is_forbidden_and_nothing_stored(client, platform_env):
    add_push_binding(platform_env, "google", "chan-1", "s3cret")
    assert client.post("/webhooks/google", headers=google_headers(token="guess")).status_code == 403
    assert inbox_rows(platform_env) == []


def test_google_unknown_channel_is_refused_like_a_wrong_token(client, platform_env):
    response = client.post("/webhooks/google", headers=google_headers(channel="stale"))
    assert response.status_code == 403
    assert inbox_rows(platform_env) == []


def test_missing_token_is_refused_before_the_database(no_db_client):
    headers = google_headers()
    del headers["X-Goog-Channel-Token"]
    assert no_db_client.post("/webhooks/google", headers=headers).status_code == 401
    assert (
        no_db_client.post("/webhooks/graph", json={"value": [{"subscriptionId": "s"}]}).status_code
        == 401
    )


def test_oversize_bodies_are_refused_before_the_database(no_db_client):
    big = b"x" * 20_000
    assert (
        no_db_client.post("/webhooks/google", content=big, headers=google_headers()).status_code
        == 413
    )
    huge = b"{" + b" " * 1_000_001 + b"}"
    assert no_db_client.post("/webhooks/graph", content=huge).status_code == 413


def test_graph_validation_handshake_echoes_the_token_as_plain_text(no_db_client):
    response = no_db_client.post("/webhooks/graph?validationToken=Validation%3A%20abc%2B1")
    assert response.status_code == 200
    assert response.text == "Validation: abc+1"
    assert response.headers["content-type"].startswith("text/plain")


def graph_change(subscription="sub-1", state="state-1", etag='W/"1"'):
    return {
        "value": [
            {
                "subscriptionId": subscription,
                "clientState": state,
                "changeType": "updated",
                "resource": "Users/u/Events/AAMk1",
                "resourceData": {"id": "AAMk1", "@odata.etag": etag},
                "tenantId": "tenant-1",
            }
        ]
    }


def test_graph_change_is_stored_once_without_the_client_state(client, platform_env, pokes):
    binding_id = add_push_binding(platform_env, "outlook", "sub-1", "state-1")
    assert client.post("/webhooks/graph", json=graph_change()).status_code == 202
    assert client.post("/webhooks/graph", json=graph_change()).json() == {"status": ["duplicate"]}
    (row,) = inbox_rows(platform_env)
    assert row["binding_id"] == binding_id and "clientState" not in row["payload"]
    calendar_changes.flush()
    assert pokes == [[binding_id]]


def test_graph_wrong_client_state_is_forbidden(client, platform_env):
    add_push_binding(platform_env, "outlook", "sub-1", "state-1")
    assert client.post("/webhooks/graph", json=graph_change(state="forged")).status_code == 403
    assert inbox_rows(platform_env) == []


def lifecycle(event):
    return {
        "value": [{"subscriptionId": "sub-1", "clientState": "state-1", "lifecycleEvent": event}]
    }


def binding_row(db, binding_id):
    with db.engine.connect() as conn:
        return (
            conn.execute(sa.select(calendar_bindings).where(calendar_bindings.c.id == binding_id))
            .mappings()
            .one()
        )


def test_graph_missed_notifications_force_a_full_resync(client, platform_env):
    binding_id = add_push_binding(platform_env, "outlook", "sub-1", "state-1")
    assert client.post("/webhooks/graph", json=lifecycle("missed")).status_code == 202
    assert binding_row(platform_env, binding_id)["sync_token"] is None


def test_graph_reauthorization_required_flags_the_subscription_for_renewal(client, platform_env):
    binding_id = add_push_binding(platform_env, "outlook", "sub-1", "state-1")
    client.post("/webhooks/graph", json=lifecycle("reauthorizationRequired"))
    assert binding_row(platform_env, binding_id)["channel_expires_at"] <= datetime.now(UTC)


def test_graph_subscription_removed_clears_the_channel_and_resyncs(client, platform_env):
    binding_id = add_push_binding(platform_env, "outlook", "sub-1", "state-1")
    client.post("/webhooks/graph", json=lifecycle("subscriptionRemoved"))
    row = binding_row(platform_env, binding_id)
    assert (row["channel_id"], row["channel_token_hash"], row["sync_token"]) == (None, None, None)
