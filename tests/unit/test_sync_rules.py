"""Rules compared by meaning: the parts RFC 5545 takes from DTSTART, written out or not."""

from datetime import UTC, date, datetime

import pytest

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
