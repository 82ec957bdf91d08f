"""Export is RFC 5545 shaped, injection-proof, and round-trips through the parser."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ponton.ics import export_calendar, feed_hash, parse_calendar
from ponton.model import Attendee, Event

pytestmark = pytest.mark.unit
PARIS = ZoneInfo("Europe/Paris")
STAMP = datetime(2026, 3, 1, tzinfo=UTC)


def event(**kw):
    base = {
        "uid": "evt-1@platform",
        "start": datetime(2026, 3, 30, 10, tzinfo=PARIS),
        "end": datetime(2026, 3, 30, 11, tzinfo=PARIS),
        "summary": "Atelier",
        "timezone": "Europe/Paris",
    }
    return Event(**(base | kw))


def test_text_with_line_breaks_and_separators_cannot_inject_properties():
    hostile = event(
        summary="Réunion\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil",
        location="a;b,c\\d",
        attendees=(Attendee("x@example.com", name='Eve"\r\nX-EVIL:1'),),
    )
    data = export_calendar([hostile], "Planning", dtstamp=STAMP)
    lines = data.split(b"\r\n")
    assert lines.count(b"BEGIN:VEVENT") == 1
    assert not any(line.startswith((b"UID:evil", b"X-EVIL")) for line in lines)
    [back] = parse_calendar(data).events
    assert back.summary == "Réunion\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil"
    assert back.location == "a;b,c\\d"


def test_export_has_vtimezone_for_each_zone_and_folds_at_75_octets():
    berlin = event(uid="b@p", timezone="America/New_York", description="é" * 200)
    data = export_calendar([event(), berlin], "Planning", dtstamp=STAMP)
    calendar = icalendar.Calendar.from_ical(data)
    assert {tz.tz_name for tz in calendar.timezones} == {"Europe/Paris", "America/New_York"}
    assert calendar["X-WR-CALNAME"] == "Planning" and calendar["METHOD"] == "PUBLISH"
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert data.count(b"DTSTAMP:20260301T000000Z") == 2


def test_sequence_is_written_as_given_and_uids_are_stable():
    data = export_calendar([event(sequence=7)], "P", dtstamp=STAMP)
    [back] = parse_calendar(data).events
    assert (back.uid, back.sequence) == ("evt-1@platform", 7)


def test_dtstamp_alone_does_not_change_the_feed_hash():
    first = export_calendar([event()], "P", dtstamp=STAMP)
    later = export_calendar([event()], "P", dtstamp=STAMP + timedelta(hours=5))
    assert first != later
    assert feed_hash(first) == feed_hash(later)
    assert feed_hash(export_calendar([event(summary="x")], "P", dtstamp=STAMP)) != feed_hash(first)


ZONES = st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"])
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)
RULES = st.sampled_from(
    [(), ("RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=MO",), ("RRULE:FREQ=DAILY;INTERVAL=2",)]
)


@st.composite
def events(draw, index):
    all_day = draw(st.booleans())
    day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 700)))
    length = draw(st.integers(0, 3 if all_day else 600))
    zone = None if all_day else draw(ZONES)
    if all_day:
        start, end = day, day + timedelta(days=max(length, 1))
    else:
        start = datetime.combine(day, datetime.min.time(), ZoneInfo(zone)) + timedelta(
            minutes=draw(st.integers(0, 24 * 60 - 1))
        )
        end = start + timedelta(minutes=length)
    recurrence = draw(RULES)
    if recurrence and not all_day:
        recurrence += (f"EXDATE:{(start + timedelta(days=7)).astimezone(UTC):%Y%m%dT%H%M%SZ}",)
    master = Event(
        uid=f"evt-{index}@platform",
        start=start,
        end=end,
        summary=draw(TEXT),
        description=draw(TEXT),
        location=draw(TEXT),
        timezone=zone,
        recurrence=recurrence,
        status=draw(st.sampled_from(["CONFIRMED", "TENTATIVE", "CANCELLED"])),
        transparency=draw(st.sampled_from(["OPAQUE", "TRANSPARENT"])),
        privacy=draw(st.sampled_from(["PUBLIC", "PRIVATE", "CONFIDENTIAL"])),
        sequence=draw(st.integers(0, 50)),
        attendees=tuple(
            Attendee(f"p{i}@example.com", partstat=draw(st.sampled_from(["ACCEPTED", "DECLINED"])))
            for i in range(draw(st.integers(0, 2)))
        ),
    )
    if not recurrence or all_day or not draw(st.booleans()):
        return (master,)
    moved = start + timedelta(days=14)
    override = Event(
        uid=master.uid,
        start=moved + timedelta(hours=1),
        end=moved + timedelta(hours=2),
        recurrence_id=moved,
        summary=draw(TEXT),
        timezone=zone,
        status=draw(st.sampled_from(["CONFIRMED", "CANCELLED"])),
    )
    return (master, override)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(*(events(i) for i in range(n)))), TEXT)
def test_export_then_parse_gives_the_same_content_hashes(groups, name):
    originals = [event for group in groups for event in group]
    data = export_calendar(originals, name, dtstamp=STAMP)
    parsed = parse_calendar(data, today=date(2026, 6, 1))
    assert parsed.errors == []
    assert {e.key: e.content_hash() for e in parsed.events} == {
        e.key: e.content_hash() for e in originals
    }
