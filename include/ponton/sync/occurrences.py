"""Occurrences of an event inside a window, for busy blocks and double-booking checks.

Recurrence is expanded by ``dateutil.rrule`` (RRULE, RDATE, EXDATE lines), bounded by the window
and by ``limit`` so an unbounded rule never runs away.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from ponton.model import Event

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
