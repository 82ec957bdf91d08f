"""What the conflict review page shows: each open item of the queue, ready to read side by side.

Read from the ``conflicts`` rows the sync engine queued (the same rows ``ponton conflicts list``
prints); the page only adds names (binding, resource, the events involved) and marks which fields
of an edit conflict differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ponton.narrative import binding_title
from ponton.platform import PlatformDB
from ponton.platform.schema import calendar_bindings, conflicts, planning_events, resources

# The fields of an edit conflict worth comparing, in reading order; the rest are shown after.
FIELD_ORDER = ("summary", "start", "end", "all_day", "location", "description", "status")
HIDDEN_FIELDS = ("hash", "etag", "reason")
ACTIONS_BY_KIND = {
    "edit_edit": ("platform", "remote"),
    "double_booking": ("dismiss",),
    "refused": ("dismiss",),
}


@dataclass(frozen=True, slots=True)
class FieldRow:
    name: str
    platform: str
    remote: str

    @property
    def changed(self) -> bool:
        return self.platform != self.remote


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    kind: str
    binding: str
    detected_at: datetime
    fields: tuple[FieldRow, ...]  # edit conflicts: platform vs remote
    events: tuple[tuple[str, str], ...]  # double bookings: (side, description)
    reason: str  # refusals
    actions: tuple[str, ...]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) or "—"
    return str(value)


def _fields(platform: dict[str, Any], remote: dict[str, Any]) -> tuple[FieldRow, ...]:
    names = [n for n in FIELD_ORDER if n in platform or n in remote]
    names += sorted((set(platform) | set(remote)) - set(names) - set(HIDDEN_FIELDS))
    return tuple(FieldRow(n, _text(platform.get(n)), _text(remote.get(n))) for n in names)


def _interval(conn: sa.Connection, side: dict[str, Any], label: str) -> tuple[str, str]:
    when = f"{side.get('start', '?')} → {side.get('end', '?')}"
    what = {
        "imported": "event of the remote calendar",
        "planning": "platform planning",
        "availability": "platform availability",
    }.get(side.get("origin", ""), side.get("origin", ""))
    if side.get("origin") == "planning":
        summary = conn.execute(
            sa.select(planning_events.c.summary).where(planning_events.c.uid == side.get("ref"))
        ).scalar()
        what += f" « {summary} »" if summary else ""
    return label, f"{what}, {when}"


def open_queue(db: PlatformDB) -> list[QueueItem]:
    """Every open conflict and refusal, oldest first."""
    items = []
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                conflicts,
                calendar_bindings.c.provider,
                resources.c.key.label("resource_key"),
            )
            .join(calendar_bindings, calendar_bindings.c.id == conflicts.c.binding_id)
            .join(resources, resources.c.id == calendar_bindings.c.resource_id)
            .where(conflicts.c.status == "open")
            .order_by(conflicts.c.id)
        ).mappings()
        for row in rows:
            platform, remote = row["platform_version"] or {}, row["remote_version"] or {}
            events: tuple[tuple[str, str], ...] = ()
            if row["kind"] == "double_booking":
                events = (
                    _interval(conn, remote, "imported"),
                    _interval(conn, platform, "clashes with"),
                )
            elif row["kind"] == "refused":
                events = (
                    (
                        "refused",
                        f"« {_text(platform.get('summary'))} », {_text(platform.get('start'))}",
                    ),
                )
            items.append(
                QueueItem(
                    id=row["id"],
                    kind=row["kind"],
                    binding=binding_title(row["binding_id"], row["provider"], row["resource_key"]),
                    detected_at=row["detected_at"],
                    fields=_fields(platform, remote) if row["kind"] == "edit_edit" else (),
                    events=events,
                    reason=_text(platform.get("reason")) if row["kind"] == "refused" else "",
                    actions=ACTIONS_BY_KIND.get(row["kind"], ("dismiss",)),
                )
            )
    return items
