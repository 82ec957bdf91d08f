from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
from hypothesis import given

from ponton.sync.conflicts import Interval, find_double_bookings, naive_double_bookings

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def at(h, dur, origin, ref):
    return Interval(T0 + timedelta(minutes=h), T0 + timedelta(minutes=h + dur), origin, ref)


def pairs(found):
    return sorted((d.imported.ref, d.other.ref) for d in found)


def test_overlap_between_imported_and_planning_is_a_double_booking():
    found = list(
        find_double_bookings(
            "ana",
            [
                at(0, 60, "planning", "p1"),
                at(30, 60, "imported", "dentist"),
                at(60, 30, "availability", "training"),
                at(90, 30, "imported", "touching-only"),
                at(200, 30, "planning", "p2"),
                at(200, 30, "planning", "p3"),
            ],
        )
    )
    assert pairs(found) == [("dentist", "p1"), ("dentist", "training")]
    assert found[0].fingerprint != found[1].fingerprint


intervals = st.lists(
    st.builds(
        at,
        st.integers(0, 500),
        st.integers(0, 120),
        st.sampled_from(["imported", "planning", "availability"]),
        st.uuids().map(str),
    ),
    max_size=40,
)


@given(intervals)
def test_sweep_finds_exactly_what_the_pairwise_check_finds(items):
    assert pairs(find_double_bookings("r", items)) == pairs(naive_double_bookings("r", items))


def test_all_day_series_with_a_date_only_until_expands():
    from datetime import date

    from ponton.model import Event
    from ponton.sync.occurrences import occurrences

    series = Event(
        uid="a",
        start=date(2026, 3, 2),
        end=date(2026, 3, 3),
        recurrence=("RRULE:FREQ=WEEKLY;UNTIL=20260323",),
        timezone="Europe/Paris",
    )
    found = occurrences(series, T0, T0 + timedelta(days=60))
    assert [s.day for s, _ in found] == [2, 9, 16, 23]
    assert all(e - s == timedelta(days=1) for s, e in found)
