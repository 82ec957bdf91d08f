"""Busy time of whole series: overrides replace the occurrences they name."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from hypothesis import given
from hypothesis import strategies as st

from ponton.ics.export import export_calendar
from ponton.model import Event
from ponton.sync.occurrences import series_occurrences

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 3, 23, 10, tzinfo=PARIS)
WINDOW = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
MASTER = Event(
    uid="weekly",
    start=MONDAY,
    end=MONDAY + timedelta(hours=1),
    timezone="Europe/Paris",
    recurrence=("RRULE:FREQ=WEEKLY;COUNT=6",),
)


def override(week: int, *, hours: int = 0, status: str = "CONFIRMED") -> Event:
    original = MONDAY + timedelta(weeks=week)
    return replace(
        MASTER,
        recurrence=(),
        recurrence_id=original,
        start=original + timedelta(hours=hours),
        end=original + timedelta(hours=hours + 1),
        status=status,
    )


def busy(events):
    return sorted(
        (s.astimezone(UTC), e.astimezone(UTC))
        for event, s, e in series_occurrences(events, *WINDOW, zone=PARIS)
        if event.busy
    )


def test_moved_occurrence_is_busy_at_its_new_time_only_and_cancelled_one_is_free():
    spans = busy([MASTER, override(1, hours=3), override(2, status="CANCELLED")])
    starts = [s.astimezone(PARIS) for s, _ in spans]
    assert len(starts) == 5
    assert MONDAY + timedelta(weeks=1) not in starts
    assert MONDAY + timedelta(weeks=1, hours=3) in starts
    assert MONDAY + timedelta(weeks=2) not in starts


def test_all_day_series_override_replaces_its_day():
    day = date(2026, 3, 23)
    master = Event(
        uid="d", start=day, end=day + timedelta(days=1), recurrence=("RRULE:FREQ=DAILY;COUNT=3",)
    )
    moved = replace(
        master,
        recurrence=(),
        recurrence_id=day + timedelta(days=1),
        start=day + timedelta(days=5),
        end=day + timedelta(days=6),
    )
    starts = [s.date() for _, s, _ in series_occurrences([master, moved], *WINDOW, zone=PARIS)]
    assert sorted(starts) == [day, day + timedelta(days=2), day + timedelta(days=5)]


@given(
    moves=st.dictionaries(
        st.integers(0, 5),
        st.tuples(st.integers(-30, 30), st.sampled_from(["CONFIRMED", "CANCELLED"])),
        max_size=6,
    )
)
def test_same_busy_time_as_recurring_ical_events_on_the_whole_calendar(moves):
    events = [MASTER] + [override(w, hours=h, status=s) for w, (h, s) in moves.items()]
    calendar = icalendar.Calendar.from_ical(export_calendar(events, "t"))
    expected = sorted(
        (c.start.astimezone(UTC), c.end.astimezone(UTC))
        for c in recurring_ical_events.of(calendar).between(*WINDOW)
        if str(c.get("STATUS", "CONFIRMED")) != "CANCELLED"
    )
    assert busy(events) == expected
