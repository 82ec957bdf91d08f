"""The recurrence guard: refuse series whose expansion would be too big or would never end.

``recurring-ical-events`` (through dateutil) computes a rule from its DTSTART, materialises every
occurrence of the window in a list, and walks day by day to the year 9999 looking for a date that
cannot exist (``FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30``). So before expanding, each rule is walked
lazily here with hard bounds, counting the periods dateutil scans as well as the instants it
yields (:mod:`ponton.ics.metered`); a series that breaks one is left out and reported, the rest of
the calendar expands normally. The walk spends the calendar's :class:`~ponton.ics.limits.Budget`:
its RDATE values and in-window occurrences count towards the calendar-wide limits, its steps
towards ``max_total_rule_steps``, and the deadline is checked as it goes.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

import icalendar
from dateutil.rrule import rrulestr

from ponton.ics.limits import Budget, Limits
from ponton.ics.metered import MeteredRule

_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_UNTIL = re.compile(r"(^|;)UNTIL=[^;]*", re.IGNORECASE)
_SUB_YEARLY = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY")


def guard_recurrences(
    calendar: icalendar.Calendar,
    start: date | datetime,
    end: date | datetime,
    limits: Limits,
    budget: Budget | None = None,
) -> dict[str, str]:
    """UID -> reason for every recurring series too costly to expand between start and end.

    A calendar-wide limit (RDATE values, occurrences, the deadline) raises
    :class:`~ponton.ics.limits.TooExpensive` instead: the whole calendar is too costly."""
    rejected: dict[str, str] = {}
    budget = budget or Budget(limits)
    for vevent in calendar.subcomponents:
        if vevent.name != "VEVENT" or "RECURRENCE-ID" in vevent or "DTSTART" not in vevent:
            continue
        uid = str(vevent.get("UID", ""))
        reason = _series_problem(vevent, start, end, limits, budget)
        if reason:
            rejected[uid] = f"VEVENT UID {uid}: {reason}; the event was skipped"
    return rejected


class _ScanTooLong(Exception):
    """Raised by the meter inside dateutil's scan; caught around the walk."""


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _series_problem(
    vevent: icalendar.Component,
    start: date | datetime,
    end: date | datetime,
    limits: Limits,
    budget: Budget,
) -> str | None:
    rdates = sum(len(p.dts) for p in _as_list(vevent.get("RDATE")))
    if rdates > limits.max_occurrences:
        return f"{rdates} RDATE values, over the limit of {limits.max_occurrences} occurrences"
    where = f"VEVENT UID {vevent.get('UID', '')}"
    budget.spend("max_total_occurrences", rdates, where=where)
    dtstart = vevent["DTSTART"].dt
    first = dtstart if isinstance(dtstart, datetime) else datetime.combine(dtstart, time())
    low, high = _comparable(start, first), _comparable(end, first)
    for rule in _as_list(vevent.get("RRULE")):
        problem = _rule_problem(rule, first, low, high, limits, budget, where)
        if problem:
            return problem
    return None


def _comparable(moment: date | datetime, like: datetime) -> datetime:
    """``moment`` as a datetime that can be compared with ``like`` (aware or naive alike)."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    if like.tzinfo is None:
        return moment.replace(tzinfo=None)
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None else moment


def _rule_problem(
    rule: icalendar.vRecur,
    first: datetime,
    low: datetime,
    high: datetime,
    limits: Limits,
    budget: Budget,
    where: str = "a recurrence rule",
) -> str | None:
    freq = str(_as_list(rule.get("FREQ"))[0] if rule.get("FREQ") else "").upper()
    if freq in _SUB_YEARLY and _impossible_day(rule):
        return f"RRULE FREQ={freq} names a day that does not exist (such as 30 February)"
    stop = high
    for until in _as_list(rule.get("UNTIL")):
        stop = min(stop, _comparable(until, first))
    text = _UNTIL.sub("", rule.to_ical().decode()).strip(";")
    scanned = 0

    def meter(steps: int) -> None:
        nonlocal scanned
        scanned += steps
        if scanned > limits.max_rule_steps or not _take_steps(budget, steps, limits):
            raise _ScanTooLong
        budget.tick(where)

    try:
        parsed_rule = rrulestr(text, dtstart=first)
    except (ValueError, TypeError, OverflowError) as exc:
        return f"RRULE {text[:80]!r} cannot be read ({str(exc)[:80]})"
    inside = 0
    try:
        for moment in MeteredRule.like(parsed_rule, meter):
            if moment > stop:
                return None
            meter(1)
            if moment >= low - timedelta(days=1):
                inside += 1
                budget.spend("max_total_occurrences", 1, where=where)
                if inside > limits.max_occurrences:
                    return (
                        f"RRULE FREQ={freq} has more than {limits.max_occurrences} occurrences "
                        "in the window; add COUNT or UNTIL or raise the max_occurrences limit"
                    )
    except (ValueError, IndexError, OverflowError) as exc:  # dateutil on rules it cannot follow
        return f"RRULE {text[:80]!r} cannot be expanded ({exc.__class__.__name__})"
    except _ScanTooLong:
        if budget.spent.get("max_total_rule_steps", 0) > limits.max_total_rule_steps:
            return (
                f"the calendar's recurrences need more than {limits.max_total_rule_steps} steps "
                "in all, so this series was not expanded (too expensive); raise "
                "max_total_rule_steps if genuine"
            )
        return (
            f"RRULE FREQ={freq} takes more than {limits.max_rule_steps} steps between its start "
            f"({first:%Y-%m-%d}) and the window end (too expensive); add COUNT or UNTIL"
        )
    return None


def _take_steps(budget: Budget, steps: int, limits: Limits) -> bool:
    """Charge ``steps`` to the calendar's rule steps; False once they are spent."""
    total = budget.spent.get("max_total_rule_steps", 0) + steps
    budget.spent["max_total_rule_steps"] = total
    return total <= limits.max_total_rule_steps


def _impossible_day(rule: icalendar.vRecur) -> bool:
    """A BYMONTH/BYMONTHDAY combination no calendar date satisfies (dateutil would scan to 9999)."""
    monthdays = [int(d) for d in _as_list(rule.get("BYMONTHDAY"))]
    if not monthdays:
        return False
    months = [int(m) for m in _as_list(rule.get("BYMONTH"))] or list(range(1, 13))
    return not any(
        abs(day) <= _DAYS_IN_MONTH[month - 1]
        for month in months
        if 1 <= month <= 12
        for day in monthdays
    )
