"""Availability out: when each resource is busy, and nothing else.

Two feeds per resource, published beside the planning feeds by ``ponton_calendar_publish``:

* ``feeds/freebusy/<key>.ifb``: one VFREEBUSY (RFC 5545 §3.6.4, published busy time) for
  subscribers and schedulers;
* ``feeds/busy/<key>.ics``: the same busy time as private VEVENTs titled "Busy", for calendar apps
  that only subscribe to events.

Busy time is the resource's live, busy planning (series expanded) plus its busy availability
blocks (platform and imported), merged into disjoint UTC periods: no title, place, attendee or uid
of any event reaches these feeds. The window runs from ``PAST_DAYS`` ago to ``FUTURE_DAYS`` ahead,
on whole UTC days, and DTSTAMP is the window's start: the bytes change only when the busy time
does or the day turns, so a planning edit that moves nothing uploads nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa

from ponton.ics.export import PRODID, export_calendar
from ponton.model import Event
from ponton.platform import PlatformDB
from ponton.platform.planning import row_to_event
from ponton.platform.schema import availability, planning_events, resources
from ponton.privacy import BUSY
from ponton.sync.occurrences import occurrences

PAST_DAYS = 30
FUTURE_DAYS = 180
Period = tuple[datetime, datetime]


@dataclass(frozen=True)
class AvailabilityFeed:
    """One resource's busy time as a VFREEBUSY (``kind="freebusy"``) or a busy-only ICS feed."""

    key: str
    name: str
    kind: str
    resource: str
    window: Period
    events: tuple[Period, ...]  # the merged busy periods, counted as the feed's events

    def render(self) -> bytes:
        if self.kind == "freebusy":
            return freebusy_calendar(self.resource, self.name, self.window, self.events)
        return export_calendar(
            [busy_event(self.resource, period) for period in self.events],
            self.name,
            dtstamp=self.window[0],
        )


def busy_event(resource: str, period: Period) -> Event:
    """A busy period as an event with nothing but its time; its UID reveals no source event."""
    start, end = period
    digest = hashlib.sha256(f"{resource}|{start.isoformat()}|{end.isoformat()}".encode())
    return Event(
        uid=f"busy-{digest.hexdigest()[:32]}@ponton",
        start=start,
        end=end,
        summary=BUSY,
        timezone="UTC",
        privacy="PRIVATE",
    )


def freebusy_calendar(
    resource: str, name: str, window: Period, periods: tuple[Period, ...]
) -> bytes:
    """A VCALENDAR holding one VFREEBUSY: FBTYPE=BUSY periods in UTC, as §3.6.4 requires."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", name)
    busy = icalendar.FreeBusy()
    busy.add("UID", f"freebusy-{resource}@ponton")
    busy.add("DTSTAMP", window[0])
    busy.add("DTSTART", window[0])
    busy.add("DTEND", window[1])
    for start, end in periods:
        busy.add("FREEBUSY", [(start, end)], parameters={"FBTYPE": "BUSY"})
    calendar.add_component(busy)
    return calendar.to_ical()


def merge(periods: list[Period]) -> tuple[Period, ...]:
    """Disjoint, sorted UTC periods covering the same time (overlapping or touching ones joined)."""
    merged: list[list[datetime]] = []
    for start, end in sorted((s.astimezone(UTC), e.astimezone(UTC)) for s, e in periods):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def availability_feeds(db: PlatformDB, now: datetime | None = None) -> list[AvailabilityFeed]:
    """The free/busy and busy-only feeds of every resource."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    start = datetime.combine(today - timedelta(days=PAST_DAYS), time(), UTC)
    end = datetime.combine(today + timedelta(days=FUTURE_DAYS), time(), UTC)
    busy: dict[int, list[Period]] = defaultdict(list)
    with db.engine.connect() as conn:
        people = conn.execute(
            sa.select(resources.c.id, resources.c.key, resources.c.name, resources.c.timezone)
        ).all()
        zones = {p.id: ZoneInfo(p.timezone or "UTC") for p in people}
        for row in conn.execute(_live_planning(start, end)).mappings():
            event = row_to_event(row)
            if event.busy:
                zone = zones[row["resource_id"]]
                busy[row["resource_id"]] += occurrences(event, start, end, zone=zone)
        blocks = sa.select(availability).where(
            availability.c.kind == "busy",
            availability.c.start_at < end,
            availability.c.end_at > start,
        )
        for block in conn.execute(blocks):
            busy[block.resource_id].append((max(block.start_at, start), min(block.end_at, end)))
    feeds = []
    for person in sorted(people, key=lambda p: p.key):
        periods = merge(busy[person.id])
        for kind, key, name in (
            ("freebusy", f"feeds/freebusy/{person.key}.ifb", f"Free/busy — {person.name}"),
            ("busy", f"feeds/busy/{person.key}.ics", f"Busy — {person.name}"),
        ):
            feeds.append(AvailabilityFeed(key, name, kind, person.key, (start, end), periods))
    return feeds


def _live_planning(start: datetime, end: datetime):
    return sa.select(planning_events).where(
        planning_events.c.deleted_at.is_(None),
        sa.or_(
            planning_events.c.recurrence.is_not(None),
            sa.and_(planning_events.c.start_at < end, planning_events.c.end_at > start),
            sa.and_(
                planning_events.c.start_date < end.date(),
                planning_events.c.end_date > start.date(),
            ),
        ),
    )
