"""What the conflict review page shows: each open item of the queue, ready to read side by side.

Read from the ``conflicts`` rows the sync engine queued (the same rows ``ponton conflicts list``
prints); the page only adds names (binding, resource, the events involved) and marks which fields
of an edit conflict differ. Every instant is shown in the binding's resource's zone, in one
readable form (``Wed 4 Mar 2026 15:00 (Europe/Paris)``), whatever form the row keeps it in
(canonical UTC ``20260304T140000Z``, ISO with any offset, a date for an all-day event).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ponton.narrative import binding_title
from ponton.platform import PlatformDB
from ponton.platform.schema import calendar_bindings, conflicts, planning_events, resources
from ponton.zones import zone_info

# The fields of an edit conflict worth comparing, in reading order; the rest are shown after.
FIELD_ORDER = ("summary", "start", "end", "all_day", "location", "description", "status")
HIDDEN_FIELDS = ("hash", "etag", "reason")
MOMENT_FIELDS = ("start", "end", "recurrence_id")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CANONICAL = re.compile(r"(\d{8})(?:T(\d{6})Z)?")
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
    detected_at: str
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


def _moment(value: Any) -> datetime | date | None:
    """An instant or a date as a conflict row keeps it; None when it is neither."""
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str):
        return None
    if match := _CANONICAL.fullmatch(value):
        day, time = match.groups()
        if time is None:
            return datetime.strptime(day, "%Y%m%d").date()
        return datetime.strptime(day + time, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.date() if len(value) == 10 else parsed


def _stamp(moment: datetime | date, zone: ZoneInfo) -> datetime | date:
    """``moment`` in ``zone`` (a date, or a floating time without offset, stays as it is)."""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment.astimezone(zone)
    return moment


def _words(moment: datetime | date) -> str:
    day = f"{DAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]} {moment.year}"
    return f"{day} {moment:%H:%M}" if isinstance(moment, datetime) else day


def _whole_days(start: datetime | date, end: datetime | date) -> bool:
    """Both bounds at midnight where they are shown: whole days kept as instants (busy blocks)."""
    return (
        isinstance(start, datetime)
        and isinstance(end, datetime)
        and end > start
        and start.time() == end.time() == time(0)
    )


def readable(value: Any, zone: ZoneInfo, *, until: Any = None) -> str:
    """``Wed 4 Mar 2026 15:00 (Europe/Paris)``, a date without time or zone; with ``until``, a
    span (``… 14:00 → 17:00 (Europe/Paris)`` within one day, ``Mon 21 Dec 2026 → Tue 22 Dec
    2026, all day (Europe/Paris)`` from midnight to midnight). Anything that is no instant nor
    date is shown unchanged."""
    start = _moment(value)
    if start is None:
        return _text(value)
    start = _stamp(start, zone)
    text = _words(start)
    if until is not None:
        end = _moment(until)
        end = None if end is None else _stamp(end, zone)
        if end is None:
            text += f" → {_text(until)}"
        elif _whole_days(start, end):
            last = end.date() - timedelta(days=1)
            text = _words(start.date())
            text += ", all day" if last == start.date() else f" → {_words(last)}, all day"
        elif (
            isinstance(start, datetime) and isinstance(end, datetime) and end.date() == start.date()
        ):
            text += f" → {end:%H:%M}"
        else:
            text += f" → {_words(end)}"
    return f"{text} ({zone.key})" if isinstance(start, datetime) else text


def _fields(
    platform: dict[str, Any], remote: dict[str, Any], zone: ZoneInfo
) -> tuple[FieldRow, ...]:
    names = [n for n in FIELD_ORDER if n in platform or n in remote]
    names += sorted((set(platform) | set(remote)) - set(names) - set(HIDDEN_FIELDS))

    def shown(name: str, value: Any) -> str:
        return readable(value, zone) if name in MOMENT_FIELDS and value else _text(value)

    return tuple(FieldRow(n, shown(n, platform.get(n)), shown(n, remote.get(n))) for n in names)


def _interval(
    conn: sa.Connection, side: dict[str, Any], label: str, zone: ZoneInfo
) -> tuple[str, str]:
    when = readable(side.get("start", "?"), zone, until=side.get("end", "?"))
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
                resources.c.timezone,
            )
            .join(calendar_bindings, calendar_bindings.c.id == conflicts.c.binding_id)
            .join(resources, resources.c.id == calendar_bindings.c.resource_id)
            .where(conflicts.c.status == "open")
            .order_by(conflicts.c.id)
        ).mappings()
        for row in rows:
            platform, remote = row["platform_version"] or {}, row["remote_version"] or {}
            zone = zone_info(row["timezone"]) or ZoneInfo("UTC")
            events: tuple[tuple[str, str], ...] = ()
            if row["kind"] == "double_booking":
                events = (
                    _interval(conn, remote, "imported", zone),
                    _interval(conn, platform, "clashes with", zone),
                )
            elif row["kind"] == "refused":
                events = (
                    (
                        "refused",
                        f"« {_text(platform.get('summary'))} », "
                        f"{readable(platform.get('start'), zone)}",
                    ),
                )
            items.append(
                QueueItem(
                    id=row["id"],
                    kind=row["kind"],
                    binding=binding_title(row["binding_id"], row["provider"], row["resource_key"]),
                    detected_at=readable(row["detected_at"], zone),
                    fields=_fields(platform, remote, zone) if row["kind"] == "edit_edit" else (),
                    events=events,
                    reason=_text(platform.get("reason")) if row["kind"] == "refused" else "",
                    actions=ACTIONS_BY_KIND.get(row["kind"], ("dismiss",)),
                )
            )
    return items
