"""Parsing real-world shaped calendars into the Event model."""

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ponton.errors import InvalidInputError
from ponton.ics import Limits, parse_calendar

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ics"
PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 3, 15)


def parse(name, **kw):
    return parse_calendar((FIXTURES / name).read_bytes(), today=TODAY, **kw)


def by_uid(parsed):
    return {e.key: e for e in parsed.events}


def test_google_export_reads_utc_times_in_the_x_wr_timezone():
    parsed = parse("google_export.ics")
    events = by_uid(parsed)
    assert parsed.errors == []
    assert parsed.name == "ana.martin@example.com" and parsed.method == "PUBLISH"
    weekly = events["7kukuqrfedlm2f9t2aq9j0c3f4@google.com"]
    assert weekly.start == datetime(2026, 3, 2, 9, tzinfo=PARIS)
    assert weekly.timezone == "Europe/Paris"
    assert weekly.location == "Salle Seine, 3e étage"
    assert weekly.recurrence[0].startswith("RRULE:FREQ=WEEKLY;UNTIL=")


def test_google_attendees_keep_participation_status():
    review = by_uid(parse("google_export.ics"))["4f1e5d6c7b@google.com"]
    assert {(a.email, a.partstat) for a in review.attendees} == {
        ("ana.martin@example.com", "ACCEPTED"),
        ("bruno.leroy@example.com", "TENTATIVE"),
    }
    assert review.organizer == "bruno.leroy@example.com"
    assert review.sequence == 2
    assert review.description == "Ordre du jour :\n1. relevés\n2. planning"


def test_outlook_windows_zone_names_become_iana_zones():
    parsed = parse("outlook_windows_zones.ics")
    assert parsed.errors == []
    zones = sorted(e.timezone for e in parsed.events)
    assert zones == ["Europe/Berlin", "Europe/Paris"]
    comite = next(e for e in parsed.events if e.summary == "Comité de pilotage")
    assert comite.start == datetime(2026, 3, 31, 8, tzinfo=UTC)


def test_dst_transitions_keep_wall_clock_times():
    events = by_uid(parse("dst_paris.ics"))
    spring = events["overnight-spring@test"]
    assert spring.start.astimezone(UTC) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert spring.end.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    autumn = events["overnight-autumn@test"]
    assert (autumn.end.astimezone(UTC) - autumn.start.astimezone(UTC)).seconds == 3 * 3600


def test_floating_time_is_read_in_the_default_zone():
    events = by_uid(parse("dst_paris.ics", default_timezone="Europe/Paris"))
    floating = events["floating@test"]
    assert floating.start == datetime(2026, 3, 30, 14, tzinfo=PARIS)
    assert floating.end == datetime(2026, 3, 30, 16, tzinfo=PARIS)


def test_all_day_events_use_exclusive_end_dates():
    events = by_uid(parse("all_day.ics"))
    assert (events["conference@test"].start, events["conference@test"].end) == (
        date(2026, 3, 23),
        date(2026, 3, 26),
    )
    assert events["one-day-no-end@test"].end == date(2026, 3, 28)
    assert not events["one-day-no-end@test"].busy
    assert events["duration-days@test"].end == date(2026, 4, 1)


def test_recurring_series_keeps_overrides_exdates_and_cancelled_instances():
    events = by_uid(parse("recurring_series.ics"))
    master = events["series@test"]
    assert "EXDATE:20260316T130000Z" in master.recurrence
    assert "RDATE:20260319T130000Z" in master.recurrence
    moved = events["series@test#20260323T130000Z"]
    assert moved.start == datetime(2026, 3, 24, 16, tzinfo=PARIS)
    assert events["series@test#20260330T120000Z"].status == "CANCELLED"


def test_method_cancel_cancels_every_event():
    parsed = parse("cancel.ics")
    assert parsed.method == "CANCEL"
    assert [e.status for e in parsed.events] == ["CANCELLED"]


def test_method_reply_lists_attendee_answers():
    parsed = parse("reply.ics")
    assert parsed.method == "REPLY"
    [reply] = parsed.replies
    assert (reply.uid, reply.attendee, reply.partstat) == (
        "M-2026-014-w0-ana.martin@demo.ponton",
        "Bruno.Leroy@example.com",
        "DECLINED",
    )


def test_hostile_components_are_isolated_and_the_rest_imports():
    parsed = parse("hostile.ics")
    keys = set(by_uid(parsed))
    # An end before the start is swapped (as recurring-ical-events reads it), not skipped.
    assert keys == {"injection@test", "backwards@test", "unknown-tz@test", "fine@test"}
    assert by_uid(parsed)["injection@test"].summary.startswith("Réunion\nEND:VEVENT")
    joined = "\n".join(parsed.errors)
    for uid in ("secondly@test", "impossible@test", "backwards@test", "unknown-tz@test"):
        assert uid in joined
    assert "Mars/Olympus_Mons" in joined


def test_huge_description_is_cut_and_reported():
    text = "x" * (10 * 1024 * 1024)
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:big@test\r\n"
        "DTSTART:20260310T090000Z\r\nDESCRIPTION:" + text + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    parsed = parse_calendar(data, today=TODAY)
    [event] = parsed.events
    assert len(event.description) == Limits().max_text_chars
    assert "cut to" in parsed.errors[0]


def test_deeply_nested_components_are_dropped_not_recursed():
    nested = "BEGIN:VEVENT\r\n" * 5000 + "END:VEVENT\r\n" * 5000
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n" + nested + "BEGIN:VEVENT\r\nUID:ok@test"
        "\r\nDTSTART:20260310T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    parsed = parse_calendar(data, today=TODAY)
    assert [e.uid for e in parsed.events] == ["ok@test"]
    assert "nested deeper" in parsed.errors[0]


@pytest.mark.parametrize(
    "data",
    [b"", b"<html><body>Sign in</body></html>", b"\x89PNG\r\n\x1a\n", b"BEGIN:VCARD\r\nEND:VCARD"],
)
def test_input_that_is_not_a_calendar_is_rejected_in_one_sentence(data):
    with pytest.raises(InvalidInputError) as error:
        parse_calendar(data)
    assert "\n" not in str(error.value) and "not an iCalendar file" in str(error.value)


def test_limits_on_size_and_component_count_are_enforced():
    data = (FIXTURES / "all_day.ics").read_bytes()
    with pytest.raises(InvalidInputError, match="byte limit"):
        parse_calendar(data, Limits(max_bytes=100))
    with pytest.raises(InvalidInputError, match="3 events, over the 2-event limit"):
        parse_calendar(data, Limits(max_components=2))


def test_unknown_tzid_is_reported_even_when_x_wr_timezone_applies():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nX-WR-TIMEZONE:Europe/Paris\r\n"
        b"BEGIN:VEVENT\r\nUID:a@test\r\nDTSTART;TZID=Nowhere/Land:20260330T110000\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    parsed = parse_calendar(data, today=TODAY)
    assert parsed.events[0].start == datetime(2026, 3, 30, 11, tzinfo=PARIS)
    assert parsed.errors == [
        "VEVENT at line 5 (UID a@test): unknown TZID 'Nowhere/Land' on DTSTART; read in "
        "Europe/Paris"
    ]
