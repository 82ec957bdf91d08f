"""Hostile calendars end with a bounded result or a clear "too expensive" error naming the
component, whatever the rule or the size; random rules and lines never escape as a crash."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ponton.cli import main
from ponton.errors import InvalidInputError, PontonError
from ponton.ics import Limits, expand, parse_calendar
from ponton.ics.limits import Budget, TooExpensive
from tests.security import hostile_ics

pytestmark = pytest.mark.unit

TODAY = date(2026, 6, 1)
WINDOW = (date(2026, 5, 1), date(2027, 6, 1))


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY;BYSETPOS=2",
        "FREQ=MINUTELY;BYSETPOS=3",
        "FREQ=HOURLY;BYYEARDAY=366;BYMONTH=1",
        "FREQ=DAILY;BYYEARDAY=366;BYMONTH=1",
        "FREQ=WEEKLY;BYYEARDAY=366;BYMONTH=1",
        "FREQ=MONTHLY;BYYEARDAY=366;BYMONTH=1",
        "FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1",
    ],
)
def test_a_rule_that_never_yields_is_skipped_as_too_expensive(rule):
    parsed = parse_calendar(hostile_ics.rule_that_never_yields(rule), today=TODAY)
    assert parsed.events == []
    (error,) = parsed.errors
    assert "UID never-0" in error and "too expensive" in error


def test_a_rule_that_never_yields_is_also_bounded_when_expanded_elsewhere():
    parsed = parse_calendar(
        hostile_ics.rule_that_never_yields("FREQ=SECONDLY;BYSETPOS=2"), today=TODAY
    )
    far = expand(parsed, date(2030, 1, 1), date(2031, 1, 1))
    assert list(far) == []


def test_many_rules_that_never_yield_share_one_budget():
    parsed = parse_calendar(
        hostile_ics.rule_that_never_yields("FREQ=SECONDLY;BYSETPOS=2", copies=8),
        Limits(max_rule_steps=20_000, max_total_rule_steps=30_000),
        today=TODAY,
    )
    assert len(parsed.errors) == 8
    assert sum("steps in all" in e for e in parsed.errors) >= 6


def test_rdates_are_counted_for_the_whole_calendar():
    with pytest.raises(TooExpensive, match="max_rdates=20000"):
        parse_calendar(hostile_ics.rdate_flood(events=40, per_event=4_999), today=TODAY)


def test_millions_of_x_lines_are_refused_before_parsing():
    with pytest.raises(TooExpensive, match="max_properties"):
        parse_calendar(hostile_ics.x_lines(200_000), today=TODAY)


def test_a_feed_over_the_event_limit_is_refused_before_parsing():
    with pytest.raises(InvalidInputError, match="max_components"):
        parse_calendar(hostile_ics.many_events(10_001), today=TODAY)


def test_the_deadline_stops_a_parse_and_names_where():
    with pytest.raises(TooExpensive, match=r"still working on VEVENT at line \d+ after"):
        parse_calendar(hostile_ics.many_events(2_000), Limits(max_seconds=1e-9), today=TODAY)


def test_the_budget_checks_its_clock_as_work_is_done():
    now = [0.0]
    budget = Budget(Limits(max_seconds=5), clock=lambda: now[0])
    for _ in range(Budget.CHECK_EVERY - 1):
        budget.tick("VEVENT UID slow")
    now[0] = 6.0
    with pytest.raises(TooExpensive, match="VEVENT UID slow after 5s"):
        budget.tick("VEVENT UID slow")


def test_expansion_counts_occurrences_for_the_whole_calendar():
    parsed = parse_calendar(hostile_ics.daily_series(4), today=TODAY)
    with pytest.raises(TooExpensive, match="max_total_occurrences=1000"):
        expand(parsed, *WINDOW, Limits(max_total_occurrences=1_000))


def test_ics_inspect_of_a_rule_that_never_yields_ends_and_reports_it(tmp_path, capsys):
    feed = tmp_path / "never.ics"
    feed.write_bytes(hostile_ics.rule_that_never_yields("FREQ=SECONDLY;BYSETPOS=2"))
    assert main(["ics", "inspect", str(feed)]) == 0
    assert "too expensive" in capsys.readouterr().out


def test_ics_inspect_of_an_rdate_flood_is_one_line(tmp_path, capsys):
    feed = tmp_path / "rdates.ics"
    feed.write_bytes(hostile_ics.rdate_flood())
    assert main(["ics", "inspect", str(feed)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "too expensive" in err


FREQS = ["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"]
parts = st.fixed_dictionaries(
    {"FREQ": st.sampled_from(FREQS)},
    optional={
        "INTERVAL": st.integers(1, 1000).map(str),
        "COUNT": st.integers(1, 100_000).map(str),
        "BYSETPOS": st.lists(st.integers(-400, 400).filter(bool), min_size=1, max_size=3).map(
            lambda v: ",".join(map(str, v))
        ),
        "BYYEARDAY": st.lists(st.integers(-366, 366).filter(bool), min_size=1, max_size=3).map(
            lambda v: ",".join(map(str, v))
        ),
        "BYMONTH": st.lists(st.integers(1, 12), min_size=1, max_size=3).map(
            lambda v: ",".join(map(str, v))
        ),
        "BYMONTHDAY": st.lists(st.integers(-31, 31).filter(bool), min_size=1, max_size=3).map(
            lambda v: ",".join(map(str, v))
        ),
        "BYDAY": st.lists(st.sampled_from(["MO", "TU", "1SU", "-1FR", "53MO"]), min_size=1).map(
            ",".join
        ),
        "BYWEEKNO": st.integers(-53, 53).filter(bool).map(str),
        "BYHOUR": st.integers(0, 23).map(str),
        "BYSECOND": st.integers(0, 59).map(str),
    },
).map(lambda d: ";".join(f"{k}={v}" for k, v in d.items()))

SMALL = Limits(max_rule_steps=5_000, max_total_rule_steps=20_000, max_occurrences=500)


@settings(max_examples=80, deadline=None)
@given(rule=parts, start_year=st.integers(1900, 2030))
@example(rule="FREQ=SECONDLY;BYSETPOS=2", start_year=2020)
@example(rule="FREQ=DAILY;BYYEARDAY=366;BYMONTH=1", start_year=1900)
@example(rule="FREQ=YEARLY;BYWEEKNO=53;BYMONTH=1;BYYEARDAY=200", start_year=1900)
@example(rule="FREQ=MONTHLY;BYSECOND=0;BYHOUR=0;BYWEEKNO=1;BYDAY=53MO", start_year=1900)
def test_any_rule_ends_within_its_budget(rule, start_year):
    data = hostile_ics.calendar(
        hostile_ics._event("fuzz", f"RRULE:{rule}", start=f"{start_year}0101T090000Z")
    )
    try:
        parsed = parse_calendar(data, SMALL, today=TODAY)
        expand(parsed, *WINDOW, SMALL)
    except PontonError:
        pass


property_lines = st.lists(
    st.tuples(
        st.sampled_from(["RDATE", "EXDATE", "X-FOO", "DTSTART", "RRULE", "DESCRIPTION", "BEGIN"]),
        st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=40),
    ),
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@given(lines=property_lines)
def test_random_property_lines_are_an_error_or_a_result(lines):
    data = hostile_ics.calendar(hostile_ics._event("fuzz", *(f"{k}:{v}" for k, v in lines)))
    try:
        parsed = parse_calendar(data, SMALL, today=TODAY)
        expand(parsed, *WINDOW, SMALL)
    except PontonError:
        pass
