"""Reads and writes of the sync engine: sync state, planning updates, busy blocks, conflicts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ponton.model import Event
from ponton.platform.planning import event_to_values, row_to_event, scope_query
from ponton.platform.schema import (
    availability,
    calendar_bindings,
    conflicts,
    foreign_events,
    planning_events,
    sync_state,
    utcnow,
    webhook_inbox,
)
from ponton.sync.bindings import Binding
from ponton.sync.conflicts import DoubleBooking, Interval
from ponton.sync.filters import busy_sources
from ponton.sync.occurrences import occurrences
from ponton.sync.planner import SyncStateRow
from ponton.sync.port import RemoteEvent


def load_platform(
    conn: sa.Connection, binding: Binding, start: datetime, end: datetime
) -> tuple[dict[str, Event], set[str]]:
    """Live planning events of the binding's scope by uid, and the uids soft-deleted there."""
    live: dict[str, Event] = {}
    deleted: set[str] = set()
    for row in conn.execute(
        scope_query(binding.resource_id, binding.mission_id, start, end)
    ).mappings():
        if row["deleted_at"] is not None:
            deleted.add(row["uid"])
        else:
            live[row["uid"]] = row_to_event(row)
    return live, deleted


def live_elsewhere(conn: sa.Connection, uids: Iterable[str]) -> set[str]:
    """Which of ``uids`` still exist, undeleted, in planning (outside the listed window or scope):
    their absence from the window is not a deletion."""
    uids = list(uids)
    if not uids:
        return set()
    rows = conn.execute(
        sa.select(planning_events.c.uid).where(
            planning_events.c.uid.in_(uids), planning_events.c.deleted_at.is_(None)
        )
    )
    return set(rows.scalars())


def load_state(conn: sa.Connection, binding_id: int) -> dict[str, SyncStateRow]:
    rows = conn.execute(sa.select(sync_state).where(sync_state.c.binding_id == binding_id))
    return {
        r.platform_uid: SyncStateRow(
            r.platform_uid, r.remote_id, r.remote_etag, r.platform_hash, r.remote_hash
        )
        for r in rows
    }


def load_known_foreign(conn: sa.Connection, binding_id: int) -> dict[str, str]:
    rows = conn.execute(
        sa.select(foreign_events.c.remote_id, foreign_events.c.content_hash).where(
            foreign_events.c.binding_id == binding_id
        )
    )
    return {r.remote_id: r.content_hash for r in rows}


def open_conflict_uids(conn: sa.Connection, binding_id: int) -> set[str]:
    rows = conn.execute(
        sa.select(conflicts.c.platform_uid).where(
            conflicts.c.binding_id == binding_id,
            conflicts.c.kind == "edit_edit",
            conflicts.c.status == "open",
        )
    )
    return {r.platform_uid for r in rows}


def refused_hashes(conn: sa.Connection, binding_id: int) -> dict[str, str]:
    """Platform uid → content hash of the version the remote calendar refused (open ones)."""
    rows = conn.execute(
        sa.select(conflicts.c.platform_uid, conflicts.c.platform_version).where(
            conflicts.c.binding_id == binding_id,
            conflicts.c.kind == "refused",
            conflicts.c.status == "open",
        )
    )
    return {r.platform_uid: (r.platform_version or {}).get("hash") for r in rows}


def record_refusal(
    conn: sa.Connection, binding_id: int, uid: str, event: Event, reason: str
) -> None:
    """Remember that the remote refused this version of the event (listed by `ponton conflicts
    list`); the next runs leave it alone until its content changes."""
    _queue_once(
        conn,
        ("refused", binding_id, uid, event.content_hash()),
        kind="refused",
        binding_id=binding_id,
        platform_uid=uid,
        platform_version=_version(event, reason=reason),
    )


def _queue_once(conn: sa.Connection, identity: tuple, **values: Any) -> bool:
    """Insert a conflict row unless one with the same identity exists; True when inserted."""
    fingerprint = hashlib.sha256("|".join(map(str, identity)).encode()).hexdigest()
    if conn.execute(
        sa.select(conflicts.c.id).where(conflicts.c.fingerprint == fingerprint)
    ).first():
        return False
    conn.execute(conflicts.insert().values(fingerprint=fingerprint, **values))
    return True


def clear_refusals(conn: sa.Connection, binding_id: int, uids: Iterable[str]) -> None:
    """The remote took a later version of these events: their old refusals no longer hold."""
    uids = list(uids)
    if uids:
        conn.execute(
            conflicts.update()
            .where(
                conflicts.c.binding_id == binding_id,
                conflicts.c.kind == "refused",
                conflicts.c.status == "open",
                conflicts.c.platform_uid.in_(uids),
            )
            .values(status="cleared", resolved_at=utcnow(), resolution="written after a change")
        )


def save_state(
    conn: sa.Connection,
    binding_id: int,
    uid: str,
    remote: RemoteEvent,
    platform_hash: str,
) -> None:
    values = {
        "remote_id": remote.remote_id,
        "remote_etag": remote.etag,
        "platform_hash": platform_hash,
        "remote_hash": remote.event.content_hash(),
        "synced_at": utcnow(),
    }
    where = (sync_state.c.binding_id == binding_id) & (sync_state.c.platform_uid == uid)
    if conn.execute(sync_state.update().where(where).values(**values)).rowcount == 0:
        conn.execute(sync_state.insert().values(binding_id=binding_id, platform_uid=uid, **values))


def forget_state(conn: sa.Connection, binding_id: int, uid: str) -> None:
    conn.execute(
        sync_state.delete().where(
            (sync_state.c.binding_id == binding_id) & (sync_state.c.platform_uid == uid)
        )
    )


def update_planning(conn: sa.Connection, uid: str, event: Event) -> str:
    """Write a remote version into planning (undeleting it); return the new platform hash."""
    values = event_to_values(event) | {
        "deleted_at": None,
        "sequence": planning_events.c.sequence + 1,
        "updated_at": utcnow(),
    }
    conn.execute(planning_events.update().where(planning_events.c.uid == uid).values(**values))
    row = (
        conn.execute(sa.select(planning_events).where(planning_events.c.uid == uid))
        .mappings()
        .one()
    )
    return row_to_event(row).content_hash()


def apply_replies(conn: sa.Connection, resource_id: int, replies: Iterable[Any]) -> int:
    """METHOD:REPLY answers: set each attendee's participation status on the planning event.

    Only events of the binding's resource are touched; unknown events and attendees are ignored.
    Returns how many events changed."""
    changed = 0
    for reply in replies:
        row = conn.execute(
            sa.select(planning_events.c.id, planning_events.c.attendees).where(
                planning_events.c.uid == reply.uid,
                planning_events.c.resource_id == resource_id,
            )
        ).first()
        if row is None or not row.attendees:
            continue
        attendees = [dict(a) for a in row.attendees]
        hit = False
        for attendee in attendees:
            if attendee["email"].lower() == reply.attendee.lower() and (
                attendee.get("partstat") != reply.partstat
            ):
                attendee["partstat"], hit = reply.partstat, True
        if hit:
            conn.execute(
                planning_events.update()
                .where(planning_events.c.id == row.id)
                .values(attendees=attendees, updated_at=utcnow())
            )
            changed += 1
    return changed


def soft_delete_planning(conn: sa.Connection, uid: str) -> None:
    now = utcnow()
    conn.execute(
        planning_events.update()
        .where(planning_events.c.uid == uid, planning_events.c.deleted_at.is_(None))
        .values(deleted_at=now, updated_at=now, sequence=planning_events.c.sequence + 1)
    )


def write_busy_blocks(
    conn: sa.Connection,
    binding: Binding,
    upserts: Iterable[RemoteEvent],
    removals: Iterable[str],
    start: datetime,
    end: datetime,
) -> int:
    """Replace the busy blocks of changed foreign events; return how many blocks were written."""
    upserts = list(upserts)
    stale = set(removals) | {r.remote_id for r in upserts}
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
                "content_hash": r.event.content_hash(),
                "seen_at": utcnow(),
            }
            for r in upserts
        ],
    )
    zone = ZoneInfo(binding.resource_timezone or "UTC")
    blocks = [
        {
            "resource_id": binding.resource_id,
            "binding_id": binding.id,
            "source_uid": remote.remote_id,
            "start_at": s,
            "end_at": e,
            "kind": "busy",
            "origin": f"binding:{binding.id}",
            "note": remote.event.summary[:500] or None,
        }
        for remote in busy_sources(upserts, binding)
        for s, e in occurrences(remote.event, start, end, zone=zone)
    ]
    if blocks:
        conn.execute(availability.insert(), blocks)
    return len(blocks)


def mark_notifications_processed(conn: sa.Connection, binding_id: int, before: datetime) -> int:
    """Webhook notifications for this binding received before the listing are now handled."""
    return conn.execute(
        webhook_inbox.update()
        .where(
            webhook_inbox.c.binding_id == binding_id,
            webhook_inbox.c.processed_at.is_(None),
            webhook_inbox.c.received_at <= before,
        )
        .values(processed_at=utcnow())
    ).rowcount


def save_cursor(conn: sa.Connection, binding_id: int, cursor: str | None) -> None:
    conn.execute(
        calendar_bindings.update()
        .where(calendar_bindings.c.id == binding_id)
        .values(sync_token=cursor, last_synced_at=utcnow())
    )


def _version(event: Event, **extra: Any) -> dict[str, Any]:
    return event.content() | {"hash": event.content_hash()} | extra


def record_edit_conflict(
    conn: sa.Connection, binding_id: int, uid: str, platform: Event, remote: RemoteEvent
) -> bool:
    """Queue a both-sides edit; False when the same pair of versions is already queued."""
    return _queue_once(
        conn,
        ("edit_edit", binding_id, uid, platform.content_hash(), remote.event.content_hash()),
        kind="edit_edit",
        binding_id=binding_id,
        platform_uid=uid,
        remote_id=remote.remote_id,
        platform_version=_version(platform),
        remote_version=_version(remote.event, etag=remote.etag),
    )


def busy_intervals(
    conn: sa.Connection, binding: Binding, start: datetime, end: datetime
) -> list[Interval]:
    """Imported busy blocks of this binding, and the platform's planning and availability, for the
    binding's resource inside the window."""
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
    for row in live:
        event = row_to_event(row)
        if event.busy:
            for s, e in occurrences(event, start, end, zone=zone):
                intervals.append(Interval(s, e, "planning", event.uid))
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
