"""Outlook series as ponton series: exceptions and deleted occurrences from a master and its
instances (``ponton.calendars.backends.outlook_series``), without HTTP."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ponton.calendars.backends.outlook_series import (
    cancelled_id,
    excluded_starts,
    same_occurrence,
    series_components,
    split_cancelled_id,
)
from ponton.model import Event, moment_key
from ponton.sync.port import RemoteEvent

PARIS = ZoneInfo("Europe/Paris")
FIRST = datetime(2026, 3, 23, 9, tzinfo=PARIS)
WINDOW = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
MASTER = RemoteEvent(
    "AAMkMaster",
    Event(
        uid="weekly@ponton",
        start=FIRST,
        end=FIRST + timedelta(hours=1),
        summary="Revue",
        timezone="Europe/Paris",
        recurrence=("RRULE:FREQ=WEEKLY;COUNT=4",),
    ),
    'W/"1"',
    "weekly@ponton",
)


def week(n: int, hours: int = 0) -> datetime:
    return FIRST + timedelta(weeks=n, hours=hours)


def row(n: int, kind: str = "occurrence", hours: int = 0) -> dict:
    start = week(n, hours).astimezone(UTC)
    return {
        "id": f"AAMkOcc{n}",
        "type": kind,
        "seriesMasterId": "AAMkMaster",
        "originalStart": week(n).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "originalStartTimeZone": "Romance Standard Time",
        "iCalUId": f"other-{n}",
        "subject": "Revue déplacée" if kind == "exception" else "Revue",
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "end": {
            "dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
            "timeZone": "UTC",
        },
    }


def test_plain_occurrences_make_no_override_and_the_master_comes_first():
    found = series_components(MASTER, [row(n) for n in range(4)], *WINDOW)
    assert found == [MASTER]


def test_an_exception_is_an_override_of_the_series_uid_at_its_original_start_in_paris():
    _, moved = series_components(
        MASTER, [row(0), row(1, "exception", hours=2), row(2), row(3)], *WINDOW
    )
    assert moved.remote_id == "AAMkOcc1" and moved.platform_uid == "weekly@ponton"
    assert (
        moved.event.uid == "weekly@ponton"
        and moved.event.key == f"weekly@ponton#{moment_key(week(1))}"
    )
    assert moved.event.recurrence_id == week(1) and moved.event.recurrence_id.tzinfo == PARIS
    assert moved.event.start == week(1, 2) and moved.event.timezone == "Europe/Paris"
    assert moved.event.summary == "Revue déplacée" and not moved.event.recurrence


def test_an_occurrence_missing_from_the_instances_is_a_cancelled_override():
    _, gone = series_components(MASTER, [row(0), row(1), row(3)], *WINDOW)
    assert gone.remote_id == cancelled_id("AAMkMaster", week(2))
    assert split_cancelled_id(gone.remote_id) == ("AAMkMaster", moment_key(week(2)))
    assert gone.event.status == "CANCELLED" and gone.event.recurrence_id == week(2)
    assert split_cancelled_id("AAMkOcc1") is None


def test_only_occurrences_inside_the_window_can_be_read_as_deleted():
    late = (week(2) - timedelta(hours=1), WINDOW[1])
    assert series_components(MASTER, [row(2), row(3)], *late) == [MASTER]


def test_exdate_lines_give_their_starts_in_every_form():
    lines = (
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "EXDATE;TZID=Europe/Paris:20260330T090000,20260406T090000",
        "EXDATE:20260413T070000Z",
        "EXDATE;VALUE=DATE:20260420",
    )
    assert excluded_starts(lines, "Europe/Paris") == [
        week(1),
        week(2),
        week(3),
        date(2026, 4, 20),
    ]


def test_an_instance_is_matched_by_its_original_start_instant():
    assert same_occurrence(row(1, "exception", hours=2), week(1).astimezone(UTC))
    assert not same_occurrence(row(1), week(2))
