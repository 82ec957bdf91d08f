"""Recurring platform events reach Outlook as one Graph series (seriesMaster + patternedRecurrence)
through the official-behaviour Graph fake, and come back with the same content hash."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ponton.errors import InvalidInputError
from ponton.platform.schema import planning_events
from ponton.sync.adapters import calendar_opener
from ponton.sync.engine import run_sync
from ponton.sync.port import RemoteWrite
from tests.contract.remote_calendar import WINDOW, sample_event
from tests.fakes.graph_fixtures import MAILBOX
from tests.integration.test_calendar_api_sync import (
    NOW,
    _is_auth,
    bind_with_planning,
    summary_of,
)

pytestmark = pytest.mark.integration
WEEKLY = "RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=MO"


def weekly(uid="weekly@platform", rule=WEEKLY):
    return sample_event(uid, recurrence=(rule,))


def test_a_series_is_written_once_and_listed_as_its_master(outlook_calendar, graph_fake):
    (result,) = outlook_calendar.apply_writes(
        [RemoteWrite("create", "w@platform", weekly("w@platform"))]
    )
    assert result.error is None
    assert result.remote.event.recurrence == (WEEKLY,)
    (stored,) = graph_fake.events(MAILBOX)
    assert stored["type"] == "seriesMaster"
    assert stored["recurrence"]["range"]["numberOfOccurrences"] == 5

    changes = outlook_calendar.list_changes(None, *WINDOW)
    (listed,) = changes.events  # five occurrences in the view, one series for ponton
    assert listed.remote_id == stored["id"] and listed.platform_uid == "w@platform"
    assert listed.event.content_hash() == weekly("w@platform").content_hash()
    assert outlook_calendar.find("w@platform").event.recurrence == (WEEKLY,)


def test_a_rule_graph_cannot_hold_fails_that_write_alone(outlook_calendar, graph_fake):
    results = outlook_calendar.apply_writes(
        [
            RemoteWrite(
                "create", "bad@platform", weekly("bad@platform", "RRULE:FREQ=DAILY;BYHOUR=9")
            ),
            RemoteWrite("create", "ok@platform", weekly("ok@platform")),
        ]
    )
    assert isinstance(results[0].error, InvalidInputError)
    assert "bad@platform" in str(results[0].error) and "BYHOUR" in str(results[0].error)
    assert results[1].error is None
    assert len(graph_fake.events(MAILBOX)) == 1


def test_an_edit_of_the_series_in_outlook_is_read_through_its_master(outlook_calendar, graph_fake):
    (created,) = outlook_calendar.apply_writes(
        [RemoteWrite("create", "w@platform", weekly("w@platform"))]
    )
    cursor = outlook_calendar.list_changes(None, *WINDOW).cursor
    graph_fake.edit(MAILBOX, created.remote.remote_id, subject="Point hebdo déplacé")
    (changed,) = outlook_calendar.list_changes(cursor, *WINDOW).events
    assert changed.event.summary == "Point hebdo déplacé"
    assert changed.event.recurrence == (WEEKLY,)


def _make_weekly(db, uid):
    start = NOW + timedelta(days=7, hours=1, minutes=30)  # Monday 23 March, 10:30 in Paris
    with db.begin() as conn:
        conn.execute(
            planning_events.update()
            .where(planning_events.c.uid == uid)
            .values(start_at=start, end_at=start + timedelta(hours=1), recurrence=WEEKLY)
        )


def test_weekly_planning_reaches_outlook_as_one_series_and_a_rerun_writes_nothing(
    platform_db, outlook_conn, graph_fake
):
    binding, journal = bind_with_planning(platform_db, "outlook", MAILBOX, outlook_conn)
    _make_weekly(platform_db, "p1@platform")

    def sync():
        return run_sync(
            platform_db, binding, calendar_opener(resolver=None), journal=journal, now=NOW
        )

    assert sync()["remote_created"] == 1
    (series,) = graph_fake.events(MAILBOX)
    assert series["type"] == "seriesMaster"
    assert series["recurrence"]["pattern"]["daysOfWeek"] == ["monday"]

    for expected in (["GET", "GET", "POST", "GET"], ["GET"]):
        # The first rerun's delta lists the five new occurrences (two pages of the fake's three),
        # so one $batch reads their master and its instances (whose second page follows); the
        # next one has nothing to list.
        before = len(graph_fake.requests)
        rerun = sync()
        assert rerun["remote_created"] == rerun["remote_updated"] == 0
        api = [m for m, path in graph_fake.requests[before:] if not _is_auth(path)]
        assert api == expected
        (after,) = graph_fake.events(MAILBOX)
        assert after["@odata.etag"] == series["@odata.etag"]  # not rewritten
    with platform_db.engine.connect() as conn:
        query = sa.select(planning_events.c.recurrence).where(
            planning_events.c.uid == "p1@platform"
        )
        assert conn.execute(query).scalar_one() == WEEKLY  # the read-back did not echo
    assert summary_of(platform_db, "p1@platform") == "event p1@platform"


def test_a_series_with_no_occurrence_in_the_window_is_not_taken_as_deleted(
    platform_db, outlook_conn, graph_fake
):
    """calendarView cannot list a series that ended before the window: a full listing without
    it must not delete the planning series."""
    binding, journal = bind_with_planning(platform_db, "outlook", MAILBOX, outlook_conn)
    start = NOW - timedelta(days=7 * 80)  # three Mondays, well before the year-back window
    with platform_db.begin() as conn:
        conn.execute(
            planning_events.update().values(
                start_at=start, end_at=start + timedelta(hours=1), recurrence=WEEKLY
            )
        )

    def sync():
        return run_sync(
            platform_db, binding, calendar_opener(resolver=None), journal=journal, now=NOW
        )

    assert sync()["remote_created"] == 1
    graph_fake.expire_delta_tokens()  # the next round is a full one
    result = sync()
    assert result["full_listing"] and result["platform_deleted"] == 0
    with platform_db.engine.connect() as conn:
        query = sa.select(planning_events.c.deleted_at)
        assert conn.execute(query).scalar_one() is None
    assert len(graph_fake.events(MAILBOX)) == 1


def test_an_event_no_longer_recurring_turns_the_series_into_a_single_event(
    outlook_calendar, graph_fake
):
    (created,) = outlook_calendar.apply_writes(
        [RemoteWrite("create", "w@platform", weekly("w@platform"))]
    )
    (updated,) = outlook_calendar.apply_writes(
        [
            RemoteWrite(
                "update",
                "w@platform",
                event=sample_event("w@platform"),
                remote_id=created.remote.remote_id,
                etag=created.remote.etag,
            )
        ]
    )
    assert updated.error is None and updated.remote.event.recurrence == ()
    (stored,) = graph_fake.events(MAILBOX)
    assert (stored["type"], stored["recurrence"]) == ("singleInstance", None)
