"""Expand recurring events into occurrences inside a bounded window.

Expansion is ``recurring_ical_events.of(calendar).between(start, end)`` on the parsed, normalised
calendar, so occurrence counts are exactly that library's (start inclusive, end exclusive, an event
counts when it overlaps the window). The recurrence guard runs first with the same window, so a
rule that would take minutes is left out and reported instead; the expansion spends one
:class:`~ponton.ics.limits.Budget` (deadline and occurrence count) and stops with
``TooExpensive`` when it runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from ponton.errors import InvalidInputError
from ponton.ics.guard import guard_recurrences
from ponton.ics.limits import Budget, Limits
from ponton.ics.parse import ParsedCalendar, parse_calendar
from ponton.model import Event


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One instance of an event in the window; ``event`` is the VEVENT it comes from (the master
    or the override of this instance)."""

    uid: str
    recurrence_id: datetime | date | None
    start: datetime | date
    end: datetime | date
    event: Event

    @property
    def busy(self) -> bool:
        return self.event.busy

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)


class Expansion(list):
    """The occurrences (a plain list) plus ``errors``: series the guard left out."""

    def __init__(self, occurrences: list[Occurrence], errors: list[str]) -> None:
        super().__init__(occurrences)
        self.errors = errors


def default_window(
    today: date | None = None,
    limits: Limits = Limits(),  # noqa: B008 - immutable
) -> tuple[date, date]:
    """The window used when none is given: ``window_days_back`` days before ``today`` (UTC) to
    ``window_days_ahead`` days after (31 and 366 by default)."""
    today = today or datetime.now(UTC).date()
    return (
        today - timedelta(days=limits.window_days_back),
        today + timedelta(days=limits.window_days_ahead),
    )


def expand(
    source: ParsedCalendar | bytes,
    start: date | datetime,
    end: date | datetime,
    limits: Limits = Limits(),  # noqa: B008 - immutable
) -> Expansion:
    """Occurrences overlapping [start, end), in the order recurring-ical-events yields them."""
    parsed = source if isinstance(source, ParsedCalendar) else parse_calendar(source, limits)
    span = _as_date(end) - _as_date(start)
    if span > timedelta(days=limits.max_window_days):
        raise InvalidInputError(
            f"the window {start} to {end} spans {span.days} days, over the "
            f"{limits.max_window_days}-day limit; ask for a shorter window"
        )
    if span < timedelta(0):
        raise InvalidInputError(f"the window ends ({end}) before it starts ({start})")
    calendar = parsed.calendar or icalendar.Calendar()
    budget = Budget(limits)  # each expansion has its own deadline and counters
    rejected = (
        {}
        if _inside(parsed.guarded, start, end)
        else guard_recurrences(calendar, start, end, limits, budget)
    )
    if rejected:
        kept = {str(c.get("UID", "")) for c in calendar.subcomponents} - set(rejected)
        calendar = _only(calendar, kept)
    zone = ZoneInfo(parsed.timezone)
    by_key = {event.key: event for event in parsed.events}
    occurrences = []
    for component in recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end):
        budget.spend("max_total_occurrences", 1, where="the expansion")
        occurrence = _occurrence(component, zone, by_key)
        if occurrence is not None:
            occurrences.append(occurrence)
    return Expansion(occurrences, list(rejected.values()))


def _inside(window: tuple[date, date] | None, start: date | datetime, end: date | datetime) -> bool:
    """Whether [start, end) lies inside a window the parser's guard already checked."""
    if window is None:
        return False
    last = end.date() + timedelta(days=1) if isinstance(end, datetime) else end
    return window[0] <= _as_date(start) and last <= window[1]


def _as_date(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _aware(moment: date | datetime, zone: ZoneInfo) -> date | datetime:
    if isinstance(moment, datetime) and moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment


def _occurrence(
    component: icalendar.Component, zone: ZoneInfo, by_key: dict[str, Event]
) -> Occurrence | None:
    uid = str(component.get("UID", ""))
    recurrence_id = (
        _aware(component["RECURRENCE-ID"].dt, zone) if "RECURRENCE-ID" in component else None
    )
    event = None
    if recurrence_id is not None:
        probe = Event(uid=uid, start=recurrence_id, end=recurrence_id, recurrence_id=recurrence_id)
        event = by_key.get(probe.key)
    event = event or by_key.get(uid)
    if event is None:
        return None
    start = _aware(component.start, zone)
    try:
        end = _aware(component.end, zone)
    except (icalendar.InvalidCalendar, ValueError):
        end = start
    if isinstance(start, datetime) != isinstance(end, datetime) or end < start:
        end = start
    return Occurrence(uid, recurrence_id, start, end, event)


def events_in_window(
    parsed: ParsedCalendar,
    start: datetime,
    end: datetime,
    limits: Limits = Limits(),  # noqa: B008 - immutable
) -> tuple[list[Event], list[str]]:
    """The parsed events (masters and overrides) with an occurrence overlapping [start, end).

    Single events are checked directly; only recurring series go through :func:`expand`, which
    keeps a listing of a 20k-event feed cheap. Also returns the guard's errors.
    """
    recurring = {e.uid for e in parsed.events if e.recurrence}
    kept = [e for e in parsed.events if e.uid not in recurring and _overlaps(e, start, end)]
    errors: list[str] = []
    if recurring and parsed.calendar is not None:
        series = ParsedCalendar(
            [e for e in parsed.events if e.uid in recurring],
            [],
            parsed.method,
            parsed.name,
            parsed.timezone,
            calendar=_only(parsed.calendar, recurring),
            guarded=parsed.guarded,
        )
        expansion = expand(series, start, end, limits)
        errors = expansion.errors
        live = {o.uid for o in expansion}
        kept.extend(e for e in series.events if e.uid in live)
    return kept, errors


def _overlaps(event: Event, start: datetime, end: datetime) -> bool:
    if event.all_day:
        return event.start < end.date() and event.end > start.date()
    return event.start < end and (event.end > start or event.start == event.end == start)


def _only(calendar: icalendar.Calendar, uids: set[str]) -> icalendar.Calendar:
    copy = icalendar.Calendar()
    for key, value in calendar.property_items(recursive=False)[1:-1]:
        copy.add(key, value)
    copy.subcomponents = [
        c for c in calendar.subcomponents if c.name != "VEVENT" or str(c.get("UID", "")) in uids
    ]
    return copy
