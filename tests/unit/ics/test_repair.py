"""Recoverable defects of published feeds are repaired and reported, never a skipped event."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ponton.ics import parse_calendar
from ponton.ics.repair import DERIVED_UID_DOMAIN

pytestmark = pytest.mark.unit
WILD = Path(__file__).parents[2] / "fixtures" / "ics" / "wild"
TODAY = date(2026, 3, 1)


def calendar(*events: str, head: str = "VERSION:2.0\r\nPRODID:-//test//EN\r\n") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e}END:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\n{head}{body}END:VCALENDAR\r\n".encode()


def parse(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return parse_calendar(data, today=TODAY)


HOLIDAY = "DTSTART;VALUE=DATE:20260501\r\nSUMMARY:Tag der Arbeit\r\n"


def test_derived_uid_survives_a_new_dtstamp_and_an_edited_description():
    first = parse(calendar(HOLIDAY + "DTSTAMP:20260101T000000Z\r\nDESCRIPTION:old\r\n"))
    again = parse(calendar(HOLIDAY + "DTSTAMP:20260301T101010Z\r\nDESCRIPTION:new\r\n"))
    assert first.events[0].uid == again.events[0].uid
    assert first.events[0].uid.endswith(f"@{DERIVED_UID_DOMAIN}")
    assert again.events[0].description == "new"


def test_derived_uid_changes_with_the_start_or_the_summary():
    base = parse(calendar(HOLIDAY)).events[0].uid
    moved = parse(calendar("DTSTART;VALUE=DATE:20260502\r\nSUMMARY:Tag der Arbeit\r\n"))
    renamed = parse(calendar("DTSTART;VALUE=DATE:20260501\r\nSUMMARY:Maifeiertag\r\n"))
    assert base not in {moved.events[0].uid, renamed.events[0].uid}


def test_identical_uid_less_events_get_distinct_uids_and_are_reported_as_derived():
    parsed = parse(calendar(HOLIDAY, HOLIDAY))
    uids = [e.uid for e in parsed.events]
    assert len(set(uids)) == 2
    assert parsed.derived_uids == uids
    assert all("derived from DTSTART and SUMMARY" in e for e in parsed.errors)


def test_empty_rrule_reads_as_a_single_event_with_a_warning():
    parsed = parse(calendar("UID:a\r\nDTSTART;VALUE=DATE:20260501\r\nRRULE:\r\nSUMMARY:x\r\n"))
    assert [e.uid for e in parsed.events] == ["a"]
    assert parsed.events[0].recurrence == ()
    assert parsed.errors == ["VEVENT at line 4 (UID a): RRULE '' cannot be read; it was ignored"]


def test_unreadable_rrule_keeps_the_event_and_the_rest_of_the_calendar():
    parsed = parse(
        calendar(
            "UID:a\r\nDTSTART:20260501T100000Z\r\nRRULE:FREQ=SOMETIMES\r\nSUMMARY:x\r\n",
            "UID:b\r\nDTSTART:20260501T100000Z\r\nRRULE:FREQ=DAILY;COUNT=2\r\nSUMMARY:y\r\n",
        )
    )
    assert [(e.uid, e.recurrence) for e in parsed.events] == [
        ("a", ()),
        ("b", ("RRULE:FREQ=DAILY;COUNT=2",)),
    ]


def test_end_before_start_is_swapped_as_the_reference_reads_it():
    parsed = parse(calendar("UID:a\r\nDTSTART:20260501T100000Z\r\nDTEND:20260501T090000Z\r\n"))
    event = parsed.events[0]
    assert (event.start, event.end) == (
        datetime(2026, 5, 1, 9, tzinfo=UTC),
        datetime(2026, 5, 1, 10, tzinfo=UTC),
    )
    assert "the two were swapped" in parsed.errors[0]


def test_dtend_wins_over_a_duration_next_to_it():
    parsed = parse(
        calendar("UID:a\r\nDTSTART:20260501T100000Z\r\nDTEND:20260501T120000Z\r\nDURATION:PT1H\r\n")
    )
    assert parsed.events[0].end == datetime(2026, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tzid", "zone"),
    [
        ("/mozilla.org/20050126_1/Europe/Berlin", "Europe/Berlin"),
        ("/softwarestudio.org/Olson_20011030_5/America/New_York", "America/New_York"),
        ("/example.com/v2/America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ],
)
def test_vendor_prefixed_tzids_resolve_to_the_iana_zone(tzid, zone):
    vtimezone = (
        f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    for head in ("VERSION:2.0\r\n", f"VERSION:2.0\r\n{vtimezone}"):
        parsed = parse(calendar(f"UID:a\r\nDTSTART;TZID={tzid}:20260501T100000\r\n", head=head))
        assert parsed.events[0].timezone == zone


def test_bom_lf_endings_and_missing_version_still_read():
    data = b"\xef\xbb\xbfBEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20260501\n"
    data += b"SUMMARY:long\n  line\nEND:VEVENT\nEND:VCALENDAR\n"
    parsed = parse(data)
    assert [(e.uid, e.summary) for e in parsed.events] == [("a", "long line")]
    assert parsed.errors == []
