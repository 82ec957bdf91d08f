"""Block-wise import: only what changed is parsed and listed, and the result equals a full read."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ponton.ics import incremental
from ponton.ics.expand import events_in_window
from ponton.ics.incremental import BlockIndex, import_feed
from ponton.ics.parse import parse_calendar

pytestmark = pytest.mark.unit
WILD = Path(__file__).parents[2] / "fixtures" / "ics" / "wild"
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
PARIS = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)


def event(uid: str, day: int, summary: str = "x", extra: str = "", stamp: str = "1") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:2026010{stamp}T000000Z\r\n"
        f"DTSTART;TZID=Europe/Paris:202603{day:02d}T100000\r\n"
        f"DTEND;TZID=Europe/Paris:202603{day:02d}T110000\r\nSUMMARY:{summary}\r\n{extra}"
        "END:VEVENT\r\n"
    )


def feed(*events: str, zone: str = PARIS, name: str = "Team") -> bytes:
    head = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nX-WR-CALNAME:{name}\r\n{zone}"
    return (head + "".join(events) + "END:VCALENDAR\r\n").encode()


def read(data: bytes, previous=None, window=WINDOW):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = import_feed(data, previous, *window)
    # The index goes through its stored form, as it does in the feed cursor.
    return result, BlockIndex.decode(result.index.encode())


def test_first_import_lists_every_event_in_the_window():
    result, _ = read(feed(event("a", 2), event("b", 3)))
    assert result.full and sorted(e.uid for e in result.events) == ["a", "b"]


def test_only_the_edited_event_is_parsed_and_listed():
    _, index = read(feed(event("a", 2), event("b", 3), event("c", 4)))
    edited, _ = read(feed(event("a", 2, stamp="9"), event("b", 3, "moved"), event("c", 4)), index)
    assert not edited.full and edited.deleted == []
    assert [(e.uid, e.summary) for e in edited.events] == [("b", "moved")]


def test_a_removed_event_and_a_removed_override_are_deleted():
    series = event("s", 2, extra="RRULE:FREQ=DAILY;COUNT=5\r\n")
    moved = event("s", 5, "moved", extra="RECURRENCE-ID;TZID=Europe/Paris:20260304T100000\r\n")
    _, index = read(feed(series, moved, event("b", 3)))
    result, _ = read(feed(series), index)
    assert sorted(result.deleted) == ["b", "s#20260304T090000Z"]
    assert [e.key for e in result.events] == ["s"]


def test_a_changed_vtimezone_relists_the_events_that_use_it():
    _, index = read(feed(event("a", 2)))
    shifted = PARIS.replace("+0100\r\nEND", "+0130\r\nEND")
    result, _ = read(feed(event("a", 2), zone=shifted), index)
    assert [e.uid for e in result.events] == ["a"] and not result.full


def test_a_changed_calendar_header_reads_everything_again():
    _, index = read(feed(event("a", 2), event("b", 3)))
    result, _ = read(feed(event("a", 2), event("b", 3), name="Renamed"), index)
    assert result.full and len(result.events) == 2


def test_an_unchanged_event_entering_the_window_is_listed():
    later = (datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    _, index = read(feed(event("a", 2), event("b", 20)), window=later)
    moved_on = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC))
    result, _ = read(feed(event("a", 2), event("b", 20)), index, window=moved_on)
    assert [e.uid for e in result.events] == ["a"] and result.deleted == []


def test_an_unreadable_index_means_a_full_import():
    assert BlockIndex.decode("not base64 zlib json") is None
    assert BlockIndex.decode(None) is None


def test_uid_less_events_keep_their_derived_uids_when_a_neighbour_changes():
    def holiday(day: int, summary: str = "Holiday") -> str:
        when = f"DTSTART;VALUE=DATE:202603{day:02d}"
        return f"BEGIN:VEVENT\r\n{when}\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n"

    first, index = read(feed(holiday(2), holiday(2), holiday(3)))
    uids = sorted(e.uid for e in first.events)
    again, _ = read(feed(holiday(2), holiday(2), holiday(3, "Renamed")), index)
    assert len(set(uids)) == 3
    assert sorted(again.deleted) == sorted(set(uids) - {e.uid for e in first.events[:2]})
    assert [e.summary for e in again.events] == ["Renamed"]


@pytest.mark.parametrize("path", sorted(WILD.glob("*.ics")), ids=lambda p: p.stem)
def test_reading_in_slices_lists_what_a_whole_parse_lists(path, monkeypatch):
    data = path.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole, _ = events_in_window(parse_calendar(data), *WINDOW)
        monkeypatch.setattr(incremental, "SLICE_BLOCKS", 1)
        sliced = import_feed(data, None, *WINDOW)
    assert sorted(e.key for e in sliced.events) == sorted(e.key for e in whole)
    assert {e.content_hash() for e in sliced.events} == {e.content_hash() for e in whole}
