"""iTIP messages (RFC 5546) applied to the planning, per series or per occurrence.

A calendar with a METHOD is a message about events, not a calendar to mirror:

* ``REPLY`` sets one attendee's participation status: on the series (master and overrides) when
  it names no RECURRENCE-ID, on that occurrence only when it does (the override is created from
  the series when the platform has none yet);
* ``CANCEL`` cancels exactly what it names — the whole series, or one occurrence — and changes
  nothing else: a minimal CANCEL (UID, SEQUENCE, maybe RECURRENCE-ID, no DTSTART) is enough;
* ``REQUEST`` updates an event the platform holds when its SEQUENCE is higher than the stored one.

Only events of the binding's resource are touched; events the platform does not hold are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ponton.model import Event, moment_key
from ponton.platform.planning import event_to_values, row_to_event
from ponton.platform.schema import planning_events, utcnow

ITIP_METHODS = ("REPLY", "CANCEL", "REQUEST")


@dataclass(frozen=True, slots=True)
class ItipCounts:
    replies: int = 0
    cancelled: int = 0
    requests: int = 0


def apply_itip(
    conn: sa.Connection,
    resource_id: int,
    *,
    method: str | None,
    events: Iterable[Event] = (),
    replies: Iterable[Any] = (),
    cancellations: Iterable[Any] = (),
) -> ItipCounts:
    """Apply one parsed iTIP calendar; return how many planning rows each kind changed."""
    messages = _Messages(conn, resource_id)
    if method == "REPLY":
        return ItipCounts(replies=sum(messages.reply(r) for r in replies))
    if method == "CANCEL":
        return ItipCounts(cancelled=sum(messages.cancel(c) for c in cancellations))
    if method == "REQUEST":
        return ItipCounts(requests=sum(messages.request(e) for e in events))
    return ItipCounts()


class _Messages:
    def __init__(self, conn: sa.Connection, resource_id: int) -> None:
        self.conn = conn
        self.resource_id = resource_id

    def _rows(self, uid: str, recurrence_id: datetime | date | None = None, *, series=False):
        query = sa.select(planning_events).where(
            planning_events.c.uid == uid,
            planning_events.c.resource_id == self.resource_id,
            planning_events.c.deleted_at.is_(None),
        )
        if not series:
            query = query.where(planning_events.c.recurrence_id == moment_key(recurrence_id))
        return list(self.conn.execute(query.order_by(planning_events.c.recurrence_id)).mappings())

    def _occurrence(self, uid: str, recurrence_id: datetime | date) -> Mapping[str, Any] | None:
        """The override row of one occurrence, created from its series when missing."""
        found = self._rows(uid, recurrence_id)
        if found:
            return found[0]
        removed = self.conn.execute(
            sa.select(planning_events.c.id).where(
                planning_events.c.uid == uid,
                planning_events.c.recurrence_id == moment_key(recurrence_id),
            )
        ).first()
        if removed is not None:
            return None  # the occurrence's override was deleted on the platform
        masters = self._rows(uid)
        if not masters or not masters[0]["recurrence"]:
            return None
        master = row_to_event(masters[0])
        if isinstance(master.start, datetime) != isinstance(recurrence_id, datetime):
            return None
        occurrence = replace(
            master,
            recurrence_id=recurrence_id,
            start=recurrence_id,
            end=recurrence_id + (master.end - master.start),
            recurrence=(),
        )
        self.conn.execute(
            planning_events.insert().values(
                event_to_values(occurrence)
                | {
                    "uid": uid,
                    "recurrence_id": moment_key(recurrence_id),
                    "resource_id": masters[0]["resource_id"],
                    "mission_id": masters[0]["mission_id"],
                    "origin": masters[0]["origin"],
                    "kind": masters[0]["kind"],
                    "sequence": masters[0]["sequence"],
                }
            )
        )
        return self._rows(uid, recurrence_id)[0]

    def _update(self, row: Mapping[str, Any], **values: Any) -> None:
        self.conn.execute(
            planning_events.update()
            .where(planning_events.c.id == row["id"])
            .values(updated_at=utcnow(), **values)
        )

    def reply(self, reply: Any) -> int:
        if reply.recurrence_id is None:
            rows = self._rows(reply.uid, series=True)
        else:
            row = self._occurrence(reply.uid, reply.recurrence_id)
            rows = [row] if row is not None else []
        changed = 0
        for row in rows:
            attendees = [dict(a) for a in row["attendees"] or ()]
            hit = False
            for attendee in attendees:
                if attendee["email"].lower() == reply.attendee.lower() and (
                    attendee.get("partstat") != reply.partstat
                ):
                    attendee["partstat"], hit = reply.partstat, True
            if hit:
                self._update(row, attendees=attendees)
                changed += 1
        return changed

    def cancel(self, cancellation: Any) -> int:
        if cancellation.recurrence_id is None:
            rows = self._rows(cancellation.uid, series=True)
        else:
            row = self._occurrence(cancellation.uid, cancellation.recurrence_id)
            rows = [row] if row is not None else []
        changed = 0
        for row in rows:
            if row["status"] != "cancelled":
                sequence = max(row["sequence"], cancellation.sequence)
                self._update(row, status="cancelled", sequence=sequence)
                changed += 1
        return changed

    def request(self, event: Event) -> int:
        rows = self._rows(event.uid, event.recurrence_id)
        if event.recurrence_id is not None and not rows:
            row = self._occurrence(event.uid, event.recurrence_id)
            rows = [row] if row is not None else []
        if not rows or event.sequence <= rows[0]["sequence"]:
            return 0
        values = event_to_values(event)
        if not event.attendees:
            values.pop("attendees")  # a REQUEST without attendees keeps the known answers
        self._update(rows[0], sequence=event.sequence, **values)
        return 1
