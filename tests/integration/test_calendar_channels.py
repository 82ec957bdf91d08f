"""The channel operator against the Google and Graph fakes: channels created with only the token's
hash stored, renewed past half their lifetime, stopped when unwanted, every action journaled."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.calendars import channels
from ponton.context import RunContext
from ponton.journal import Journal
from ponton.platform.schema import calendar_bindings
from ponton.sync import bindings
from tests.fakes.google_fixtures import CALENDAR
from tests.fakes.graph_fixtures import MAILBOX

pytestmark = pytest.mark.integration

BASE = "https://hooks.example.com/ponton"


def add_binding(db, provider, source, conn_id, **options):
    return bindings.add_binding(
        db,
        provider=provider,
        source=source,
        resource="anne",
        direction="both",
        conn_id=conn_id,
        options={"push": True, **options},
    )


def run(binding_id, base=BASE):
    from ponton.operators.calendar_channels import CalendarChannelOperator

    operator = CalendarChannelOperator(
        task_id="reconcile_channel", binding_id=binding_id, webhook_base_url=base
    )
    return operator.run({}, RunContext())


def update(db, binding_id, **values):
    with db.begin() as conn:
        conn.execute(
            calendar_bindings.update().where(calendar_bindings.c.id == binding_id).values(**values)
        )


def test_google_channel_lifecycle(platform_env, google_conn, google_fake):
    binding_id = add_binding(platform_env, "google", CALENDAR, google_conn)
    assert run(binding_id)["action"] == "create"
    row = channels.binding(platform_env, binding_id)
    (channel,) = google_fake.channels.values()
    assert channel["id"] == row["channel_id"] and channel["address"] == f"{BASE}/webhooks/google"
    assert row["channel_token_hash"] == channels.token_hash(channel["token"])
    assert channel["token"] not in str(row)
    assert run(binding_id)["action"] == "keep"

    update(platform_env, binding_id, channel_expires_at=datetime.now(UTC) + timedelta(days=2))
    assert run(binding_id)["action"] == "renew"
    (renewed,) = google_fake.channels.values()  # the old channel was stopped
    assert renewed["id"] != channel["id"]

    update(platform_env, binding_id, options={"push": False})
    assert run(binding_id)["action"] == "stop"
    assert google_fake.channels == {}
    assert channels.binding(platform_env, binding_id)["channel_id"] is None
    actions = [e.action for e in Journal(platform_env).tail(integration="google")]
    assert actions == ["channel_create", "channel_renew", "channel_stop"]


def test_graph_subscription_lifecycle(platform_env, outlook_conn, graph_fake):
    binding_id = add_binding(platform_env, "outlook", MAILBOX, outlook_conn, channel_hours=48)
    assert run(binding_id)["action"] == "create"
    (subscription,) = graph_fake.subscriptions.values()
    row = channels.binding(platform_env, binding_id)
    assert row["channel_token_hash"] == channels.token_hash(subscription["clientState"])
    assert subscription["resource"] == f"users/{MAILBOX.replace('@', '%40')}/events"

    channels_expire = datetime.now(UTC) + timedelta(hours=10)
    update(platform_env, binding_id, channel_expires_at=channels_expire)
    assert run(binding_id)["action"] == "renew"
    assert channels.binding(platform_env, binding_id)["channel_expires_at"] > channels_expire

    graph_fake.subscriptions.clear()  # Graph removed it; renewal falls back to a new one
    update(platform_env, binding_id, channel_expires_at=datetime.now(UTC))
    assert run(binding_id)["action"] == "renew"
    assert len(graph_fake.subscriptions) == 1


def test_push_without_a_public_https_url_is_a_config_error(platform_env, google_conn):
    from ponton.errors import ConfigError

    binding_id = add_binding(platform_env, "google", CALENDAR, google_conn)
    with pytest.raises(ConfigError, match="ponton_webhook_base_url"):
        run(binding_id, base="")


def test_channel_candidates_skip_bindings_without_push(platform_env):
    wanted = add_binding(platform_env, "google", CALENDAR, None)
    with platform_env.begin() as conn:
        conn.execute(sa.update(calendar_bindings).values(options={"push": False}))
    assert channels.channel_candidates(platform_env) == []
    update(platform_env, wanted, options={"push": True})
    assert channels.channel_candidates(platform_env) == [wanted]


def test_graph_subscription_is_validated_by_the_webhook_handshake(
    platform_env, outlook_conn, graph_fake
):
    from urllib.parse import quote, urlsplit

    from fastapi.testclient import TestClient

    from ponton.webhooks import create_app

    app = TestClient(create_app())
    seen = []

    def validate(url, token):
        path = urlsplit(url).path.removeprefix("/ponton")
        response = app.post(f"{path}?validationToken={quote(token)}")
        seen.append(response.headers["content-type"])
        return response.text

    graph_fake.validate_notification_url = validate
    binding_id = add_binding(platform_env, "outlook", MAILBOX, outlook_conn)
    assert run(binding_id)["action"] == "create"
    assert len(graph_fake.subscriptions) == 1 and seen[0].startswith("text/plain")


def test_the_cli_runs_the_same_channel_service(platform_env, google_conn, google_fake, capsys):
    import json

    from ponton.cli import main

    binding_id = add_binding(platform_env, "google", CALENDAR, google_conn)
    assert main(["sync", "channel", str(binding_id), "--webhook-base-url", BASE]) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "create"
    (channel,) = google_fake.channels.values()
    assert channels.binding(platform_env, binding_id)["channel_id"] == channel["id"]
