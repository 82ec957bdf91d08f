"""Windows as the services define them: a series that began before the sync window is still in it
as long as one of its occurrences is (Google lists the master, Graph's calendarView the
occurrences), so neither a full nor an incremental listing may report it deleted."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ponton.platform.schema import planning_events
from ponton.sync.adapters import calendar_opener
from ponton.sync.engine import run_sync
from tests.integration.test_calendar_api_sync import (  # noqa: F401 - the provider fixture
    NOW,
    bind_with_planning,
    provider,
    summary_of,
)

pytestmark = pytest.mark.integration
ENDLESS_WEEKLY = "RRULE:FREQ=WEEKLY;BYDAY=MO"


def old_series(db, uid="standup@platform"):
    """A Monday stand-up that started 500 days ago (the default window looks back 365)."""
    start = (NOW - timedelta(days=500)).replace(hour=7)
    start -= timedelta(days=start.weekday())
    with db.begin() as conn:
        conn.execute(
            planning_events.update()
            .where(planning_events.c.uid == "p1@platform")
            .values(
                uid=uid,
                start_at=start,
                end_at=start + timedelta(minutes=30),
                recurrence=ENDLESS_WEEKLY,
            )
        )
    return uid


def live_planning(db):
    with db.engine.connect() as conn:
        query = sa.select(planning_events.c.uid).where(planning_events.c.deleted_at.is_(None))
        return set(conn.execute(query).scalars())


def test_an_ongoing_series_older_than_the_window_is_never_deleted(platform_db, provider):  # noqa: F811
    name, source, conn_id, edit_remotely, remote_events, _fake = provider
    binding, journal = bind_with_planning(platform_db, name, source, conn_id)
    uid = old_series(platform_db)

    def sync():
        return run_sync(platform_db, binding, calendar_opener(None), journal=journal, now=NOW)

    assert sync()["remote_created"] == 1
    for _ in range(2):  # a full listing, then an incremental one
        result = sync()
        assert result["deleted"] == result["platform_deleted"] == 0
    assert live_planning(platform_db) == {uid}
    (series,) = [e for e in remote_events() if e.get("recurrence")]

    edit_remotely(series["id"], "stand-up (renamed)")  # the series changes: listed incrementally
    result = sync()
    assert result["platform_deleted"] == 0 and result["remote_deleted"] == 0
    assert summary_of(platform_db, uid) == "stand-up (renamed)"
    assert live_planning(platform_db) == {uid}
