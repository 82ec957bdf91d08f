"""Planning rows as the sync engine sees them (rows ↔ :class:`ponton.model.Event`), and the
planning writes a sync run makes: remote edits, deletions and iTIP replies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ponton.model import Attendee, Event, event_key, parse_moment_key, split_key
from ponton.platform.schema import planning_events, utcnow

STATUS_TO_ICAL = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}


def row_to_event(row: Mapping[str, Any]) -> Event:
    """The platform's planning row as a calendar event (times shown in the event's zone)."""
    zone = ZoneInfo(row["timezone"] or "UTC")
    if row["all_day"]:
        start, end = row["start_date"], row["end_date"]
    else:
        start, end = row["start_at"].astimezone(zone), row["end_at"].astimezone(zone)
    recurrence_id = parse_moment_key(row["recurrence_id"])
    if isinstance(recurrence_id, datetime):
        recurrence_id = recurrence_id.astimezone(zone)
    return Event(
        uid=row["uid"],
        start=start,
        end=end,
        recurrence_id=recurrence_id,
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


def load_scope(
    conn: sa.Connection,
    *,
    resource_id: int,
    mission_id: int | None,
    start: datetime,
    end: datetime,
) -> tuple[dict[str, Event], set[str]]:
    """Live planning events of a binding's scope by key (masters, single events and overrides),
    and the keys soft-deleted there. Overrides of a deleted series count as deleted with it."""
    live: dict[str, Event] = {}
    deleted: set[str] = set()
    for row in conn.execute(scope_query(resource_id, mission_id, start, end)).mappings():
        key = event_key(row["uid"], row["recurrence_id"])
        if row["deleted_at"] is not None:
            deleted.add(key)
        else:
            live[key] = row_to_event(row)
    for key, event in list(live.items()):
        if event.recurrence_id is not None and event.uid in deleted:
            deleted.add(live.pop(key).key)
    return live, deleted


def _where(key: str):
    uid, rid = split_key(key)
    return (planning_events.c.uid == uid) & (planning_events.c.recurrence_id == rid)


def live_elsewhere(conn: sa.Connection, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` still exist, undeleted, in planning (outside the listed window or scope):
    their absence from the window is not a deletion."""
    keys = list(keys)
    if not keys:
        return set()
    uids = {split_key(key)[0] for key in keys}
    rows = conn.execute(
        sa.select(planning_events.c.uid, planning_events.c.recurrence_id).where(
            planning_events.c.uid.in_(uids), planning_events.c.deleted_at.is_(None)
        )
    )
    return {event_key(r.uid, r.recurrence_id) for r in rows} & set(keys)


def update_planning(conn: sa.Connection, key: str, event: Event) -> str:
    """Write a remote version into planning (undeleting it); return the new platform hash.

    An override the platform does not hold yet is added to its series (same owner, mission and
    origin as the master); writing a master never touches the series' overrides."""
    bumped = planning_events.c.sequence + 1
    values = event_to_values(event) | {
        "deleted_at": None,
        # Never below what the remote side already carries: SEQUENCE stays monotonic per uid.
        "sequence": sa.case((bumped > event.sequence, bumped), else_=event.sequence),
        "updated_at": utcnow(),
    }
    if conn.execute(planning_events.update().where(_where(key)).values(**values)).rowcount == 0:
        uid, rid = split_key(key)
        master = conn.execute(
            sa.select(
                planning_events.c.resource_id,
                planning_events.c.mission_id,
                planning_events.c.origin,
                planning_events.c.kind,
                planning_events.c.sequence,
            ).where(_where(uid))
        ).one()
        values |= {
            "uid": uid,
            "recurrence_id": rid,
            "resource_id": master.resource_id,
            "mission_id": master.mission_id,
            "origin": master.origin,
            "kind": master.kind,
            "sequence": max(master.sequence, event.sequence),
        }
        conn.execute(planning_events.insert().values(**values))
    row = conn.execute(sa.select(planning_events).where(_where(key))).mappings().one()
    return row_to_event(row).content_hash()


def soft_delete_planning(conn: sa.Connection, key: str) -> None:
    """Soft-delete one planning row: a series master takes its overrides with it."""
    uid, rid = split_key(key)
    which = planning_events.c.uid == uid
    if rid:
        which = which & (planning_events.c.recurrence_id == rid)
    now = utcnow()
    conn.execute(
        planning_events.update()
        .where(which, planning_events.c.deleted_at.is_(None))
        .values(deleted_at=now, updated_at=now, sequence=planning_events.c.sequence + 1)
    )


def stamp_published(conn: sa.Connection, key: str, event: Event) -> Event:
    """``event`` as ponton is about to publish it (ICS feed or remote calendar): SEQUENCE is
    bumped when this content differs from the version last published (RFC 5546 §2.1.4), so
    every side sees it rise monotonically; the first publish of an event keeps its SEQUENCE."""
    row = conn.execute(
        sa.select(
            planning_events.c.id,
            planning_events.c.sequence,
            planning_events.c.published_hash,
            planning_events.c.updated_at,
        ).where(_where(key))
    ).first()
    if row is None:
        return event
    digest = event.content_hash()
    sequence = row.sequence
    if row.published_hash != digest:
        sequence += row.published_hash is not None
        conn.execute(
            planning_events.update()
            .where(planning_events.c.id == row.id)
            .values(sequence=sequence, published_hash=digest, updated_at=row.updated_at)
        )
    return replace(event, sequence=sequence)
