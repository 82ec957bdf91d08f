"""Outlook series as ponton's series: a master plus one override per exception or deleted
occurrence, keyed by the occurrence's original start.

Graph lists a series as its occurrences (``type: occurrence``, not overrides: they are what the
master says) and exceptions (``type: exception``, ``originalStart`` in UTC); v1.0 keeps no list of
deleted occurrences, so a deleted one is an occurrence the master's pattern produces and
``/events/{id}/instances`` does not return. Such a cancellation has no Graph id left: ponton names
it ``{master id}#{recurrence id}`` and gives it no content but its original start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from ponton.calendars.backends.outlook_mapping import from_graph
from ponton.model import Event, moment_key
from ponton.sync.occurrences import occurrence_key, occurrences
from ponton.sync.port import RemoteEvent

#: How far around the window ``/instances`` is read, so an exception moved out of the window is
#: not taken for a deleted occurrence.
MARGIN = timedelta(days=31)
#: How far around an occurrence's times ``/instances`` is read to find it by its original start.
LOOKUP = timedelta(days=1)


def cancelled_id(master_id: str, recurrence_id: datetime | date) -> str:
    return f"{master_id}#{moment_key(recurrence_id)}"


def split_cancelled_id(remote_id: str) -> tuple[str, str] | None:
    """(master id, recurrence id) of a :func:`cancelled_id`; None for a Graph id."""
    master_id, sep, rid = remote_id.partition("#")
    return (master_id, rid) if sep else None


def cancelled_override(
    uid: str,
    recurrence_id: datetime | date,
    remote_id: str,
    platform_uid: str | None,
    timezone: str | None,
) -> RemoteEvent:
    """A deleted occurrence: Graph keeps nothing of it but that it is gone."""
    timed = isinstance(recurrence_id, datetime)
    end = recurrence_id if timed else recurrence_id + timedelta(days=1)
    event = Event(
        uid=uid,
        start=recurrence_id,
        end=end,
        recurrence_id=recurrence_id,
        status="CANCELLED",
        timezone=timezone if timed else None,
    )
    return RemoteEvent(remote_id, event, None, platform_uid)


def original_start(row: dict[str, Any], master: Event) -> datetime | date:
    """The recurrence id of an occurrence or exception row: its ``originalStart`` (UTC) in the
    series' zone, or its day for an all-day series."""
    moment = datetime.fromisoformat(row["originalStart"].replace("Z", "+00:00")).astimezone(UTC)
    if master.all_day:
        return moment.date()
    return moment.astimezone(ZoneInfo(master.timezone or "UTC"))


def as_override(
    row: dict[str, Any], master: RemoteEvent, warnings: list[str] | None = None
) -> RemoteEvent:
    """An exception row as an override of ``master``'s series (whose uid it takes: Graph gives
    every occurrence an iCalUId of its own)."""
    read = from_graph(row, warnings)
    event = replace(
        read.event, uid=master.event.uid, recurrence_id=original_start(row, master.event)
    )
    return RemoteEvent(read.remote_id, event, read.etag, master.platform_uid)


def series_components(
    master: RemoteEvent,
    rows: Iterable[dict[str, Any]],
    start: datetime,
    end: datetime,
    warnings: list[str] | None = None,
) -> list[RemoteEvent]:
    """The master, its exceptions and its deleted occurrences inside [start, end), from the
    master and its instances read over the window widened by :data:`MARGIN`."""
    event = master.event
    listed: set[str] = set()
    found = [master]
    for row in rows:
        rid = original_start(row, event)
        listed.add(moment_key(rid))
        if row.get("type") == "exception":
            override = as_override(row, master, warnings)
            moved_in = _overlaps(override.event, start, end)
            if moved_in or _in_window(rid, start, end, event):
                found.append(override)
    zone = ZoneInfo(event.timezone or "UTC")
    for begins, _ in occurrences(event, start, end, zone=zone):
        key = occurrence_key(begins, event.all_day)
        if key in listed:
            continue
        rid: datetime | date = begins.date() if event.all_day else begins
        found.append(
            cancelled_override(
                event.uid,
                rid,
                cancelled_id(master.remote_id, rid),
                master.platform_uid,
                event.timezone,
            )
        )
    return found


def _overlaps(event: Event, start: datetime, end: datetime) -> bool:
    zone = ZoneInfo(event.timezone or "UTC")
    return bool(occurrences(replace(event, recurrence=()), start, end, zone=zone))


def _in_window(rid: datetime | date, start: datetime, end: datetime, master: Event) -> bool:
    if isinstance(rid, datetime):
        return start <= rid < end
    return start.date() <= rid < end.date()


def excluded_starts(lines: Iterable[str], timezone: str | None) -> list[datetime | date]:
    """The occurrences an EXDATE line of a master takes out (TZID, UTC, floating or dates)."""
    found: list[datetime | date] = []
    zone = ZoneInfo(timezone or "UTC")
    for line in lines:
        if line.split(":")[0].split(";")[0].upper() != "EXDATE":
            continue
        parsed = icalendar.Event.from_ical(f"BEGIN:VEVENT\r\n{line}\r\nEND:VEVENT\r\n")
        values = parsed.get("EXDATE")
        for value in values if isinstance(values, list) else [values]:
            for item in value.dts:
                moment = item.dt
                if isinstance(moment, datetime) and moment.tzinfo is None:
                    moment = moment.replace(tzinfo=zone)
                found.append(moment)
    return found


def without_exdates(event: Event) -> Event:
    return replace(
        event,
        recurrence=tuple(
            line
            for line in event.recurrence
            if line.split(":")[0].split(";")[0].upper() != "EXDATE"
        ),
    )


def _instant(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, datetime.min.time(), tzinfo=UTC)


def lookup_window(
    recurrence_id: datetime | date, event: Event | None = None
) -> tuple[datetime, datetime]:
    """The ``/instances`` window holding the occurrence originally at ``recurrence_id``
    (``/instances`` lists occurrences by where they are now): a day around its original start
    and around ``event``, the version being written, when it moves the occurrence; for a
    cancellation, which cannot say where Outlook may have moved it, :data:`MARGIN` around."""
    original = _instant(recurrence_id)
    if event is None:
        return original - MARGIN, original + MARGIN
    low = min(original, _instant(event.start))
    high = max(original, _instant(event.end))
    return low - LOOKUP, high + LOOKUP


def same_occurrence(row: dict[str, Any], recurrence_id: datetime | date) -> bool:
    """Whether an ``/instances`` row is the occurrence originally at ``recurrence_id``."""
    moment = datetime.fromisoformat(row["originalStart"].replace("Z", "+00:00")).astimezone(UTC)
    if isinstance(recurrence_id, datetime):
        return moment == recurrence_id.astimezone(UTC)
    return moment.date() == recurrence_id
