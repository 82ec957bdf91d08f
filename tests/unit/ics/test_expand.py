"""Expansion counts are recurring-ical-events' own, and hostile rules never hang."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from ponton.errors import InvalidInputError
from ponton.ics import default_window, expand, parse_calendar

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ics"
PARIS = ZoneInfo("Europe/Paris")
WINDOW = (date(2026, 3, 1), date(2026, 4, 30))


@pytest.mark.parametrize(
    "name",
    [
        "google_export.ics",
        "outlook_windows_zones.ics",
        "dst_paris.ics",
        "all_day.ics",
        "recurring_series.ics",
    ],
)
def test_occurrence_count_matches_recurring_ical_events(name):
    data = (FIXTURES / name).read_bytes()
    expected = recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(*WINDOW)
    assert len(expand(data, *WINDOW)) == len(expected)


def test_series_with_moved_and_cancelled_instances():
    parsed = parse_calendar((FIXTURES / "recurring_series.ics").read_bytes())
    occurrences = sorted(expand(parsed, *WINDOW), key=lambda o: o.start)
    starts = [o.start for o in occurrences]
    assert datetime(2026, 3, 16, 14, tzinfo=PARIS) not in starts  # EXDATE
    assert datetime(2026, 3, 19, 14, tzinfo=PARIS) in starts  # RDATE
    moved = next(o for o in occurrences if o.event.recurrence_id is not None and o.busy)
    assert moved.start == datetime(2026, 3, 24, 16, tzinfo=PARIS)
    cancelled = [o for o in occurrences if o.event.status == "CANCELLED"]
    assert [o.start for o in cancelled] == [datetime(2026, 3, 30, 14, tzinfo=PARIS)]


def test_unbounded_secondly_rule_is_left_out_not_expanded():
    data = (FIXTURES / "hostile.ics").read_bytes()
    parsed = parse_calendar(data, today=date(2026, 3, 15))
    result = expand(parsed, date(2026, 1, 1), date(2027, 1, 1))
    expected = {"injection@test", "backwards@test", "unknown-tz@test", "fine@test"}
    assert {o.uid for o in result} == expected


def test_expand_guards_its_own_window():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:s@test\r\n"
        b"DTSTART:20300101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    parsed = parse_calendar(data, today=date(2026, 1, 1))  # the series starts after the window
    assert [e.uid for e in parsed.events] == ["s@test"]
    result = expand(parsed, date(2030, 1, 1), date(2030, 2, 1))
    assert list(result) == [] and "s@test" in result.errors[0]


def test_window_longer_than_the_limit_is_refused():
    with pytest.raises(InvalidInputError, match="day limit"):
        expand(
            parse_calendar((FIXTURES / "all_day.ics").read_bytes()),
            date(2020, 1, 1),
            date(2030, 1, 1),
        )


def test_default_window_is_a_month_back_and_a_year_ahead():
    assert default_window(date(2026, 3, 15)) == (date(2026, 2, 12), date(2027, 3, 16))


@pytest.mark.parametrize(
    "name",
    [
        "google_export.ics",
        "dst_paris.ics",
        "all_day.ics",
        "recurring_series.ics",
        "outlook_windows_zones.ics",
    ],
)
@pytest.mark.parametrize(
    "window",
    [
        (date(2026, 3, 1), date(2026, 3, 20)),
        (date(2026, 3, 24), date(2026, 3, 31)),
        (date(2026, 10, 1), date(2026, 12, 1)),
    ],
)
def test_events_in_window_agrees_with_a_full_expansion(name, window):
    from datetime import UTC, time

    from ponton.ics.expand import events_in_window

    parsed = parse_calendar((FIXTURES / name).read_bytes(), default_timezone="Europe/Paris")
    start, end = (datetime.combine(d, time(), UTC) for d in window)
    listed, _ = events_in_window(parsed, start, end)
    assert {e.uid for e in listed} == {o.uid for o in expand(parsed, start, end)}
