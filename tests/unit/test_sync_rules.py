"""Rules compared by meaning: the parts RFC 5545 takes from DTSTART, written out or not."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given
from hypothesis import strategies as st

from ponton.model import Event
from ponton.sync.planner import Conflict, LinkState, plan_sync, sync_hash
from ponton.sync.port import ChangeSet, RemoteEvent
from ponton.sync.rules import canonical_rules

TUESDAY = datetime(2026, 3, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "read_back", "start"),
    [
        ("FREQ=WEEKLY;COUNT=8", "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=8", TUESDAY),
        ("FREQ=WEEKLY;INTERVAL=1;WKST=MO", "FREQ=WEEKLY;BYDAY=TU", TUESDAY),
        ("FREQ=MONTHLY", "FREQ=MONTHLY;BYMONTHDAY=3", TUESDAY),
        ("FREQ=YEARLY", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3", date(2026, 3, 3)),
    ],
)
def test_implied_parts_compare_equal(written, read_back, start):
    assert canonical_rules((written,), start) == canonical_rules((read_back,), start)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("FREQ=WEEKLY", "FREQ=WEEKLY;BYDAY=WE"),
        ("FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY"),
        ("FREQ=MONTHLY;BYDAY=1TU", "FREQ=MONTHLY;BYMONTHDAY=3"),
        ("FREQ=WEEKLY;WKST=SU;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2"),
    ],
)
def test_other_meanings_stay_apart(one, other):
    assert canonical_rules((one,), TUESDAY) != canonical_rules((other,), TUESDAY)


def test_other_lines_are_kept_as_written():
    lines = ("EXDATE:20260310T090000Z", "FREQ=WEEKLY;COUNT=8")
    assert canonical_rules(lines, TUESDAY)[0] == "EXDATE:20260310T090000Z"


def test_a_series_read_back_with_its_implied_day_is_linked_not_a_conflict():
    """Outlook stores a pattern and reads a weekly rule back with BYDAY: after a run that
    stopped before recording the pair, the next run links them instead of queueing a conflict."""
    ours = Event(uid="s", start=TUESDAY, end=TUESDAY, recurrence=("FREQ=WEEKLY;COUNT=8",))
    theirs = Event(
        uid="s", start=TUESDAY, end=TUESDAY, recurrence=("RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=8",)
    )
    assert sync_hash(ours) == sync_hash(theirs)
    plan = plan_sync(
        platform={"s": ours},
        changes=ChangeSet([RemoteEvent("r1", theirs, platform_uid="s")], full=True),
        state={},
        known_foreign={},
        policy="manual",
    )
    assert [type(a) for a in plan.actions] == [LinkState]
    assert not plan.of(Conflict)


PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 1, 5, 9, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("written", "read_back", "start"),
    [
        # Outlook keeps an end date and reads UNTIL back at the series' time of day (in UTC).
        (
            "FREQ=WEEKLY;UNTIL=20261231T235959Z",
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261228T080000Z",
            MONDAY,
        ),
        ("FREQ=WEEKLY;UNTIL=20261231", "FREQ=WEEKLY;UNTIL=20261228T080000Z", MONDAY),
        ("FREQ=DAILY;UNTIL=20260110T080000Z", "FREQ=DAILY;UNTIL=20260110T225959Z", MONDAY),
        ("FREQ=WEEKLY;UNTIL=20261231", "FREQ=WEEKLY;UNTIL=20261228", date(2026, 1, 5)),
        (
            "FREQ=WEEKLY;UNTIL=20261231T235959",
            "FREQ=WEEKLY;UNTIL=20261228T090000",
            MONDAY.replace(tzinfo=None),
        ),
    ],
)
def test_an_until_anywhere_before_the_next_occurrence_is_one_rule(written, read_back, start):
    assert canonical_rules((written,), start) == canonical_rules((read_back,), start)


@pytest.mark.parametrize(
    "line",
    [
        "FREQ=DAILY;UNTIL=21261231T000000Z",  # further than the scan goes
        "FREQ=WEEKLY;COUNT=3;UNTIL=20261231T000000Z",  # both: RFC 5545 allows one
        "FREQ=WEEKLY;UNTIL=tomorrow",
    ],
)
def test_an_until_that_cannot_be_settled_is_compared_as_written(line):
    (canonical,) = canonical_rules((line,), MONDAY)
    assert line.upper().split("UNTIL=")[1].split(";")[0] in canonical


RULES = st.sampled_from(
    [
        "FREQ=DAILY",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;BYDAY=MO,TH",
        "FREQ=MONTHLY;BYDAY=1MO",
        "FREQ=DAILY;INTERVAL=3",
    ]
)
UNTILS = st.datetimes(datetime(2026, 1, 1), datetime(2026, 9, 1)).map(
    lambda d: d.replace(microsecond=0)
)


def test_an_until_before_the_first_occurrence_leaves_dtstart_alone():
    (canonical,) = canonical_rules(("FREQ=MONTHLY;BYMONTHDAY=1;UNTIL=20260105T080001Z",), MONDAY)
    assert canonical == canonical_rules(("FREQ=MONTHLY;BYMONTHDAY=1;UNTIL=20251231",), MONDAY)[0]
    assert canonical.endswith("UNTIL=20260105T080000Z")


@given(rule=RULES, one=UNTILS, other=UNTILS, as_date=st.booleans())
def test_two_untils_are_one_rule_exactly_when_they_let_the_same_occurrences_through(
    rule, one, other, as_date
):
    def written(until: datetime) -> str:
        return f"{rule};UNTIL={until:%Y%m%d}" if as_date else f"{rule};UNTIL={until:%Y%m%dT%H%M%SZ}"

    def occurrences(until: datetime) -> list[datetime]:
        bound = (
            datetime.combine(until.date(), time.max, tzinfo=PARIS)
            if as_date
            else until.replace(tzinfo=UTC)
        )
        return list(rrulestr(rule, dtstart=MONDAY).replace(until=bound))

    same = occurrences(one) == occurrences(other)
    assert same == (
        canonical_rules((written(one),), MONDAY) == canonical_rules((written(other),), MONDAY)
    )
