"""End to end through the sync engine and the adapter registry: platform planning ↔ the Google
and Graph fakes, via the real hooks (Airflow connections) and official clients."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.context import RunContext
from ponton.journal import Journal
from ponton.platform.schema import planning_events
from ponton.sync.adapters import calendar_opener
from ponton.sync.bindings import add_binding
from ponton.sync.engine import run_sync
from tests.fakes.google_fixtures import CALENDAR
from tests.fakes.graph_fixtures import MAILBOX

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 16, 8, tzinfo=UTC)


@pytest.fixture(params=["google", "outlook"])
def provider(request):
    """(provider, source, conn id, fake, remote edit, live remote events)."""
    if request.param == "google":
        fake = request.getfixturevalue("google_fake")
        return (
            "google",
            CALENDAR,
            request.getfixturevalue("google_conn"),
            lambda rid, text: fake.edit(CALENDAR, rid, summary=text),
            lambda: fake.items(CALENDAR),
            fake,
        )
    fake = request.getfixturevalue("graph_fake")
    return (
        "outlook",
        MAILBOX,
        request.getfixturevalue("outlook_conn"),
        lambda rid, text: fake.edit(MAILBOX, rid, subject=text),
        lambda: fake.events(MAILBOX),
        fake,
    )


def add_planning(db, uid, resource="ana"):
    with db.begin() as conn:
        rid = conn.execute(sa.text("select id from resources where key = :k"), {"k": resource})
        conn.execute(
            planning_events.insert().values(
                uid=uid,
                resource_id=rid.scalar(),
                summary=f"event {uid}",
                start_at=NOW + timedelta(days=1, hours=2),
                end_at=NOW + timedelta(days=1, hours=3),
                timezone="Europe/Paris",
            )
        )


def _is_auth(path):
    return path.endswith(("/token", "/openid-configuration"))


def summary_of(db, uid):
    with db.engine.connect() as conn:
        query = sa.select(planning_events.c.summary).where(planning_events.c.uid == uid)
        return conn.execute(query).scalar_one()


def bind_with_planning(db, name, source, conn_id, **options):
    """A two-way binding of resource "ana" holding one planning event, and a journal."""
    binding = add_binding(
        db,
        provider=name,
        source=source,
        resource="ana",
        direction="both",
        conn_id=conn_id,
        options={"retry_max_seconds": 0.2, **options},
    )
    add_planning(db, "p1@platform")
    return binding, Journal(db, RunContext("test", "r", "t"))


def test_planning_round_trip_through_the_provider(platform_db, provider):
    name, source, conn_id, edit_remotely, remote_events, fake = provider
    binding, journal = bind_with_planning(platform_db, name, source, conn_id)

    def sync():
        opener = calendar_opener(resolver=None)
        return run_sync(platform_db, binding, opener, journal=journal, now=NOW)

    assert sync()["remote_created"] == 1
    assert len(remote_events()) == 1

    before = len(fake.requests)
    rerun = sync()
    assert rerun["remote_created"] == rerun["remote_updated"] == 0
    api = [m for m, path in fake.requests[before:] if not _is_auth(path)]
    assert api == ["GET"]  # one incremental list, no write (each run fetches its own token)

    (remote,) = remote_events()
    edit_remotely(remote["id"], "moved by a person")
    sync()
    assert summary_of(platform_db, "p1@platform") == "moved by a person"
    assert len(remote_events()) == 1


def test_crash_after_the_remote_write_leaves_no_duplicate(platform_db, provider):
    name, source, conn_id, _edit, remote_events, _fake = provider
    binding, journal = bind_with_planning(platform_db, name, source, conn_id)
    opener = calendar_opener(resolver=None)
    # The previous run wrote the event remotely, then died before saving its sync state.
    from ponton.sync.bindings import list_bindings
    from ponton.sync.port import RemoteWrite
    from tests.contract.remote_calendar import sample_event

    (loaded,) = list_bindings(platform_db)
    opener(loaded).apply_writes(
        [RemoteWrite("create", "p1@platform", event=sample_event("p1@platform"))]
    )
    run_sync(platform_db, binding, opener, journal=journal, now=NOW)
    run_sync(platform_db, binding, opener, journal=journal, now=NOW)
    assert len(remote_events()) == 1


def test_google_edit_reaches_planning_through_the_webhook(platform_env, google_conn, google_fake):
    """Edited in Google → push notification → inbox + one signal → import → planning updated."""
    from fastapi.testclient import TestClient

    from ponton.operators.calendar_channels import CalendarChannelOperator
    from ponton.webhooks import create_app, inbox
    from ponton.webhooks.signal import calendar_changes

    db = platform_env
    binding, journal = bind_with_planning(db, "google", CALENDAR, google_conn, push=True)
    run_sync(db, binding, calendar_opener(resolver=None), journal=journal, now=NOW)
    CalendarChannelOperator(
        task_id="t", binding_id=binding, webhook_base_url="https://hooks.example.com/ponton"
    ).run({}, RunContext())

    signals = []
    calendar_changes.connect(signals.append)
    inbox.platform_db.cache_clear()
    client = TestClient(create_app())
    try:
        (item,) = google_fake.items(CALENDAR)
        google_fake.outbox.clear()
        google_fake.edit(CALENDAR, item["id"], summary="moved in Google")
        google_fake.edit(CALENDAR, item["id"], location="Lyon")
        for address, headers in google_fake.outbox:
            path = address.removeprefix("https://hooks.example.com/ponton")
            assert client.post(path, headers=headers).json() == {"status": "stored"}
        calendar_changes.flush()
    finally:
        calendar_changes._emit = None
        inbox.platform_db.cache_clear()
    assert signals == [[binding]]  # two notifications, one signal
    assert len(inbox.pending(db, "google")) == 2

    result = run_sync(db, binding, calendar_opener(resolver=None), journal=journal, now=NOW)
    assert summary_of(db, "p1@platform") == "moved in Google"
    assert result["notifications"] == 2 and inbox.pending(db, "google") == []
