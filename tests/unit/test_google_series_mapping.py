"""Overrides ↔ Google exception instances: ids, bodies and the reading of instances and stubs."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ponton.calendars.backends import google_mapping as google
from ponton.model import Event

PARIS = ZoneInfo("Europe/Paris")
MASTER = Event(
    uid="weekly@ponton",
    start=datetime(2026, 3, 23, 9, tzinfo=PARIS),
    end=datetime(2026, 3, 23, 10, tzinfo=PARIS),
    timezone="Europe/Paris",
    summary="Weekly review",
    recurrence=("RRULE:FREQ=WEEKLY;COUNT=10",),
)


def test_instance_ids_are_the_master_id_and_the_original_start_in_utc_or_as_a_date():
    assert google.instance_id_for("abcde", datetime(2026, 3, 30, 9, tzinfo=PARIS)) == (
        "abcde_20260330T070000Z"
    )
    assert google.instance_id_for("abcde", date(2026, 3, 30)) == "abcde_20260330"
    assert google.series_id_of("abcde_20260330") == "abcde"
    assert google.series_id_of("abcde") is None
    at = datetime(2026, 3, 30, 7, tzinfo=UTC)
    assert google.original_start_of("abcde_20260330T070000Z") == at


def test_an_override_is_written_as_its_instance_without_recurrence():
    rid = datetime(2026, 3, 30, 9, tzinfo=PARIS)
    moved = Event(
        uid=MASTER.uid,
        start=rid + timedelta(hours=2),
        end=rid + timedelta(hours=3),
        timezone="Europe/Paris",
        recurrence_id=rid,
    )
    body = google.to_google(moved, MASTER.uid)
    master_id = google.event_id_for(MASTER.uid)
    assert body["id"] == google.instance_id_for(master_id, rid)
    assert body["recurringEventId"] == master_id
    assert body["originalStartTime"] == {"dateTime": rid.isoformat(), "timeZone": "Europe/Paris"}
    assert "recurrence" not in body


@given(
    st.integers(0, 9),
    st.sampled_from([0, 2, 26]),
    st.sampled_from(["CONFIRMED", "TENTATIVE", "CANCELLED"]),
)
def test_an_override_read_back_from_google_is_the_one_written(week, shift, status):
    """What the sync compares survives the round trip; a cancellation reads as Google's stub
    does, whatever the override held, so a written cancellation is not taken for an edit."""
    rid = MASTER.start + timedelta(weeks=week)
    override = Event(
        uid=MASTER.uid,
        start=rid + timedelta(hours=shift),
        end=rid + timedelta(hours=shift + 1),
        timezone="Europe/Paris",
        summary="moved",
        recurrence_id=rid,
        status=status,
    )
    body = google.to_google(override, MASTER.uid)
    if status == "CANCELLED":
        body = {k: body[k] for k in ("id", "recurringEventId", "originalStartTime")}
        body["status"] = "cancelled"
    else:  # the harsher reading: an exception need not carry the master's properties
        body.pop("extendedProperties")
    master = google.to_google(MASTER, MASTER.uid)
    read = google.occurrence_from_google(body, **google.series_of(master))
    assert (read.platform_uid, read.event.key) == (MASTER.uid, override.key)
    if status == "CANCELLED":
        written = google.cancelled_occurrence(MASTER.uid, rid, "Europe/Paris", body["id"])
        assert read.event.content_hash() == written.event.content_hash()
    else:
        assert read.event.content_hash() == override.content_hash()


def test_an_all_day_series_names_its_occurrences_by_date():
    master = google.to_google(
        Event(uid="days", start=date(2026, 3, 2), end=date(2026, 3, 3), recurrence=("FREQ=DAILY",)),
        "days",
    )
    stub = {
        "id": f"{master['id']}_20260304",
        "recurringEventId": master["id"],
        "originalStartTime": {"date": "2026-03-04"},
        "status": "cancelled",
    }
    read = google.occurrence_from_google(stub, **google.series_of(master)).event
    assert (read.recurrence_id, read.start, read.end) == (
        date(2026, 3, 4),
        date(2026, 3, 4),
        date(2026, 3, 5),
    )


def test_an_occurrence_given_back_gets_the_series_fields_at_its_own_time():
    master = google.to_google(MASTER, MASTER.uid) | {"status": "confirmed"}
    rid = MASTER.start + timedelta(weeks=1)
    plain = google.plain_occurrence_body(master, google.instance_id_for(master["id"], rid))
    read = google.occurrence_from_google(plain, **google.series_of(master)).event
    assert (read.start, read.end, read.summary) == (rid, rid + timedelta(hours=1), MASTER.summary)
    assert read.recurrence_id == rid and not read.recurrence
