"""Busy blocks and double bookings of a binding: foreign events, availability, their conflicts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ponton.journal import Journal
from ponton.platform.planning import row_to_event, scope_query
from ponton.platform.schema import availability, conflicts, foreign_events, planning_events, utcnow
from ponton.sync.bindings import Binding
from ponton.sync.conflicts import DoubleBooking, Interval, find_double_bookings
from ponton.sync.filters import blocking
from ponton.sync.occurrences import as_instant, series_occurrences
from ponton.sync.port import RemoteEvent


def write_busy_blocks(
    conn: sa.Connection,
    binding: Binding,
    upserts: Iterable[RemoteEvent],
    removals: Iterable[str],
    start: datetime,
    end: datetime,
    *,
    listed: Iterable[RemoteEvent] = (),
) -> int:
    """Replace the busy blocks of changed foreign events; return how many blocks were written.

    Blocks come from each series as a whole (``series_occurrences``): when one component of a
    series changes or goes, every component of it in ``listed`` (the foreign events of this
    listing) is expanded again, so a moved occurrence is busy at its new time only and a
    cancelled one is not busy. An override listed without its master (an incremental listing)
    removes the master's block at the occurrence it replaces."""
    upserts = list(upserts)
    removals = set(removals)
    gone_series = set(
        conn.execute(
            sa.select(foreign_events.c.series_uid).where(
                foreign_events.c.binding_id == binding.id,
                foreign_events.c.remote_id.in_(removals),
            )
        ).scalars()
    )
    touched = gone_series | {r.event.uid for r in upserts}
    chosen = {r.remote_id: r for r in upserts}
    chosen |= {r.remote_id: r for r in listed if r.event.uid in touched}
    upserts = list(chosen.values())
    stale = removals | set(chosen)
    if stale:
        conn.execute(
            availability.delete().where(
                availability.c.binding_id == binding.id, availability.c.source_uid.in_(stale)
            )
        )
        conn.execute(
            foreign_events.delete().where(
                foreign_events.c.binding_id == binding.id, foreign_events.c.remote_id.in_(stale)
            )
        )
    if not upserts:
        return 0
    conn.execute(
        foreign_events.insert(),
        [
            {
                "binding_id": binding.id,
                "remote_id": r.remote_id,
                "series_uid": r.event.uid[:255],
                "content_hash": r.event.content_hash(),
                "seen_at": utcnow(),
            }
            for r in upserts
        ],
    )
    zone = ZoneInfo(binding.resource_timezone or "UTC")
    _drop_replaced_blocks(conn, binding, upserts, zone)
    source = {id(r.event): r.remote_id for r in upserts}
    keep = blocking(binding)
    blocks = [
        {
            "resource_id": binding.resource_id,
            "binding_id": binding.id,
            "source_uid": source[id(event)],
            "start_at": s,
            "end_at": e,
            "kind": "busy",
            "origin": f"binding:{binding.id}",
            "note": kept.summary[:500] or None,
        }
        for event, s, e in series_occurrences([r.event for r in upserts], start, end, zone=zone)
        if (kept := keep(event)) is not None
    ]
    if blocks:
        conn.execute(availability.insert(), blocks)
    return len(blocks)


def _drop_replaced_blocks(
    conn: sa.Connection, binding: Binding, upserts: list[RemoteEvent], zone: ZoneInfo
) -> None:
    """Overrides whose master was not listed: drop the master's block of each occurrence."""
    with_master = {r.event.uid for r in upserts if r.event.recurrence_id is None}
    for remote in upserts:
        event = remote.event
        if event.recurrence_id is None or event.uid in with_master:
            continue
        masters = sa.select(foreign_events.c.remote_id).where(
            foreign_events.c.binding_id == binding.id,
            foreign_events.c.series_uid == event.uid,
            foreign_events.c.remote_id != remote.remote_id,
        )
        conn.execute(
            availability.delete().where(
                availability.c.binding_id == binding.id,
                availability.c.source_uid.in_(masters),
                availability.c.start_at == as_instant(event.recurrence_id, zone),
            )
        )


def busy_intervals(
    conn: sa.Connection, binding: Binding, start: datetime, end: datetime
) -> list[Interval]:
    """Imported busy blocks of this binding, and the platform's planning (series expanded with
    their overrides applied) and availability, for the binding's resource inside the window."""
    zone = ZoneInfo(binding.resource_timezone or "UTC")
    intervals: list[Interval] = []
    rows = conn.execute(
        sa.select(availability).where(
            availability.c.resource_id == binding.resource_id,
            availability.c.kind == "busy",
            availability.c.start_at < end,
            availability.c.end_at > start,
            sa.or_(availability.c.binding_id.is_(None), availability.c.binding_id == binding.id),
        )
    )
    for r in rows:
        origin = "imported" if r.binding_id == binding.id else "availability"
        ref = r.source_uid if r.binding_id else f"availability:{r.id}"
        intervals.append(Interval(r.start_at, r.end_at, origin, ref))
    live = conn.execute(
        scope_query(binding.resource_id, None, start, end).where(
            planning_events.c.deleted_at.is_(None)
        )
    ).mappings()
    events = [row_to_event(row) for row in live]
    for event, s, e in series_occurrences(events, start, end, zone=zone):
        if event.busy:
            intervals.append(Interval(s, e, "planning", event.key))
    return intervals


def record_double_bookings(
    conn: sa.Connection, binding: Binding, found: list[DoubleBooking]
) -> list[DoubleBooking]:
    """Store new double bookings, clear the ones that no longer hold; return the new ones."""
    seen = {d.fingerprint: d for d in found}
    existing = {
        r.fingerprint: r.status
        for r in conn.execute(
            sa.select(conflicts.c.fingerprint, conflicts.c.status).where(
                conflicts.c.kind == "double_booking", conflicts.c.binding_id == binding.id
            )
        )
    }
    new = [d for f, d in seen.items() if f not in existing]
    if new:
        conn.execute(
            conflicts.insert(),
            [
                {
                    "kind": "double_booking",
                    "fingerprint": d.fingerprint,
                    "binding_id": binding.id,
                    "resource_id": binding.resource_id,
                    "platform_uid": d.other.ref,
                    "remote_id": d.imported.ref,
                    "platform_version": _interval(d.other),
                    "remote_version": _interval(d.imported),
                    "detected_at": utcnow(),
                }
                for d in new
            ],
        )
    cleared = [f for f, status in existing.items() if status == "open" and f not in seen]
    if cleared:
        conn.execute(
            conflicts.update()
            .where(conflicts.c.fingerprint.in_(cleared))
            .values(status="cleared", resolved_at=utcnow(), resolution="no longer overlapping")
        )
    return new


def _interval(interval: Interval) -> dict[str, Any]:
    data = asdict(interval)
    return data | {"start": interval.start.isoformat(), "end": interval.end.isoformat()}


def known_foreign(conn: sa.Connection, binding_id: int) -> dict[str, str]:
    rows = conn.execute(
        sa.select(foreign_events.c.remote_id, foreign_events.c.content_hash).where(
            foreign_events.c.binding_id == binding_id
        )
    )
    return {r.remote_id: r.content_hash for r in rows}


def detect_double_bookings(
    conn: sa.Connection, binding: Binding, start: datetime, end: datetime, journal: Journal
) -> list[DoubleBooking]:
    """The double bookings of the binding's resource in [start, end) not yet known, queued and
    journaled once each."""
    found = find_double_bookings(binding.resource_key, busy_intervals(conn, binding, start, end))
    new = record_double_bookings(conn, binding, list(found))
    for booking in new:
        journal.record(
            "calendar",
            "double_booking",
            outcome="conflict",
            object_type="resource",
            object_id=binding.resource_key,
            conn=conn,
            details={
                "imported": booking.imported.ref,
                "other": f"{booking.other.origin}:{booking.other.ref}",
                "start": max(booking.imported.start, booking.other.start).isoformat(),
            },
        )
    return new
