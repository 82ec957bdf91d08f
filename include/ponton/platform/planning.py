"""Planning rows as the sync engine sees them: rows ↔ :class:`ponton.model.Event`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ponton.model import Attendee, Event
from ponton.platform.schema import planning_events

STATUS_TO_ICAL = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}


def row_to_event(row: Mapping[str, Any]) -> Event:
    """The platform's planning row as a calendar event (times shown in the event's zone)."""
    zone = ZoneInfo(row["timezone"] or "UTC")
    if row["all_day"]:
        start, end = row["start_date"], row["end_date"]
    else:
        start, end = row["start_at"].astimezone(zone), row["end_at"].astimezone(zone)
    return Event(
        uid=row["uid"],
        start=start,
        end=end,
        summary=row["summary"] or "",
        description=row["description"] or "",
        location=row["location"] or "",
        timezone=row["timezone"],
        recurrence=tuple(line for line in (row["recurrence"] or "").splitlines() if line),
        status=STATUS_TO_ICAL.get(row["status"], "CONFIRMED"),
        transparency=(row["transparency"] or "opaque").upper(),
        sequence=row["sequence"],
        attendees=tuple(
            Attendee(a["email"], a.get("name"), a.get("partstat", "NEEDS-ACTION"))
            for a in row["attendees"] or ()
        ),
        privacy=(row.get("privacy") or "public").upper(),
        last_modified=row["updated_at"],
    )


def event_to_values(event: Event) -> dict[str, Any]:
    """Columns of a planning row carrying ``event``'s content (uid, owner and mission untouched)."""
    values: dict[str, Any] = {
        "summary": event.summary[:500],
        "description": event.description or None,
        "location": event.location[:500] or None,
        "all_day": event.all_day,
        "timezone": event.timezone or "UTC",
        "recurrence": "\n".join(event.recurrence) or None,
        "status": event.status.lower(),
        "transparency": event.transparency.lower(),
        "privacy": event.privacy.lower(),
        "attendees": [
            {"email": a.email, "name": a.name, "partstat": a.partstat} for a in event.attendees
        ]
        or None,
    }
    if event.all_day:
        values |= {
            "start_date": event.start,
            "end_date": event.end,
            "start_at": None,
            "end_at": None,
        }
    else:
        values |= {
            "start_at": event.start,
            "end_at": event.end,
            "start_date": None,
            "end_date": None,
        }
    return values


def scope_query(resource_id: int, mission_id: int | None, start: datetime, end: datetime):
    """Planning rows of a binding's scope that may overlap [start, end), deleted ones included."""
    query = sa.select(planning_events).where(
        planning_events.c.resource_id == resource_id,
        planning_events.c.origin == "platform",
        sa.or_(
            planning_events.c.recurrence.is_not(None),
            sa.and_(
                planning_events.c.all_day.is_(False),
                planning_events.c.start_at < end,
                planning_events.c.end_at > start,
            ),
            sa.and_(
                planning_events.c.all_day.is_(True),
                planning_events.c.start_date < end.date(),
                planning_events.c.end_date > start.date(),
            ),
        ),
    )
    if mission_id is not None:
        query = query.where(planning_events.c.mission_id == mission_id)
    return query
