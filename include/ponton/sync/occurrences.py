"""Occurrences of events and whole series inside a window, for busy blocks and double bookings.

Recurrence is expanded by ``dateutil.rrule`` (RRULE, RDATE, EXDATE lines), bounded by the window
and by ``limit`` so an unbounded rule never runs away.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, tzinfo
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from ponton.model import Event, moment_key

DEFAULT_LIMIT = 2000


def as_instant(value: datetime | date, zone: tzinfo) -> datetime:
    """A datetime for a datetime or an all-day date (midnight in ``zone``)."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0), tzinfo=zone)


def occurrences(
    event: Event,
    start: datetime,
    end: datetime,
    *,
    zone: tzinfo | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[tuple[datetime, datetime]]:
    """(start, end) of each occurrence overlapping [start, end), at most ``limit`` of them."""
    zone = zone or ZoneInfo(event.timezone or "UTC")
    first = as_instant(event.start, zone)
    duration = as_instant(event.end, zone) - first
    if not event.recurrence:
        spans = [(first, first + duration)]
    else:
        # All-day rules may carry a date-only UNTIL: they expand on naive days, then get placed.
        naive = event.all_day
        rules = rrulestr(
            "\n".join(event.recurrence),
            dtstart=first.replace(tzinfo=None) if naive else first,
            forceset=True,
            unfold=True,
        )
        after = start - duration
        if naive:
            after = after.astimezone(zone).replace(tzinfo=None)
        found = rules.xafter(after, inc=True)
        placed = (s.replace(tzinfo=zone) for s in found) if naive else found
        starts = takewhile(lambda s: s < end, placed)
        spans = [(s, s + duration) for s in islice(starts, limit)]
    return [(s, e) for s, e in spans if s < end and e > start]


def occurrence_key(moment: datetime, all_day: bool) -> str:
    """The recurrence id an occurrence starting at ``moment`` has (``ponton.model.moment_key``)."""
    return moment_key(moment.date() if all_day else moment)


def series_occurrences(
    events: Iterable[Event],
    start: datetime,
    end: datetime,
    *,
    zone: tzinfo,
    limit: int = DEFAULT_LIMIT,
) -> list[tuple[Event, datetime, datetime]]:
    """(component, start, end) of every occurrence overlapping [start, end), with each series'
    overrides applied: an occurrence a RECURRENCE-ID override replaces comes from the override
    (moved, edited or cancelled — the caller keeps the busy ones), never from its master.

    ``events`` may mix single events, masters and overrides of many series (RFC 5545 §3.8.4.4).
    """
    events = list(events)
    overridden: dict[str, set[str]] = {}
    for event in events:
        if event.recurrence_id is not None:
            overridden.setdefault(event.uid, set()).add(moment_key(event.recurrence_id))
    found: list[tuple[Event, datetime, datetime]] = []
    for event in events:
        replaced = overridden.get(event.uid) if event.recurrence_id is None else None
        for s, e in occurrences(event, start, end, zone=zone, limit=limit):
            if replaced and occurrence_key(s, event.all_day) in replaced:
                continue
            found.append((event, s, e))
    return found
