from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ponton.model import Attendee, Event

PARIS = ZoneInfo("Europe/Paris")


def make(**kw):
    base = {
        "uid": "e1",
        "start": datetime(2026, 3, 29, 10, tzinfo=PARIS),
        "end": datetime(2026, 3, 29, 11, tzinfo=PARIS),
        "summary": "Atelier",
    }
    return Event(**(base | kw))


def test_same_instant_in_other_zone_hashes_the_same():
    utc = make(start=datetime(2026, 3, 29, 8, tzinfo=UTC), end=datetime(2026, 3, 29, 9, tzinfo=UTC))
    assert utc.content_hash() == make().content_hash()


def test_regenerated_fields_do_not_change_the_hash():
    edited = make(sequence=4, last_modified=datetime.now(UTC))
    assert edited.content_hash() == make().content_hash()


@pytest.mark.parametrize(
    "change",
    [
        {"summary": "Autre"},
        {"end": datetime(2026, 3, 29, 12, tzinfo=PARIS)},
        {"status": "CANCELLED"},
        {"attendees": (Attendee("a@example.com", partstat="ACCEPTED"),)},
        {"recurrence": ("RRULE:FREQ=DAILY;COUNT=2",)},
    ],
)
def test_meaningful_changes_change_the_hash(change):
    assert make(**change).content_hash() != make().content_hash()


def test_override_key_includes_recurrence_id():
    override = make(recurrence_id=datetime(2026, 3, 29, 10, tzinfo=PARIS))
    assert override.key == "e1#20260329T080000Z"
    assert make().key == "e1"


def test_all_day_events_use_dates():
    event = make(start=date(2026, 3, 29), end=date(2026, 3, 30))
    assert event.all_day and event.busy


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"start": datetime(2026, 3, 29, 10)}, "has no time zone"),
        ({"end": date(2026, 3, 30)}, "both be dates"),
        ({"end": datetime(2026, 3, 29, 7, tzinfo=timezone(timedelta(0)))}, "ends"),
    ],
)
def test_invalid_events_are_refused_with_the_reason(kw, message):
    with pytest.raises(ValueError, match=message):
        make(**kw)


def test_a_public_event_hashes_as_before_privacy_was_read():
    # The hash of an event without privacy or own answer is the one stored by earlier versions:
    # upgrading does not make every synced event look changed.
    assert set(make().content()) == {
        "uid",
        "recurrence_id",
        "start",
        "end",
        "summary",
        "description",
        "location",
        "recurrence",
        "status",
        "transparency",
        "attendees",
    }


def test_privacy_and_the_owners_answer_are_content():
    assert make(privacy="PRIVATE").content_hash() != make().content_hash()
    assert make(response="DECLINED").content_hash() != make().content_hash()
    assert make(privacy="CONFIDENTIAL").private and not make().private
