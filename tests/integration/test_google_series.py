"""A weekly platform series in Google Calendar, through google-api-python-client against the fake:
occurrences moved or cancelled on either side become exactly those exception instances and
overrides, a series deleted in Google leaves the platform, reruns and resyncs write nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ponton.calendars.backends.google_mapping import event_id_for, instance_id_for
from ponton.model import moment_key
from ponton.platform.schema import availability, planning_events
from ponton.sync.bindings import add_binding
from tests.fakes.google_fixtures import CALENDAR, google_backend_for
from tests.integration.test_series_scenarios import (
    NOW,
    UID,
    Sync,
    add_override,
    add_series,
    pushed,
    series_rows,
    week,
    writes,
)

pytestmark = pytest.mark.integration
MASTER_ID = event_id_for(UID)


def original(n: int) -> dict:
    return {"dateTime": week(n).isoformat(), "timeZone": "Europe/Paris"}


@pytest.fixture
def google(platform_db, google_fake):
    """The platform's weekly series, pushed to Google by a first sync."""
    sync = pushed(platform_db, google_backend_for(google_fake), provider="google", source=CALENDAR)
    return platform_db, google_fake, sync


def instances(fake) -> dict[str, dict]:
    """The series as a Google client lays it out (events.instances, cancelled ones included)."""
    events = google_backend_for(fake).service.events()
    request = events.instances(calendarId=CALENDAR, eventId=MASTER_ID, showDeleted=True)
    items = []
    while request is not None:
        page = request.execute()
        items += page["items"]
        request = events.instances_next(request, page)
    return {moment_key(_moment(i["originalStartTime"])): i for i in items}


def _moment(raw: dict):
    from tests.fakes.google_series import moment

    return moment(raw)


def exceptions(fake) -> dict[str, dict]:
    """Instances stored apart from the series: Google's exceptions."""
    return {i["id"]: i for i in fake.items(CALENDAR, live=False) if i.get("recurringEventId")}


def writes_sent(fake, since: int) -> list[tuple[str, str]]:
    return [c for c in fake.api_calls[since:] if c[0] in ("POST", "PUT", "PATCH", "DELETE")]


def move_and_cancel_in_google(fake) -> None:
    moved = (week(1, 2).isoformat(), week(1, 3).isoformat())
    fake.move_instance(
        CALENDAR,
        MASTER_ID,
        original(1),
        start={"dateTime": moved[0], "timeZone": "Europe/Paris"},
        end={"dateTime": moved[1], "timeZone": "Europe/Paris"},
    )
    fake.cancel_instance(CALENDAR, MASTER_ID, original(2))


def test_occurrence_moved_and_cancelled_in_google_become_exactly_two_overrides(google):
    db, fake, sync = google
    move_and_cancel_in_google(fake)
    result = sync()
    assert result["platform_updated"] == 2 and result["remote_updated"] == 0
    rows = series_rows(db)
    assert sorted(rows) == ["", moment_key(week(1)), moment_key(week(2))]
    moved, cancelled = rows[moment_key(week(1))], rows[moment_key(week(2))]
    assert (moved["start_at"], moved["end_at"]) == (week(1, 2), week(1, 3))
    assert moved["status"] == "confirmed" and cancelled["status"] == "cancelled"
    assert rows[""]["recurrence"] == "RRULE:FREQ=WEEKLY;COUNT=10"
    before = len(fake.api_calls)
    assert writes(sync()) == 0
    assert writes_sent(fake, before) == []


def test_occurrence_moved_and_cancelled_on_the_platform_become_exactly_two_exceptions(google):
    db, fake, sync = google
    add_override(db, 1, hours=2)
    add_override(db, 2, status="cancelled")
    before = len(fake.api_calls)
    result = sync()
    assert result["remote_updated"] + result["remote_created"] == 2
    assert result["platform_updated"] == 0
    # One call per occurrence, straight at its instance id: no listing of instances first.
    assert sorted(writes_sent(fake, before)) == [
        ("DELETE", f"/calendars/{CALENDAR}/events/{instance_id_for(MASTER_ID, week(2))}"),
        ("PUT", f"/calendars/{CALENDAR}/events/{instance_id_for(MASTER_ID, week(1))}"),
    ]
    assert sorted(exceptions(fake)) == sorted(instance_id_for(MASTER_ID, week(n)) for n in (1, 2))
    laid_out = instances(fake)
    assert len(laid_out) == 10
    moved, cancelled = laid_out[moment_key(week(1))], laid_out[moment_key(week(2))]
    assert _moment(moved["start"]) == week(1, 2) and cancelled["status"] == "cancelled"
    assert all(i["status"] == "confirmed" for k, i in laid_out.items() if i is not cancelled)
    before = len(fake.api_calls)
    assert writes(sync()) == 0
    assert writes_sent(fake, before) == []
    assert sorted(series_rows(db)) == ["", moment_key(week(1)), moment_key(week(2))]


def test_a_cancelled_occurrence_restored_on_the_platform_is_back_in_google(google):
    db, fake, sync = google
    add_override(db, 2, status="cancelled")
    sync()
    with db.begin() as conn:
        conn.execute(
            planning_events.update()
            .where(planning_events.c.recurrence_id == moment_key(week(2)))
            .values(status="confirmed", start_at=week(2, 1), end_at=week(2, 2))
        )
    assert sync()["remote_updated"] == 1
    restored = instances(fake)[moment_key(week(2))]
    assert restored["status"] == "confirmed" and _moment(restored["start"]) == week(2, 1)
    assert writes(sync()) == 0


def test_an_override_removed_on_the_platform_gives_the_occurrence_back(google):
    db, fake, sync = google
    add_override(db, 1, hours=2)
    sync()
    with db.begin() as conn:
        conn.execute(
            planning_events.delete().where(planning_events.c.recurrence_id == moment_key(week(1)))
        )
    assert sync()["remote_deleted"] == 1
    given_back = instances(fake)[moment_key(week(1))]
    assert _moment(given_back["start"]) == week(1) and given_back["status"] == "confirmed"
    # Google keeps it as an exception: it comes back as an override equal to the occurrence.
    sync()
    back = series_rows(db)[moment_key(week(1))]
    assert (back["start_at"], back["summary"]) == (week(1), "Weekly review")
    assert writes(sync()) == 0


def test_series_deleted_in_google_leaves_the_platform_with_its_overrides(google):
    db, fake, sync = google
    move_and_cancel_in_google(fake)
    sync()
    service = google_backend_for(fake).service
    service.events().delete(calendarId=CALENDAR, eventId=MASTER_ID).execute()
    result = sync()
    assert result["platform_deleted"] == 3 and result["remote_created"] == 0
    assert series_rows(db) == {}
    assert writes(sync()) == 0


def test_a_resync_after_410_with_exceptions_duplicates_and_deletes_nothing(google):
    db, fake, sync = google
    move_and_cancel_in_google(fake)
    add_override(db, 4, hours=1)
    add_override(db, 5, status="cancelled")
    sync()
    fake.expire_sync_tokens()
    before = len(fake.api_calls)
    result = sync()
    assert writes(result) == 0 and result["platform_deleted"] == result["remote_deleted"] == 0
    assert writes_sent(fake, before) == []
    assert len(series_rows(db)) == 5 and len(exceptions(fake)) == 4
    assert len(fake.items(CALENDAR)) == 3  # the master and the two moved occurrences


def test_a_foreign_series_blocks_the_moved_occurrence_and_not_the_cancelled_one(
    platform_db, google_fake
):
    add_series(platform_db)
    binding = add_binding(
        platform_db, provider="google", source=CALENDAR, resource="ana", direction="import"
    )
    start = NOW + timedelta(days=2)
    master_id = google_fake.add_foreign(
        CALENDAR,
        {
            "summary": "Team sync",
            "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
        },
    )
    sync = Sync(platform_db, binding, google_backend_for(google_fake))
    sync()

    def at(day: int, hours: int = 0) -> dict:
        return {"dateTime": (start + timedelta(days=day, hours=hours)).isoformat()}

    google_fake.move_instance(
        CALENDAR, master_id, at(1) | {"timeZone": "UTC"}, start=at(1, 4), end=at(1, 5)
    )
    google_fake.cancel_instance(CALENDAR, master_id, at(2) | {"timeZone": "UTC"})
    sync()
    with platform_db.engine.connect() as conn:
        starts = conn.execute(
            sa.select(availability.c.start_at).order_by(availability.c.start_at)
        ).scalars()
        blocked = [s.replace(tzinfo=s.tzinfo or start.tzinfo) for s in starts]
    assert blocked == [start, start + timedelta(days=1, hours=4)]


# -- the backend alone: retries, etags, mail, all-day series ---------------------------------


def _series_in_google(backend, **changes):
    from ponton.sync.port import RemoteWrite
    from tests.contract.remote_calendar import sample_event

    master = sample_event(UID, recurrence=("RRULE:FREQ=WEEKLY;COUNT=10",), **changes)
    (created,) = backend.apply_writes([RemoteWrite("create", UID, event=master)])
    assert created.error is None
    return master


def _occurrence(master, n: int, **changes):
    rid = master.start + timedelta(weeks=n)
    fields = {"start": rid, "end": rid + (master.end - master.start)}
    return replace(master, recurrence=(), recurrence_id=rid, **fields | changes)


def test_an_override_write_retried_after_a_crash_changes_nothing_more(google_fake):
    from ponton.sync.port import RemoteWrite

    backend = google_backend_for(google_fake)
    master = _series_in_google(backend)
    moved = _occurrence(master, 1, summary="moved")
    cancelled = _occurrence(master, 2, status="CANCELLED")
    writes_ = [RemoteWrite("create", UID, event=e) for e in (moved, cancelled)]
    first = backend.apply_writes(writes_)
    again = backend.apply_writes(writes_)  # the state was never recorded: the same writes
    assert [r.error for r in first + again] == [None] * 4
    assert [r.remote.event.content_hash() for r in first] == [
        r.remote.event.content_hash() for r in again
    ]
    assert len(exceptions(google_fake)) == 2


def test_an_override_update_with_a_stale_etag_is_refused_alone(google_fake):
    from ponton.errors import PreconditionFailed
    from ponton.sync.port import RemoteWrite

    backend = google_backend_for(google_fake)
    master = _series_in_google(backend)
    (written,) = backend.apply_writes(
        [RemoteWrite("create", UID, event=_occurrence(master, 1, summary="v1"))]
    )
    google_fake.edit(CALENDAR, written.remote.remote_id, summary="edited in Google")
    (stale,) = backend.apply_writes(
        [
            RemoteWrite(
                "update",
                UID,
                event=_occurrence(master, 1, summary="v2"),
                remote_id=written.remote.remote_id,
                etag=written.remote.etag,
            )
        ]
    )
    assert isinstance(stale.error, PreconditionFailed)
    assert exceptions(google_fake)[written.remote.remote_id]["summary"] == "edited in Google"


@pytest.mark.parametrize(("send_updates", "mailed"), [("none", 0), ("all", 1)])
def test_override_writes_honour_send_updates(google_fake, send_updates, mailed):
    from ponton.model import Attendee
    from ponton.sync.port import RemoteWrite

    backend = google_backend_for(google_fake, send_updates=send_updates)
    master = _series_in_google(backend, attendees=(Attendee("guest@example.com"),))
    google_fake.guest_mail.clear()
    (result,) = backend.apply_writes(
        [RemoteWrite("create", UID, event=_occurrence(master, 1, summary="moved"))]
    )
    assert result.error is None and len(google_fake.guest_mail) == mailed


def test_an_all_day_series_occurrence_is_written_and_read_by_its_date(google_fake):
    from datetime import date

    from ponton.sync.port import RemoteWrite
    from tests.contract.remote_calendar import WINDOW

    backend = google_backend_for(google_fake)
    master = _series_in_google(
        backend, start=date(2026, 3, 30), end=date(2026, 3, 31), timezone=None
    )
    cancelled = _occurrence(master, 2, status="CANCELLED")
    (result,) = backend.apply_writes([RemoteWrite("create", UID, event=cancelled)])
    assert result.error is None and result.remote.remote_id == f"{MASTER_ID}_20260413"
    listed = {r.event.key: r for r in backend.list_changes(None, *WINDOW).events}
    read = listed[f"{UID}#20260413"].event
    assert (read.recurrence_id, read.status) == (date(2026, 4, 13), "CANCELLED")
    assert read.content_hash() == result.remote.event.content_hash()


def test_an_override_of_an_occurrence_the_series_lacks_waits_as_stale(google_fake):
    from ponton.errors import PreconditionFailed
    from ponton.sync.port import RemoteWrite

    backend = google_backend_for(google_fake)
    master = _series_in_google(backend)
    moved = _occurrence(master, 1, summary="moved")
    nowhere = replace(moved, recurrence_id=moved.recurrence_id + timedelta(hours=1))
    (result,) = backend.apply_writes([RemoteWrite("create", UID, event=nowhere)])
    assert isinstance(result.error, PreconditionFailed)
    assert exceptions(google_fake) == {}


def test_the_fake_refuses_to_change_an_instances_original_start(google_fake):
    """As Google does: originalStartTime is immutable, it names the instance."""
    from googleapiclient.errors import HttpError

    backend = google_backend_for(google_fake)
    master = _series_in_google(backend)
    instance_id = instance_id_for(MASTER_ID, master.start + timedelta(weeks=1))
    events = backend.service.events()
    body = events.get(calendarId=CALENDAR, eventId=instance_id).execute()
    later = master.start + timedelta(weeks=2)
    body["originalStartTime"] = {"dateTime": later.isoformat(), "timeZone": "Europe/Paris"}
    with pytest.raises(HttpError) as refused:
        events.update(calendarId=CALENDAR, eventId=instance_id, body=body).execute()
    assert refused.value.resp.status == 400


def test_no_override_is_written_to_a_series_deleted_in_google(google_fake):
    from ponton.errors import PreconditionFailed
    from ponton.sync.port import RemoteWrite

    backend = google_backend_for(google_fake)
    master = _series_in_google(backend)
    backend.service.events().delete(calendarId=CALENDAR, eventId=MASTER_ID).execute()
    (result,) = backend.apply_writes(
        [RemoteWrite("create", UID, event=_occurrence(master, 1, summary="moved"))]
    )
    assert isinstance(result.error, PreconditionFailed)
    assert exceptions(google_fake) == {}
