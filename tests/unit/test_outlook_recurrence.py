"""RRULE <-> Graph patternedRecurrence: every rule Graph can hold survives Event -> Graph JSON ->
Event with the same content hash and the same occurrences; the rest is refused per event, naming
the part Graph cannot hold."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ponton.calendars.backends import outlook_mapping as outlook
from ponton.errors import InvalidInputError
from ponton.model import Event
from ponton.sync.occurrences import occurrences
from ponton.sync.planner import sync_hash
from tests.fakes.graph_series import invalid_recurrence

pytestmark = pytest.mark.unit

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ZONES = st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"])


def _days(draw, min_size=1):
    chosen = draw(st.sets(st.sampled_from(DAYS), min_size=min_size, max_size=7))
    return [d for d in DAYS if d in chosen]


@st.composite
def series(draw, ends=("count", "until", "none"), all_day=None):
    """A recurring Event whose rule is in the space Graph holds, written canonically."""
    if draw(st.booleans()) if all_day is None else all_day:
        zone = None
        start = draw(st.dates(date(2024, 1, 1), date(2030, 12, 31)))
        end = start + timedelta(days=draw(st.integers(1, 3)))
    else:
        zone = draw(ZONES)
        naive = draw(st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31)))
        start = naive.replace(second=0, microsecond=0, tzinfo=ZoneInfo(zone))
        end = start + timedelta(minutes=draw(st.integers(15, 600)))
    local_day = start if zone is None else start.date()
    kind = draw(
        st.sampled_from(
            ["daily", "weekly", "absMonthly", "relMonthly", "absYearly", "relYearly", "setpos"]
        )
    )
    freq = {"daily": "DAILY", "weekly": "WEEKLY"}.get(kind)
    parts = [f"FREQ={freq or ('YEARLY' if kind.endswith('Yearly') else 'MONTHLY')}"]
    end_kind = draw(st.sampled_from(ends))
    if end_kind == "count":
        parts.append(f"COUNT={draw(st.integers(1, 50))}")
    elif end_kind == "until":
        last = local_day + timedelta(days=draw(st.integers(0, 800)))
        if zone is None:
            parts.append(f"UNTIL={last:%Y%m%d}")
        else:
            until = datetime.combine(last, start.timetz()).astimezone(UTC)
            parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    interval = draw(st.integers(1, 4))
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    index = draw(st.sampled_from([1, 2, 3, 4, -1]))
    if kind == "weekly":
        parts.append("BYDAY=" + ",".join(_days(draw)))
    elif kind in ("relMonthly", "relYearly"):
        parts.append(f"BYDAY={index}{draw(st.sampled_from(DAYS))}")
    elif kind == "setpos":
        parts.append("BYDAY=" + ",".join(_days(draw, min_size=2)))
    elif kind != "daily":
        parts.append(f"BYMONTHDAY={draw(st.integers(1, 28))}")
    if kind.endswith("Yearly"):
        parts.append(f"BYMONTH={draw(st.integers(1, 12))}")
    if kind == "setpos":
        parts.append(f"BYSETPOS={index}")
    if kind == "weekly" and draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(DAYS[1:]))}")
    return Event(
        uid="series@platform",
        start=start,
        end=end,
        timezone=zone,
        recurrence=("RRULE:" + ";".join(parts),),
    )


def _listed(body: dict) -> dict:
    return body | {"id": "AAMk1", "type": "seriesMaster"}


@settings(max_examples=300)
@given(series())
def test_graph_round_trip_keeps_the_rule_and_the_hash(event):
    body = outlook.to_graph(event, event.uid)
    assert invalid_recurrence(body) is None  # what Graph itself requires of the JSON
    back = outlook.from_graph(_listed(body)).event
    assert back.recurrence == event.recurrence
    assert back.content_hash() == event.content_hash()


@settings(max_examples=100)
@given(series())
def test_graph_round_trip_keeps_the_occurrences(event):
    # ponton.sync.occurrences hands dateutil aware DTSTARTs, which refuse a date-only UNTIL.
    assume(not (event.all_day and "UNTIL" in event.recurrence[0]))
    zone = ZoneInfo(event.timezone or "UTC")
    back = outlook.from_graph(_listed(outlook.to_graph(event, event.uid))).event
    window = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2033, 1, 1, tzinfo=UTC))
    assert occurrences(back, *window, zone=zone, limit=60) == occurrences(
        event, *window, zone=zone, limit=60
    )


def _series(*lines: str) -> Event:
    paris = ZoneInfo("Europe/Paris")
    return Event(
        uid="weekly@platform",
        start=datetime(2026, 3, 23, 9, 30, tzinfo=paris),
        end=datetime(2026, 3, 23, 10, 30, tzinfo=paris),
        timezone="Europe/Paris",
        recurrence=lines,
    )


def test_the_demo_weekly_rule_becomes_a_numbered_weekly_pattern():
    body = outlook.to_graph(_series("RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=MO"), "weekly@platform")
    assert body["recurrence"] == {
        "pattern": {
            "type": "weekly",
            "interval": 1,
            "daysOfWeek": ["monday"],
            "firstDayOfWeek": "monday",
        },
        "range": {
            "type": "numbered",
            "numberOfOccurrences": 5,
            "startDate": "2026-03-23",
            "recurrenceTimeZone": "Europe/Paris",
        },
    }


@pytest.mark.parametrize(
    ("lines", "part"),
    [
        (("RRULE:FREQ=DAILY;BYHOUR=9,14",), "BYHOUR=9,14"),
        (("RRULE:FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1,2",), "BYSETPOS=1,2"),
        (("RRULE:FREQ=WEEKLY;BYDAY=MO", "RRULE:FREQ=WEEKLY;BYDAY=FR"), "one RRULE"),
        (("RRULE:FREQ=WEEKLY;BYDAY=MO", "RDATE:20260401T093000Z"), "RDATE"),
        (("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1",), "BYMONTHDAY=-1"),
        (("RRULE:FREQ=MONTHLY;BYDAY=5FR",), "position 5"),
        (("RRULE:FREQ=HOURLY",), "FREQ=HOURLY"),
        (("RRULE:FREQ=WEEKLY;BYWEEKNO=3",), "BYWEEKNO"),
    ],
)
def test_rules_graph_cannot_hold_are_refused_naming_event_and_part(lines, part):
    with pytest.raises(InvalidInputError) as caught:
        outlook.to_graph(_series(*lines), "weekly@platform")
    assert "weekly@platform" in str(caught.value) and part in str(caught.value)


def test_a_rule_without_days_is_written_on_the_start_weekday():
    body = outlook.to_graph(_series("RRULE:FREQ=WEEKLY;INTERVAL=1"), "w")
    assert body["recurrence"]["pattern"]["daysOfWeek"] == ["monday"]
    back = outlook.from_graph(_listed(body)).event
    assert back.recurrence == ("RRULE:FREQ=WEEKLY;BYDAY=MO",)


def test_until_between_occurrences_ends_on_the_last_day_one_starts():
    body = outlook.to_graph(
        _series("RRULE:FREQ=DAILY;UNTIL=20260330T080000Z"), "w"
    )  # 10:00 Paris, after the 09:30 start: the 30th still counts
    assert body["recurrence"]["range"]["endDate"] == "2026-03-30"
    body = outlook.to_graph(_series("RRULE:FREQ=DAILY;UNTIL=20260330T070000Z"), "w")
    assert body["recurrence"]["range"]["endDate"] == "2026-03-29"


def test_a_series_made_in_outlook_reads_with_its_week_start():
    item = {
        "id": "AAMk2",
        "type": "seriesMaster",
        "start": {"dateTime": "2026-03-24T14:00:00.0000000", "timeZone": "Romance Standard Time"},
        "end": {"dateTime": "2026-03-24T15:00:00.0000000", "timeZone": "Romance Standard Time"},
        "recurrence": {
            "pattern": {
                "type": "weekly",
                "interval": 2,
                "daysOfWeek": ["tuesday", "thursday"],
                "firstDayOfWeek": "sunday",
                "index": "first",
                "month": 0,
                "dayOfMonth": 0,
            },
            "range": {
                "type": "endDate",
                "startDate": "2026-03-24",
                "endDate": "2026-06-30",
                "recurrenceTimeZone": "Romance Standard Time",
                "numberOfOccurrences": 0,
            },
        },
    }
    event = outlook.from_graph(item).event
    assert event.recurrence == (
        "RRULE:FREQ=WEEKLY;UNTIL=20260630T120000Z;INTERVAL=2;BYDAY=TU,TH;WKST=SU",
    )


@settings(max_examples=200)
@given(series(ends=("until",), all_day=False), st.integers(-86399, 86399))
def test_an_until_at_another_time_reads_back_as_the_same_series(event, shift):
    """Graph keeps an end date only and ponton reads UNTIL back at the series' time of day: a
    rule "until 23:59:59Z" is the same series for the sync, not an edit or a conflict."""
    prefix, _, rest = event.recurrence[0].partition("UNTIL=")
    written, _, tail = rest.partition(";")
    until = datetime.strptime(written, "%Y%m%dT%H%M%SZ") + timedelta(seconds=shift)
    moved = f"{prefix}UNTIL={until:%Y%m%dT%H%M%SZ}" + (f";{tail}" if tail else "")
    assume(until.replace(tzinfo=UTC) >= event.start)
    event = replace(event, recurrence=(moved,))
    back = outlook.from_graph(_listed(outlook.to_graph(event, event.uid))).event
    assert sync_hash(back) == sync_hash(event)
